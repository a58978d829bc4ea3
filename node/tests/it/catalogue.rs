//! The catalogue: the listing (`GET /coupons` without `code`, by status, prefix and creation
//! time, paged by `next_after`), `PATCH /coupons/{id}`, and the paging of `/alerts`.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::support::http::{coupon_body, create_coupon, get, post_json, redeem_body};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Every coupon id of the listing `query`, following `next_after` with pages of `limit`.
async fn listed(api: &str, query: &str, limit: u32) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut after = String::new();
    for _ in 0..100 {
        let reply = get(api, &format!("/coupons?limit={limit}{query}{after}")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        let coupons = reply.body["coupons"].as_array().expect("a page").clone();
        assert!(coupons.len() <= limit as usize);
        ids.extend(coupons.iter().map(|coupon| coupon["id"].as_u64().unwrap()));
        match reply.body["next_after"].as_u64() {
            Some(next) => after = format!("&after={next}"),
            None => return ids,
        }
    }
    panic!("the listing {query} never ended");
}

/// Goal: each filter shows exactly the coupons it names, oldest first, across pages. Steps: one
/// node; coupons that are active (two, one prefixed), inactive, exhausted, not started and expired
/// (its expiry passes during the test); list everything with pages of 2, then each status, a
/// prefix and a creation time; a lookup by code still answers one coupon, and bad parameters 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_filters_by_status_prefix_and_time_and_pages() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let active = create_coupon(api, &coupon_body("LIST-ACTIVE", 5)).await;
    let inactive = create_coupon(api, &coupon_body("LIST-INACTIVE", 5)).await;
    let deactivate =
        crate::support::http::client().post(format!("http://{api}/coupons/{inactive}/deactivate"));
    assert_eq!(crate::support::http::send(deactivate).await.status, 200);
    let exhausted = create_coupon(api, &coupon_body("LIST-EXHAUSTED", 1)).await;
    let redeem =
        post_json(api, &format!("/coupons/{exhausted}/redeem"), &redeem_body("u", None), None)
            .await;
    assert_eq!(redeem.status, 201);
    let mut later = coupon_body("LIST-LATER", 5);
    later["starts_at"] = Value::from((Utc::now() + chrono::Duration::days(1)).to_rfc3339());
    let not_started = create_coupon(api, &later).await;
    let mut soon = coupon_body("LIST-SOON", 5);
    soon["expires_at"] =
        Value::from((Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339());
    let expired = create_coupon(api, &soon).await;
    let cutoff = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let other = create_coupon(api, &coupon_body("OTHER-ACTIVE", 5)).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;

    let all = [active, inactive, exhausted, not_started, expired, other];
    assert_eq!(listed(api, "", 2).await, all);
    assert_eq!(listed(api, "&status=active", 1).await, [active, other]);
    assert_eq!(listed(api, "&status=inactive", 50).await, [inactive]);
    assert_eq!(listed(api, "&status=exhausted", 50).await, [exhausted]);
    assert_eq!(listed(api, "&status=not_started", 50).await, [not_started]);
    assert_eq!(listed(api, "&status=expired", 50).await, [expired]);
    assert_eq!(
        listed(api, "&code_prefix=list-", 3).await,
        [active, inactive, exhausted, not_started, expired]
    );
    let since = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        listed(api, &format!("&created_after={}", since.replace('+', "%2B")), 50).await,
        [other]
    );
    assert_eq!(listed(api, &format!("&after={}", i64::MAX), 50).await, Vec::<u64>::new());

    let one = get(api, "/coupons?code=list-active").await;
    assert_eq!((one.status, one.body["id"].as_u64()), (200, Some(active)));
    // With a code, the filters still apply: the coupon, or 404 when they leave it out.
    let kept = get(api, "/coupons?code=list-active&status=active&limit=5").await;
    assert_eq!((kept.status, kept.body["id"].as_u64()), (200, Some(active)), "{}", kept.body);
    let left_out = get(api, "/coupons?code=list-active&status=expired").await;
    assert_eq!((left_out.status, left_out.code()), (404, "coupon_not_found"));
    let passed = get(api, &format!("/coupons?code=list-active&after={active}")).await;
    assert_eq!(passed.status, 404, "after its own id");
    for bad in [
        "status=gone",
        "limit=0",
        "limit=501",
        "code=LIST-ACTIVE&limit=0",
        "code_prefix=a%20b",
        "campaign=1",
    ] {
        let reply = get(api, &format!("/coupons?{bad}")).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{bad}: {}", reply.body);
    }
}

