//! Replays answer from the stored outcome before any check that depends on time or on the node.

use std::time::Duration;

use coupon_client::api::{CreateCouponRequest, Discount};
use rust_decimal::Decimal;

use crate::support::http::post_json;
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Goal: a retry of a create whose `expires_at` has passed since the first attempt gets the
/// stored 201, not a 422 from the node's clock check. Steps: one node; create a coupon with an
/// Idempotency-Key and `expires_at` 3 s ahead (201); wait 4 s; send the same request: 201, the
/// same coupon, `Idempotent-Replayed: true`; the same key with another body is still `idempotency_key_reused`; a
/// fresh key with the stale body is refused (422).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_after_expires_at_passed_gets_the_stored_201() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let mut request = CreateCouponRequest::new(
        Discount::Percentage { value: Decimal::TEN, currency: None },
        expires_at,
        5,
    );
    request.code = Some("SOON-GONE".to_owned());
    let body = serde_json::to_value(&request).expect("coupon body");

    let first = post_json(api, "/coupons/generate", &body, Some("create-soon-gone")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    tokio::time::sleep(Duration::from_secs(4)).await;

    let replay = post_json(api, "/coupons/generate", &body, Some("create-soon-gone")).await;
    assert_eq!(replay.status, 201, "the stored answer: {}", replay.body);
    assert_eq!(replay.body, first.body);
    let replayed = replay.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap());
    assert_eq!(replayed, Some("true"));

    request.code = Some("OTHER".to_owned());
    let other = serde_json::to_value(&request).expect("coupon body");
    let reused = post_json(api, "/coupons/generate", &other, Some("create-soon-gone")).await;
    assert_eq!((reused.status, reused.code()), (422, "idempotency_key_reused"), "{}", reused.body);
    let fresh = post_json(api, "/coupons/generate", &body, Some("another-key")).await;
    assert_eq!(fresh.status, 422, "a new request is still checked: {}", fresh.body);
}
