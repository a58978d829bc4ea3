//! One Idempotency-Key per logical write: a retry through any node, before or after a leader
//! change, is answered with the first outcome and applied once.

use coupon_client::api::{ErrorCode, HistoryQuery, IdempotencyKey, ReadConsistency, RedeemRequest};

use crate::support::LocalCluster;
use crate::{client, coupon_request};

/// Goal: a redeem retried with the same key through another node is applied once. Steps: a
/// coupon; redeem with key K through node 1 only; send the same redeem with K through node 3
/// only; the second answer is the replayed first (same redemption), and the coupon and its
/// history count one use.
#[tokio::test]
async fn the_same_key_through_another_node_is_applied_once() {
    let cluster = LocalCluster::start(3);
    let nodes = cluster.api_addrs();
    let (first_node, third_node) = (client(vec![nodes[0].clone()]), client(vec![nodes[2].clone()]));
    let coupon = first_node.generate(&coupon_request(5)).await.expect("generate").value;
    let key = IdempotencyKey::new("it-redeem-once").expect("a valid key");
    let request = RedeemRequest { order_id: Some("o-1".into()), ..RedeemRequest::new("u-1") };

    let first = first_node.redeem_with_key(coupon.id, &request, key.clone()).await.expect("redeem");
    let again = third_node.redeem_with_key(coupon.id, &request, key.clone()).await.expect("retry");
    assert!(!first.replayed);
    assert!(again.replayed, "the retry is the stored first answer");
    assert_eq!(again.value.redemption, first.value.redemption);
    assert_eq!(again.idempotency_key, key);

    let read = third_node.get_coupon(coupon.id, ReadConsistency::Linearizable).await.expect("get");
    assert_eq!(read.times_redeemed, 1);
    let history = third_node.history(coupon.id, &HistoryQuery::default()).await.expect("history");
    assert_eq!(history.redemptions.len(), 1);
}

/// Goal: a key reused for a different request is refused, not applied. Steps: redeem with K
/// for user u-1; the same K for user u-2 answers 422 `idempotency_key_reused`, which is not
/// retryable; the coupon still counts one use.
#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let cluster = LocalCluster::start(3);
    let client = client(cluster.api_addrs());
    let coupon = client.generate(&coupon_request(5)).await.expect("generate").value;
    let key = IdempotencyKey::new("it-reused").expect("a valid key");
    client
        .redeem_with_key(coupon.id, &RedeemRequest::new("u-1"), key.clone())
        .await
        .expect("first");

    let error = client
        .redeem_with_key(coupon.id, &RedeemRequest::new("u-2"), key)
        .await
        .expect_err("another body under the same key");
    assert_eq!(error.code(), Some(ErrorCode::IdempotencyKeyReused), "{error}");
    assert_eq!(error.status(), Some(422));
    assert!(!error.is_retryable());
    let read = client.get_coupon(coupon.id, ReadConsistency::Linearizable).await.expect("get");
    assert_eq!(read.times_redeemed, 1);
}

/// Goal: a stored rejection is replayed, even after the use it lacked came back. Steps: a
/// coupon with one use; u-1 takes it; u-2's redeem with key K is refused
/// (`usage_limit_reached`); u-1's redemption is rolled back; K again is still the stored 409,
/// while a fresh key now succeeds.
#[tokio::test]
async fn a_rejection_is_replayed_as_it_was() {
    let cluster = LocalCluster::start(3);
    let client = client(cluster.api_addrs());
    let coupon = client.generate(&coupon_request(1)).await.expect("generate").value;
    let taken = client.redeem(coupon.id, &RedeemRequest::new("u-1")).await.expect("first use");
    let key = IdempotencyKey::new("it-rejected").expect("a valid key");
    let request = RedeemRequest::new("u-2");
    let refused =
        client.redeem_with_key(coupon.id, &request, key.clone()).await.expect_err("no use left");
    assert_eq!(refused.code(), Some(ErrorCode::UsageLimitReached));

    client.rollback(taken.value.redemption.id).await.expect("rollback");
    let replayed = client.redeem_with_key(coupon.id, &request, key).await.expect_err("replayed");
    assert_eq!(replayed.code(), Some(ErrorCode::UsageLimitReached), "{replayed}");
    let fresh = client.redeem(coupon.id, &request).await.expect("the use is back");
    assert_eq!(fresh.value.coupon.remaining, 0);
}

/// Goal: the dedup record survives a leader change. Steps: redeem with K through the leader;
/// SIGKILL the leader; send K again through a surviving node; the answer is the replayed first
/// one and the coupon counts one use.
#[tokio::test]
async fn the_same_key_after_the_leader_died_is_replayed() {
    let mut cluster = LocalCluster::start(3);
    let leader = cluster.leader();
    let via_leader = client(vec![cluster.nodes[leader].api_addr.clone()]);
    let coupon = via_leader.generate(&coupon_request(5)).await.expect("generate").value;
    let key = IdempotencyKey::new("it-after-leader-change").expect("a valid key");
    let request = RedeemRequest::new("u-1");
    let first = via_leader.redeem_with_key(coupon.id, &request, key.clone()).await.expect("redeem");

    cluster.kill(leader);
    let survivors: Vec<String> = cluster
        .api_addrs()
        .into_iter()
        .enumerate()
        .filter(|(index, _)| *index != leader)
        .map(|(_, addr)| addr)
        .collect();
    let survivors = client(survivors);
    let again = survivors.redeem_with_key(coupon.id, &request, key).await.expect("retry");
    assert!(again.replayed);
    assert_eq!(again.value.redemption.id, first.value.redemption.id);
    let read = survivors.get_coupon(coupon.id, ReadConsistency::Linearizable).await.expect("get");
    assert_eq!(read.times_redeemed, 1);
}

/// Goal: the same key sent at the same time through every node is applied once, and every
/// sender gets the first outcome. Steps: a coupon; 12 concurrent redeems with one key, four
/// through each node; all answers name the same redemption; the coupon counts one use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_at_the_same_time_is_applied_once() {
    let cluster = LocalCluster::start(3);
    let nodes = cluster.api_addrs();
    let coupon = client(nodes.clone()).generate(&coupon_request(50)).await.expect("generate").value;
    let key = IdempotencyKey::new("it-concurrent").expect("a valid key");
    let request = RedeemRequest::new("u-1");
    let sends = (0..12).map(|n| {
        let via = client(vec![nodes[n % 3].clone()]);
        let (key, request) = (key.clone(), request.clone());
        async move { via.redeem_with_key(coupon.id, &request, key).await }
    });
    let answers = futures::future::join_all(sends).await;
    let ids: std::collections::BTreeSet<u64> = answers
        .into_iter()
        .map(|answer| answer.expect("every sender gets the outcome").value.redemption.id.0)
        .collect();
    assert_eq!(ids.len(), 1, "one redemption for one key: {ids:?}");
    let read = client(nodes).get_coupon(coupon.id, ReadConsistency::Linearizable).await;
    assert_eq!(read.expect("get").times_redeemed, 1);
}
