//! Crashes of real processes (SIGKILL: nothing flushed on the way out).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use coupon_client::api::{CouponId, ErrorCode, RedeemRequest};
use coupon_client::{ClientConfig, ClientError, HttpCouponClient};
use futures::future::join_all;
use serde_json::Value;

use crate::support::http::{coupon_body, create_coupon, full_history, get};
use crate::support::processes::ProcessCluster;
use crate::support::wait::until;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// What one logical redeem ended as, from the client's side.
#[derive(Debug)]
enum Ended {
    /// Acknowledged: this redemption id must be in the history forever.
    Granted {
        redemption_id: u64,
    },
    Refused,
    /// No answer within the client's retries: it may or may not have been applied.
    Unknown,
}

fn client_for(apis: &[String], seed: u64) -> HttpCouponClient {
    let config = ClientConfig {
        attempts_max: 12,
        request_timeout: Duration::from_secs(3),
        backoff_max: Duration::from_millis(800),
        rng_seed: Some(seed),
        ..ClientConfig::default()
    };
    HttpCouponClient::new(apis.to_vec(), config).expect("client")
}

/// `count` redeems by users `{worker}-{n}`, one after another; each logical redeem is one
/// Idempotency-Key that the client reuses across its retries and nodes.
async fn redeem_many(
    client: HttpCouponClient,
    coupon: CouponId,
    worker: usize,
    count: usize,
) -> Vec<(String, Ended)> {
    let mut ended = Vec::new();
    for n in 0..count {
        let user = format!("{worker}-{n}");
        let outcome = match client.redeem(coupon, &RedeemRequest::new(user.as_str())).await {
            Ok(reply) => Ended::Granted { redemption_id: reply.value.redemption.id.0 },
            Err(ClientError::Api { problem, .. })
                if problem.code == ErrorCode::UsageLimitReached =>
            {
                Ended::Refused
            }
            Err(error) if error.is_retryable() => Ended::Unknown,
            Err(error) => panic!("redeem of {user} failed for good: {error}"),
        };
        ended.push((user, outcome));
    }
    ended
}

/// Goal: killing the leader while clients redeem and retry through other nodes loses no
/// acknowledged redemption, applies none twice, never exceeds the limit, and all nodes agree.
/// Steps: three processes; a 120-use coupon; 8 workers x 30 redeems through all nodes; SIGKILL
/// the leader after the first grants; restart it; when the workers are done and every node is
/// ready, check the history against what the clients saw.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_leader_during_redeems_loses_no_acknowledged_redemption() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = ProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let coupon_id = create_coupon(&apis[0], &coupon_body("LEADER-KILL", 120)).await;
    let coupon = CouponId(coupon_id);

    let workers: Vec<_> = (0..8)
        .map(|worker| {
            tokio::spawn(redeem_many(client_for(&apis, worker as u64 + 1), coupon, worker, 30))
        })
        .collect();
    let granted_before_kill =
        until("some grants before the kill", Duration::from_secs(20), || async {
            let times = get(&apis[0], &format!("/coupons/{coupon_id}?consistency=local"))
                .await
                .body["times_redeemed"]
                .as_u64()?;
            (times >= 10).then_some(times)
        })
        .await;
    let leader = cluster.leader().await;
    cluster.nodes[leader].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.nodes[leader].spawn();

    let ended: Vec<(String, Ended)> =
        join_all(workers).await.into_iter().flat_map(|worker| worker.expect("worker")).collect();
    for node in &cluster.nodes {
        node.wait_ready().await;
    }
    let history = check_history(&cluster, coupon_id, &ended, 120).await;
    // 240 attempts for 120 uses: the race for the last uses went on across the leader change.
    assert!(
        granted_before_kill < 100,
        "the leader died too late to matter ({granted_before_kill} grants before)"
    );
    assert_eq!(history, 120, "every use was granted once the race ran out");
}