async fn patch(api: &str, id: u64, body: Value, key: Option<&str>) -> crate::support::http::Reply {
    let mut request =
        crate::support::http::client().patch(format!("http://{api}/coupons/{id}")).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    crate::support::http::send(request).await
}

/// Goal: `PATCH /coupons/{id}` changes the named terms within create's bounds and the uses
/// taken, idempotently, and a refused change changes nothing. Steps: one node; a coupon of 5
/// uses; raise it to 10 with a key (200) and replay (the stored answer); bad bodies 422; redeem
/// 3; lowering to 2 is 409 `usage_limit_below_used`, adding a per-user limit 409; a start after
/// the expiry 422; an unknown coupon 404; the coupon still has the raised terms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_changes_the_terms_within_their_bounds() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let id = create_coupon(api, &coupon_body("PATCH-ME", 5)).await;
    let later = (Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let body =
        serde_json::json!({"usage_limit": 10, "expires_at": later, "low_stock_threshold": 2});
    let raised = patch(api, id, body.clone(), Some("p-1")).await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    assert_eq!(
        (raised.body["usage_limit"].as_u64(), raised.body["low_stock_threshold"].as_u64()),
        (Some(10), Some(2))
    );
    let replayed = patch(api, id, body, Some("p-1")).await;
    assert_eq!(
        (replayed.status, &replayed.headers["idempotent-replayed"]),
        (200, &"true".parse().unwrap())
    );
    for bad in [
        serde_json::json!({}),
        serde_json::json!({"code": "NEW"}),
        serde_json::json!({"usage_limit": 0}),
        serde_json::json!({"expires_at": "2001-01-01T00:00:00Z"}),
        serde_json::json!({"starts_at": (Utc::now() + chrono::Duration::days(500)).to_rfc3339()}),
    ] {
        let reply = patch(api, id, bad.clone(), None).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{bad}: {}", reply.body);
    }
    for user in ["u-1", "u-2", "u-3"] {
        let redeemed =
            post_json(api, &format!("/coupons/{id}/redeem"), &redeem_body(user, None), None).await;
        assert_eq!(redeemed.status, 201);
    }
    let below = patch(api, id, serde_json::json!({"usage_limit": 2}), None).await;
    assert_eq!((below.status, below.code()), (409, "usage_limit_below_used"), "{}", below.body);
    let per_user = patch(api, id, serde_json::json!({"per_user_limit": 1}), None).await;
    assert_eq!((per_user.status, per_user.code()), (409, "per_user_limit_after_redemptions"));
    let missing = patch(api, 999_999, serde_json::json!({"usage_limit": 3}), None).await;
    assert_eq!((missing.status, missing.code()), (404, "coupon_not_found"));
    let coupon = get(api, &format!("/coupons/{id}")).await.body;
    assert_eq!(
        (coupon["usage_limit"].as_u64(), coupon["times_redeemed"].as_u64()),
        (Some(10), Some(3))
    );
}

/// Goal: a percentage coupon gains a currency by `PATCH`, with create's bounds, and then takes
/// orders in it only; a fixed discount keeps its own. Steps: one node; a 10 % coupon with no
/// currency; a yen minimum in sen with `"currency": "JPY"` is 422 on `min_order_amount`, a
/// lower-case code 422 on `currency`; `EUR` with a minimum of 20.00 is 200 and shows in the
/// discount; a redeem without a currency is then 422, in USD 409 `currency_mismatch`; a fixed EUR
/// coupon refuses USD (422) and accepts EUR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_gives_a_percentage_a_currency_with_the_bounds_of_create() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let id = create_coupon(api, &coupon_body("GAINS-EUR", 5)).await;
    let field = |reply: &crate::support::http::Reply| {
        (reply.status, reply.body["errors"][0]["field"].as_str().map(str::to_owned))
    };
    let sen = serde_json::json!({"currency": "JPY", "min_order_amount": "20.50"});
    assert_eq!(field(&patch(api, id, sen, None).await), (422, Some("min_order_amount".into())));
    let lower = serde_json::json!({"currency": "eur"});
    assert_eq!(field(&patch(api, id, lower, None).await), (422, Some("currency".into())));
    let euros = serde_json::json!({"currency": "EUR", "min_order_amount": "20.00"});
    let gained = patch(api, id, euros, None).await;
    assert_eq!(gained.status, 200, "{}", gained.body);
    assert_eq!(gained.body["discount"]["currency"], "EUR");
    assert_eq!(gained.body["min_order_amount"], "20.00");
    let order = |currency: Option<&str>| {
        let mut body = serde_json::json!({"user_id": "u-1", "order_amount": "30.00"});
        if let Some(currency) = currency {
            body["currency"] = Value::from(currency);
        }
        body
    };
    let redeem = format!("/coupons/{id}/redeem");
    let without = post_json(api, &redeem, &order(None), None).await;
    assert_eq!(without.status, 422, "{}", without.body);
    let dollars = post_json(api, &redeem, &order(Some("USD")), None).await;
    assert_eq!((dollars.status, dollars.code()), (409, "currency_mismatch"));
    assert_eq!(post_json(api, &redeem, &order(Some("EUR")), None).await.status, 201);

    let mut fixed = coupon_body("FIXED-EUR", 5);
    fixed["discount"] = serde_json::json!({"type": "fixed", "value": "5.00", "currency": "EUR"});
    let fixed = create_coupon(api, &fixed).await;
    let usd = serde_json::json!({"currency": "USD"});
    assert_eq!(field(&patch(api, fixed, usd, None).await), (422, Some("currency".into())));
    let own = patch(api, fixed, serde_json::json!({"currency": "EUR"}), None).await;
    assert_eq!(own.status, 200, "{}", own.body);
}

