//! Goal: a node that was down while the log moved past what the others keep catches up from a
//! snapshot, and ends with the same state.
//! Steps: three in-process nodes that snapshot every 20 entries and keep 5 behind; stop node 3;
//! write 120 entries; check the leader purged its log beyond node 3's last entry (so only a
//! snapshot can bring node 3 back); restart node 3; wait until it applied as far as the leader;
//! check it installed a snapshot and that its state hashes like the leader's.

use std::time::Duration;

use crate::support::http::{coupon_body, create_coupon, post_json, redeem_body};
use crate::support::in_process::InProcessCluster;
use crate::support::wait::until;
use crate::support::ONE_CLUSTER_AT_A_TIME;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_behind_the_purged_log_catches_up_from_a_snapshot() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster =
        InProcessCluster::start(3, &["--snapshot-every=20", "--logs-kept-behind-snapshot=5"]).await;
    let leader = cluster.leader().await;
    let lagging = (leader + 1) % 3;
    let lagging_last_index =
        cluster.nodes[lagging].running().raft.metrics().borrow().last_log_index;
    cluster.nodes[lagging].stop().await;

    let api = cluster.nodes[leader].api_addr.clone();
    let coupon_id = create_coupon(&api, &coupon_body("SNAP", 1000)).await;
    for i in 0..120 {
        let reply = post_json(
            &api,
            &format!("/coupons/{coupon_id}/redeem"),
            &redeem_body(&format!("u{i}"), None),
            None,
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let leader_raft = cluster.nodes[leader].running().raft.clone();
    let purged = until("the leader to purge its log", Duration::from_secs(20), || async {
        leader_raft
            .metrics()
            .borrow()
            .purged
            .filter(|purged| Some(purged.index) > lagging_last_index)
    })
    .await;

    cluster.nodes[lagging].boot().await;
    let target = leader_raft.metrics().borrow().last_applied;
    let lagging_raft = cluster.nodes[lagging].running().raft.clone();
    until("the restarted node to catch up", Duration::from_secs(30), || async {
        (lagging_raft.metrics().borrow().last_applied >= target).then_some(())
    })
    .await;
    let installed = lagging_raft.metrics().borrow().snapshot;
    assert!(
        installed.is_some_and(|snapshot| snapshot.index >= purged.index),
        "caught up without a snapshot: {installed:?}"
    );
    let leader_digest = cluster.nodes[leader].running().state.digest().unwrap();
    let lagging_digest = until("equal state digests", Duration::from_secs(10), || async {
        let digest = cluster.nodes[lagging].running().state.digest().unwrap();
        (digest == leader_digest).then_some(digest)
    })
    .await;
    assert_eq!(lagging_digest, leader_digest);
}