/// Checks the history against what the clients saw; returns its length.
async fn check_history(
    cluster: &ProcessCluster,
    coupon_id: u64,
    ended: &[(String, Ended)],
    limit: u64,
) -> u64 {
    let history = full_history(&cluster.nodes[0].api_addr, coupon_id, "linearizable").await;
    let by_id: BTreeMap<u64, &Value> =
        history.iter().map(|r| (r["id"].as_u64().unwrap(), r)).collect();
    let users: Vec<&str> = history.iter().map(|r| r["user_id"].as_str().unwrap()).collect();
    let distinct_users: BTreeSet<&str> = users.iter().copied().collect();
    assert_eq!(distinct_users.len(), users.len(), "a logical redeem was applied twice");
    assert!(history.len() as u64 <= limit, "{} redemptions for a limit of {limit}", history.len());

    let mut granted = 0;
    let mut unknown = 0;
    for (user, outcome) in ended {
        match outcome {
            Ended::Granted { redemption_id } => {
                granted += 1;
                let found = by_id
                    .get(redemption_id)
                    .unwrap_or_else(|| panic!("acknowledged redemption {redemption_id} is lost"));
                assert_eq!(found["user_id"], user.as_str());
            }
            Ended::Unknown => unknown += 1,
            Ended::Refused => {}
        }
    }
    assert!(
        granted <= history.len() && history.len() <= granted + unknown,
        "history {} vs granted {granted} + unknown {unknown}",
        history.len()
    );
    assert_all_nodes_agree(cluster, coupon_id).await;
    history.len() as u64
}

/// Every node's own (local) view of the coupon and its history is the same, once they have
/// applied the same log.
async fn assert_all_nodes_agree(cluster: &ProcessCluster, coupon_id: u64) {
    until("every node to apply the same log", Duration::from_secs(30), || async {
        let mut applied = BTreeSet::new();
        for node in &cluster.nodes {
            applied.insert(get(&node.api_addr, "/cluster").await.body["last_applied"].as_u64()?);
        }
        (applied.len() == 1).then_some(())
    })
    .await;
    let mut views = BTreeSet::new();
    for node in &cluster.nodes {
        let coupon =
            get(&node.api_addr, &format!("/coupons/{coupon_id}?consistency=local")).await.body;
        let history = full_history(&node.api_addr, coupon_id, "local").await;
        views.insert(serde_json::to_string(&(coupon, history)).unwrap());
    }
    assert_eq!(views.len(), 1, "nodes disagree: {views:#?}");
}

/// Goal: with every node killed at once and restarted, all coupons, counters and history are back.
/// Steps: three processes; three coupons with some redemptions and a rollback; SIGKILL all;
/// restart them one after another; compare every coupon and history with what was acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_node_killed_and_restarted_keeps_every_coupon_and_redemption() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = ProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let client = client_for(&apis, 99);
    let mut before = Vec::new();
    for (n, limit) in [3u64, 10, 1000].into_iter().enumerate() {
        let coupon_id = create_coupon(&apis[n], &coupon_body(&format!("RESTART-{n}"), limit)).await;
        for user in 0..5 {
            let _ = client
                .redeem(CouponId(coupon_id), &RedeemRequest::new(format!("u{user}").as_str()))
                .await;
        }
        before.push(coupon_id);
    }
    let first = full_history(&apis[0], before[1], "linearizable").await[0]["id"].as_u64().unwrap();
    client.rollback(coupon_client::api::RedemptionId(first)).await.expect("rollback");
    let mut snapshot = Vec::new();
    for coupon_id in &before {
        let coupon = get(&apis[0], &format!("/coupons/{coupon_id}")).await.body;
        snapshot.push((coupon, full_history(&apis[0], *coupon_id, "linearizable").await));
    }

    for node in &mut cluster.nodes {
        node.kill();
    }
    for node in &mut cluster.nodes {
        node.spawn();
    }
    for node in &cluster.nodes {
        node.wait_ready().await;
    }
    for (coupon_id, (coupon, history)) in before.iter().zip(&snapshot) {
        assert_eq!(&get(&apis[2], &format!("/coupons/{coupon_id}")).await.body, coupon);
        assert_eq!(&full_history(&apis[2], *coupon_id, "linearizable").await, history);
    }
    assert_all_nodes_agree(&cluster, before[1]).await;
}
