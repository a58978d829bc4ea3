//! Holds: a use set aside at checkout, then confirmed into a redemption or released; expiry by
//! log time; and the race of many checkouts on few uses.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::http::{coupon_body, create_coupon, get, post_json};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

fn hold_body(user: &str, order: Option<&str>, ttl_seconds: u64) -> Value {
    let mut body = json!({
        "user_id": user, "order_amount": "40.00", "currency": "EUR", "ttl_seconds": ttl_seconds
    });
    if let Some(order) = order {
        body["order_id"] = json!(order);
    }
    body
}

async fn coupon(api: &str, id: u64) -> Value {
    let reply = get(api, &format!("/coupons/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// Goal: holds take uses and confirm into redemptions. Steps: three nodes; a coupon of 2 uses;
/// hold by id and by code (201, `Location`, `remaining` 0; a third hold and a redeem refused as
/// `usage_limit_reached`, a redeem of the held order refused); confirm one (201 as a redeem, with
/// the hold's discount), confirm it again (the same redemption), release it (409
/// `hold_confirmed`); the hold reads `confirmed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_routes_answer_as_the_contract_says() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("HOLD-ME", 2)).await;

    let first = post_json(
        &apis[1],
        &format!("/coupons/{id}/holds"),
        &hold_body("u-1", Some("o-1"), 600),
        None,
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first_id = first.body["id"].as_u64().unwrap();
    assert_eq!(first.headers["location"], format!("/holds/{first_id}"));
    assert_eq!(
        (first.body["coupon_id"].as_u64(), first.body["state"].as_str()),
        (Some(id), Some("held"))
    );
    assert_eq!(first.body["discount_amount"], "4.00");
    let second =
        post_json(&apis[2], "/codes/hold-me/holds", &hold_body("u-2", None, 600), None).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["coupon_id"].as_u64(), Some(id), "the code names the coupon");
    let held = coupon(&apis[0], id).await;
    assert_eq!((held["held"].as_u64(), held["remaining"].as_u64()), (Some(2), Some(0)));
    for reply in [
        post_json(&apis[0], &format!("/coupons/{id}/holds"), &hold_body("u-3", None, 600), None)
            .await,
        post_json(&apis[0], &format!("/coupons/{id}/redeem"), &json!({"user_id": "u-3"}), None)
            .await,
    ] {
        assert_eq!((reply.status, reply.code()), (409, "usage_limit_reached"), "{}", reply.body);
    }
    let taken_order = post_json(
        &apis[0],
        &format!("/coupons/{id}/redeem"),
        &json!({"user_id": "u-9", "order_id": "o-1"}),
        None,
    )
    .await;
    assert_eq!(taken_order.status, 409, "{}", taken_order.body);

    let confirmed =
        post_json(&apis[2], &format!("/holds/{first_id}/confirm"), &json!(null), None).await;
    assert_eq!(confirmed.status, 201, "{}", confirmed.body);
    assert_eq!(confirmed.body["redemption"]["order_id"], "o-1");
    assert_eq!(confirmed.body["redemption"]["discount_amount"], "4.00");
    assert_eq!(confirmed.body["coupon"]["times_redeemed"], 1);
    let again =
        post_json(&apis[0], &format!("/holds/{first_id}/confirm"), &json!(null), None).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["redemption"], confirmed.body["redemption"], "the first answer");
    let release_confirmed =
        post_json(&apis[0], &format!("/holds/{first_id}/release"), &json!(null), None).await;
    assert_eq!((release_confirmed.status, release_confirmed.code()), (409, "hold_confirmed"));
    let read = get(&apis[1], &format!("/holds/{first_id}")).await;
    assert_eq!(
        (read.body["state"].as_str(), read.body["redemption_id"].clone()),
        (Some("confirmed"), confirmed.body["redemption"]["id"].clone())
    );
}

/// Goal: release gives a use back once, and every refusal of the hold routes changes nothing.
/// Steps: three nodes; a coupon of 1 use; a hold; release it (200, the use back), release it
/// again (200), confirm it (409 `hold_released`); unknown hold 404; bad bodies 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_hold_is_back_and_refusals_change_nothing() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("HOLD-BACK", 1)).await;
    let hold =
        post_json(&apis[0], &format!("/coupons/{id}/holds"), &hold_body("u-2", None, 600), None)
            .await;
    assert_eq!(hold.status, 201, "{}", hold.body);
    let second_id = hold.body["id"].as_u64().unwrap();
    let released =
        post_json(&apis[1], &format!("/holds/{second_id}/release"), &json!(null), None).await;
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(released.body["state"], "released");
    let released_again =
        post_json(&apis[2], &format!("/holds/{second_id}/release"), &json!(null), None).await;
    assert_eq!(
        (released_again.status, released_again.body["state"].as_str()),
        (200, Some("released"))
    );
    let confirm_released =
        post_json(&apis[0], &format!("/holds/{second_id}/confirm"), &json!(null), None).await;
    assert_eq!((confirm_released.status, confirm_released.code()), (409, "hold_released"));
    let after = coupon(&apis[0], id).await;
    assert_eq!(
        (after["times_redeemed"].as_u64(), after["held"].as_u64(), after["remaining"].as_u64()),
        (Some(0), Some(0), Some(1))
    );

    for reply in [
        get(&apis[0], "/holds/999").await,
        post_json(&apis[0], "/holds/999/confirm", &json!(null), None).await,
        post_json(&apis[0], "/holds/999/release", &json!(null), None).await,
    ] {
        assert_eq!((reply.status, reply.code()), (404, "hold_not_found"), "{}", reply.body);
        assert!(reply.is_problem());
    }
    for (body, field) in [
        (hold_body("u-4", None, 0), "ttl_seconds"),
        (hold_body("u-4", None, 86_401), "ttl_seconds"),
        (json!({"user_id": "u-4", "extra": 1}), "extra"),
        (json!({"user_id": ""}), "user_id"),
    ] {
        let reply = post_json(&apis[0], &format!("/coupons/{id}/holds"), &body, None).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{}", reply.body);
        assert!(reply.body.to_string().contains(field), "{field}: {}", reply.body);
    }
    assert_eq!(coupon(&apis[0], id).await["held"], 0, "refused holds changed nothing");
}

