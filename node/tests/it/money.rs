//! Money by ISO 4217 over HTTP: each amount held to its currency's minor unit, unknown codes
//! refused, the money bounds in the coupon's currency, an order's currency required where the
//! coupon's money is in one, and the stated rounding of a percentage.

use serde_json::{json, Value};

use crate::support::http::{client, coupon_body, create_coupon, get, post_json, send, Reply};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// A 422 `invalid_request` problem that names `field` first.
fn refused_at(reply: &Reply, field: &str, what: &str) {
    assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{what}: {}", reply.body);
    assert!(reply.is_problem(), "{what}: not problem+json");
    assert_eq!(reply.body["errors"][0]["field"], field, "{what}: {}", reply.body);
}

fn with_discount(code: &str, discount: Value) -> Value {
    let mut body = coupon_body(code, 10);
    body["discount"] = discount;
    body
}

async fn create(api: &str, body: &Value) -> Reply {
    post_json(api, "/coupons/generate", body, None).await
}

async fn redeem(api: &str, id: u64, body: Value) -> Reply {
    post_json(api, &format!("/coupons/{id}/redeem"), &body, None).await
}

/// Goal: amounts are checked to the currency's minor unit (JPY 0, EUR 2, KWD 3), answered with
/// exactly that many digits, and a code ISO 4217 does not list (or lists without a minor unit)
/// is refused; refusals create nothing. Steps: one node; fixed coupons in JPY, EUR, KWD, XYZ,
/// XAU; amounts with one digit too many; then the next id is the one after the last created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_are_held_to_their_currencys_minor_unit() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let fixed = |value: &str, currency: &str| json!({"type": "fixed", "value": value, "currency": currency});
    let accepted = [("500", "JPY", "500"), ("5", "EUR", "5.00"), ("1.25", "KWD", "1.250")];
    let mut last = 0;
    for (n, (value, currency, answered)) in accepted.into_iter().enumerate() {
        let reply =
            create(api, &with_discount(&format!("MONEY-{n}"), fixed(value, currency))).await;
        assert_eq!(reply.status, 201, "{currency}: {}", reply.body);
        assert_eq!(reply.body["discount"]["value"], answered, "{}", reply.body);
        last = reply.body["id"].as_u64().expect("an id");
    }
    for (value, currency, field) in [
        ("500.5", "JPY", "discount.value"),
        ("5.001", "EUR", "discount.value"),
        ("1.0005", "KWD", "discount.value"),
        ("5.00", "XYZ", "discount.currency"),
        ("5.00", "XAU", "discount.currency"),
        ("5.00", "eur", "discount.currency"),
    ] {
        let reply = create(api, &with_discount("REFUSED", fixed(value, currency))).await;
        refused_at(&reply, field, &format!("{value} {currency}"));
    }
    assert_eq!(create_coupon(api, &coupon_body("NEXT", 1)).await, last + 1, "a refusal took an id");
}

