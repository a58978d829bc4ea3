//! Goal: under a race for the last uses, a coupon is redeemed exactly `usage_limit` times.
//! Steps: three in-process nodes; a coupon with limit 50; 400 concurrent redeems by distinct
//! users spread over all three nodes; count the answers, then read the history and the counter
//! from every node.

use futures::future::join_all;
use serde_json::Value;

use crate::support::http::{coupon_body, create_coupon, full_history, get, post_json, redeem_body};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

const LIMIT: u64 = 50;
const ATTEMPTS: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_hundred_racing_redeems_of_a_fifty_use_coupon_grant_exactly_fifty() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let coupon_id = create_coupon(&apis[0], &coupon_body("RACE-50", LIMIT)).await;

    let redeems = (0..ATTEMPTS).map(|i| {
        let api = apis[i % apis.len()].clone();
        async move {
            let path = format!("/coupons/{coupon_id}/redeem");
            post_json(&api, &path, &redeem_body(&format!("user-{i}"), None), None).await
        }
    });
    let replies = join_all(redeems).await;

    let granted: Vec<&Value> =
        replies.iter().filter(|r| r.status == 201).map(|r| &r.body).collect();
    let refused =
        replies.iter().filter(|r| r.status == 409 && r.code() == "usage_limit_reached").count();
    let other: Vec<_> =
        replies.iter().filter(|r| r.status != 201 && r.status != 409).map(|r| &r.body).collect();
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(granted.len() as u64, LIMIT);
    assert_eq!(refused, ATTEMPTS - LIMIT as usize);

    let history = full_history(&apis[1], coupon_id, "linearizable").await;
    assert_eq!(history.len() as u64, LIMIT, "the history holds exactly the granted uses");
    let mut granted_ids: Vec<u64> =
        granted.iter().map(|g| g["redemption"]["id"].as_u64().unwrap()).collect();
    let mut history_ids: Vec<u64> = history.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    granted_ids.sort_unstable();
    history_ids.sort_unstable();
    assert_eq!(granted_ids, history_ids);

    for api in &apis {
        let coupon = get(api, &format!("/coupons/{coupon_id}")).await.body;
        assert_eq!(
            (coupon["times_redeemed"].as_u64(), coupon["remaining"].as_u64()),
            (Some(LIMIT), Some(0))
        );
        assert_eq!(coupon["redeemed"], true);
    }
}