/// Goal: limits changed while redeems race stay exact. Steps: three nodes; a coupon of 50 uses;
/// 200 redeems at once over the nodes while the limit is raised to 120 and then lowered to 10
/// (refused once more than 10 are taken); every granted redeem is in the history, the coupon
/// counts exactly those, and never more than its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_patched_during_a_race_stay_exact() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("PATCH-RACE", 50)).await;
    let redeems = futures::future::join_all((0..200).map(|n| {
        let api = apis[n % 3].clone();
        async move {
            let body = redeem_body(&format!("u-{n}"), Some(&format!("o-{n}")));
            post_json(&api, &format!("/coupons/{id}/redeem"), &body, Some(&format!("r-{n}"))).await
        }
    }));
    let patches = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let raised = patch(&apis[1], id, serde_json::json!({"usage_limit": 120}), None).await;
        let lowered = patch(&apis[2], id, serde_json::json!({"usage_limit": 10}), None).await;
        (raised, lowered)
    };
    let (replies, (raised, lowered)) = tokio::join!(redeems, patches);
    assert_eq!(raised.status, 200, "{}", raised.body);
    let granted = replies.iter().filter(|reply| reply.status == 201).count();
    let refused = replies.iter().filter(|reply| reply.code() == "usage_limit_reached").count();
    assert_eq!(granted + refused, 200, "every redeem granted or refused for the limit");
    let coupon = get(&apis[0], &format!("/coupons/{id}")).await.body;
    let limit = coupon["usage_limit"].as_u64().unwrap() as usize;
    assert_eq!(coupon["times_redeemed"].as_u64().unwrap() as usize, granted);
    assert!(granted <= limit, "{granted} granted, limit {limit}");
    match lowered.status {
        200 => assert_eq!(limit, 10),
        _ => assert_eq!((lowered.code(), limit), ("usage_limit_below_used", 120)),
    }
    let history = crate::support::http::full_history(&apis[1], id, "linearizable").await;
    assert_eq!(history.len(), granted);
}

/// Goal: `GET /alerts` pages like history, and cursors at the edges are bounds. Steps: one node;
/// three coupons whose one redeem each raises an alert; pages of 2 (`next_after`, then null);
/// `after` past the last and at the int64 maximum: empty pages; `limit` 0 and 501: 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_paged_and_their_cursors_are_bounds() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    for n in 0..3 {
        let mut body = coupon_body(&format!("ALERT-{n}"), 2);
        body["low_stock_threshold"] = Value::from(1);
        let id = create_coupon(api, &body).await;
        let redeemed =
            post_json(api, &format!("/coupons/{id}/redeem"), &redeem_body("u", None), None).await;
        assert_eq!(redeemed.status, 201);
    }
    let first = get(api, "/alerts?limit=2").await.body;
    assert_eq!(first["alerts"].as_array().map(Vec::len), Some(2), "{first}");
    let next = first["next_after"].as_u64().expect("a second page");
    let second = get(api, &format!("/alerts?limit=2&after={next}")).await.body;
    assert_eq!(
        (second["alerts"].as_array().map(Vec::len), &second["next_after"]),
        (Some(1), &Value::Null)
    );
    for after in ["3", &i64::MAX.to_string()] {
        let page = get(api, &format!("/alerts?after={after}")).await.body;
        assert_eq!(
            (page["alerts"].as_array().map(Vec::len), &page["next_after"]),
            (Some(0), &Value::Null)
        );
    }
    for bad in ["limit=0", "limit=501", "after=-1", "after=9223372036854775808"] {
        let reply = get(api, &format!("/alerts?{bad}")).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{bad}");
    }
}