/// Goal: a percentage coupon's cap and minimum are in its `discount.currency` (two fraction
/// digits when it names none, the contract's rule); its orders then must name theirs. Steps: one
/// node; a cap in no currency of 300.255 is 422, of 300.25 is created, and an order in no
/// currency gets its discount rounded to cents; in JPY a cap of 20.5 is 422, of 300 is created; an
/// order without a currency or with an amount in cents is 422 and changes nothing; another
/// currency is `currency_mismatch`; a JPY order is rounded half up to whole yen; a PATCH of the
/// minimum in cents is 422, in yen 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_bounds_are_in_the_coupons_currency() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let mut anywhere = coupon_body("CAPPED", 10);
    anywhere["discount"] = json!({"type": "percentage", "value": "15"});
    anywhere["max_discount_amount"] = json!("300.255");
    refused_at(&create(api, &anywhere).await, "max_discount_amount", "a cap in mills");
    anywhere["max_discount_amount"] = json!("300.25");
    let created = create(api, &anywhere).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let any_id = created.body["id"].as_u64().expect("an id");
    let validated = get(api, &format!("/coupons/{any_id}/validate?order_amount=0.30")).await;
    assert_eq!(validated.body["discount_amount"], "0.05", "{}", validated.body);

    let mut in_yen = anywhere.clone();
    in_yen["code"] = json!("CAPPED-JPY");
    in_yen["discount"]["currency"] = json!("JPY");
    in_yen["max_discount_amount"] = json!("20.5");
    refused_at(&create(api, &in_yen).await, "max_discount_amount", "a cap in sen");
    in_yen["max_discount_amount"] = json!("300");
    let created = create(api, &in_yen).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["discount"]["currency"], "JPY");
    let id = created.body["id"].as_u64().expect("an id");

    let no_currency = redeem(api, id, json!({"user_id": "u-1"})).await;
    refused_at(&no_currency, "currency", "an order in no currency");
    let amount_alone = redeem(api, id, json!({"user_id": "u-1", "order_amount": "10"})).await;
    refused_at(&amount_alone, "currency", "an amount in no currency");
    let in_sen =
        redeem(api, id, json!({"user_id": "u-1", "order_amount": "10.5", "currency": "JPY"})).await;
    refused_at(&in_sen, "order_amount", "an order amount in sen");
    let validate = get(api, &format!("/coupons/{id}/validate?order_amount=10")).await;
    refused_at(&validate, "currency", "validate in no currency");
    assert_eq!(get(api, &format!("/coupons/{id}")).await.body["times_redeemed"], 0);

    let in_euro =
        redeem(api, id, json!({"user_id": "u-1", "order_amount": "10", "currency": "EUR"})).await;
    assert_eq!((in_euro.status, in_euro.code()), (409, "currency_mismatch"), "{}", in_euro.body);
    // 15 % of JPY 10 is 1.5: half up, JPY 2 (half even would say 2 as well; 30 tells them apart
    // below).
    let validated = get(api, &format!("/coupons/{id}/validate?order_amount=10&currency=JPY")).await;
    assert_eq!(validated.body["discount_amount"], "2", "{}", validated.body);
    let body = json!({"user_id": "u-1", "order_amount": "30", "currency": "JPY"});
    let redeemed = redeem(api, id, body).await;
    assert_eq!(redeemed.status, 201, "{}", redeemed.body);
    assert_eq!(redeemed.body["redemption"]["discount_amount"], "5", "4.5 rounds half up");

    let patch =
        |body: Value| send(client().patch(format!("http://{api}/coupons/{id}")).json(&body));
    refused_at(&patch(json!({"min_order_amount": "20.50"})).await, "min_order_amount", "in sen");
    let changed = patch(json!({"min_order_amount": "2000"})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["min_order_amount"], "2000");
}

/// Goal: a fixed discount needs the order's currency, and 15 % of EUR 0.30 (0.045) is EUR 0.05
/// (half up). Steps: one node; a fixed EUR coupon; a redeem without currency is 422 and takes
/// nothing; with EUR it is 201; a percentage coupon without a currency rounds a EUR order to
/// cents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_discount_needs_the_orders_currency() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let fixed = json!({"type": "fixed", "value": "5.00", "currency": "EUR"});
    let id = create_coupon(api, &with_discount("FIVE-OFF", fixed)).await;
    refused_at(&redeem(api, id, json!({"user_id": "u-1"})).await, "currency", "no currency");
    assert_eq!(get(api, &format!("/coupons/{id}")).await.body["times_redeemed"], 0);
    let redeemed = redeem(api, id, json!({"user_id": "u-1", "currency": "EUR"})).await;
    assert_eq!(redeemed.status, 201, "{}", redeemed.body);
    assert_eq!(redeemed.body["redemption"]["discount_amount"], "5.00");

    let percent = json!({"type": "percentage", "value": "15"});
    let id = create_coupon(api, &with_discount("FIFTEEN", percent)).await;
    let path = format!("/coupons/{id}/validate?order_amount=0.30&currency=EUR");
    assert_eq!(get(api, &path).await.body["discount_amount"], "0.05", "0.045 rounds half up");
}