/// Goal: a hold expires by log time and is fenced: its confirm is refused once its `expires_at`
/// has passed, even when uses are left, and its use went back. Steps: a hold of 1 s; wait 1.5 s;
/// confirm is 409 `hold_expired`; the hold reads `expired`, the coupon `held` 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_is_refused_and_its_use_is_back() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("HOLD-SHORT", 5)).await;
    let hold =
        post_json(&apis[0], &format!("/coupons/{id}/holds"), &hold_body("u-1", None, 1), None)
            .await;
    assert_eq!(hold.status, 201, "{}", hold.body);
    let hold_id = hold.body["id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let late = post_json(&apis[1], &format!("/holds/{hold_id}/confirm"), &json!(null), None).await;
    assert_eq!((late.status, late.code()), (409, "hold_expired"), "{}", late.body);
    let read = get(&apis[2], &format!("/holds/{hold_id}")).await;
    assert_eq!(read.body["state"], "expired");
    let after = coupon(&apis[2], id).await;
    assert_eq!((after["held"].as_u64(), after["remaining"].as_u64()), (Some(0), Some(5)));
}

/// Goal: many checkouts on few uses never confirm more than the limit, honour every live hold
/// and refuse every expired one. Steps: three nodes; a coupon of 50 uses; 400 clients at once,
/// spread over the nodes: a third hold for 1 s and confirm after 1.5 s (each such confirm must be
/// 409 `hold_expired`), a third hold for 60 s and confirm at once (each must be 201), a third hold
/// for 60 s and release; then the coupon's `times_redeemed` is the confirmed count, at most 50.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_holds_never_confirm_more_than_the_limit() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &["--rate-limit-per-second", "0"]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("HOLD-RACE", 50)).await;
    let checkouts = (0..400).map(|n| {
        let api = apis[n % 3].clone();
        async move {
            let ttl = if n % 3 == 0 { 1 } else { 60 };
            let hold = post_json(
                &api,
                &format!("/coupons/{id}/holds"),
                &hold_body(&format!("u-{n}"), None, ttl),
                Some(&format!("h-{n}")),
            )
            .await;
            if hold.status != 201 {
                assert_eq!(
                    (hold.status, hold.code()),
                    (409, "usage_limit_reached"),
                    "{}",
                    hold.body
                );
                return (n % 3, None);
            }
            let hold_id = hold.body["id"].as_u64().unwrap();
            let action = match n % 3 {
                0 => {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    "confirm"
                }
                1 => "confirm",
                _ => "release",
            };
            let reply = post_json(
                &api,
                &format!("/holds/{hold_id}/{action}"),
                &json!(null),
                Some(&format!("{action}-{n}")),
            )
            .await;
            (n % 3, Some((reply.status, reply.code().to_owned())))
        }
    });
    let outcomes = join_all(checkouts).await;
    let held = outcomes.iter().filter(|(_, reply)| reply.is_some()).count();
    assert!(held >= 50, "at least the limit was held at some point: {held}");
    let mut confirmed = 0;
    for (kind, reply) in &outcomes {
        let Some((status, code)) = reply else { continue };
        match kind {
            0 => assert_eq!(
                (*status, code.as_str()),
                (409, "hold_expired"),
                "an expired hold confirmed"
            ),
            1 => {
                assert_eq!(*status, 201, "a live hold was not honoured: {code}");
                confirmed += 1;
            }
            _ => assert_eq!(*status, 200, "release: {code}"),
        }
    }
    assert!(confirmed <= 50);
    let after = coupon(&apis[1], id).await;
    assert_eq!(after["times_redeemed"].as_u64(), Some(confirmed), "{after}");
    assert_eq!(after["held"], 0, "every hold ended: {after}");
}
