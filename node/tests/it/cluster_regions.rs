//! Regions: each member's region in the membership, in `GET /cluster` and in `/metrics`, and the
//! leader moved to the preferred leader region whenever a voter there has caught up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::http::{client, coupon_body, create_coupon, full_history, get, post_json};
use crate::support::in_process::{InProcessCluster, InProcessNode};
use crate::support::wait::until;
use crate::support::ONE_CLUSTER_AT_A_TIME;

const REGIONS: [&str; 3] = ["us", "ap", "eu"];

fn regional_flags(id: u64) -> Vec<String> {
    vec![
        format!("--region={}", REGIONS[(id - 1) as usize % REGIONS.len()]),
        "--preferred-leader-region=eu".to_owned(),
    ]
}

/// Waits until every running node names `leader` as leader, in `region`.
async fn leader_is(nodes: &[InProcessNode], leader: u64, region: &str) {
    let what = format!("node {leader} leads, in {region}, as every node sees it");
    until(&what, Duration::from_secs(40), || async {
        for node in nodes.iter().filter(|node| node.running.is_some()) {
            let status = get(&node.api_addr, "/cluster").await.body;
            if status["leader_id"] != json!(leader) || status["leader_region"] != json!(region) {
                return None;
            }
        }
        Some(())
    })
    .await;
}

/// What the redeems were answered.
#[derive(Default)]
struct Answers {
    /// 201: the orders granted.
    granted: Vec<String>,
    /// 503: the orders refused as not applied (no leader reachable during a failover).
    not_applied: Vec<String>,
    /// 504: how many answers left the outcome unknown.
    unknown: u64,
}

/// Redeems of `coupon_id` through `apis` in turn, one order each, until `stop`.
async fn redeem_until(apis: Vec<String>, coupon_id: u64, stop: Arc<AtomicBool>) -> Answers {
    let mut answers = Answers::default();
    for attempt in 0u64.. {
        if stop.load(Ordering::Relaxed) || attempt >= 5_000 {
            break;
        }
        let order = format!("order-{attempt}");
        let body = json!({"user_id": format!("user-{attempt}"), "order_id": order});
        let api = &apis[attempt as usize % apis.len()];
        let reply = post_json(api, &format!("/coupons/{coupon_id}/redeem"), &body, None).await;
        match reply.status {
            201 => answers.granted.push(order),
            503 => answers.not_applied.push(order),
            504 => answers.unknown += 1,
            status => panic!("redeem {attempt} answered {status}: {}", reply.body),
        }
    }
    answers
}

/// Goal: a leader outside the preferred region hands leadership to a voter there, and it comes
/// back after that voter is lost and returns; no write is lost or applied twice meanwhile.
/// Steps: three nodes in us, ap and eu, all preferring eu. Node 1 (us) is initialised, so it
/// campaigns at once and leads first. While redeems go to every node: every node sees node 3
/// (eu) lead; then node 3 stops, another node leads, node 3 starts again and leads again. Every
/// granted redeem is in the history, none answered 503 is, and the coupon counts the granted
/// ones plus at most the unknown ones. `GET /cluster` shows each member's region, `/metrics` the leader's region
/// and a handoff that moved leadership.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_moves_to_the_preferred_region_and_back_after_it_returns() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = InProcessCluster::start_each(3, regional_flags).await;
    let first = &cluster.nodes[cluster.leader().await];
    assert_eq!(first.id, 1, "the initialised node campaigns first");
    let api = cluster.nodes[0].api_addr.clone();
    let coupon_id = create_coupon(&api, &coupon_body("REGIONS-MOVE", 1_000_000)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let redeems =
        tokio::spawn(redeem_until(cluster.api_addrs()[..2].to_vec(), coupon_id, stop.clone()));

    leader_is(&cluster.nodes, 3, "eu").await;
    let status = get(&api, "/cluster").await.body;
    let regions: Vec<(u64, Value)> = status["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| (member["id"].as_u64().unwrap(), member["region"].clone()))
        .collect();
    assert_eq!(regions, [(1, json!("us")), (2, json!("ap")), (3, json!("eu"))]);
    assert_eq!(
        (&status["region"], &status["preferred_leader_region"]),
        (&json!("us"), &json!("eu"))
    );
    let text = metrics_text(&api).await;
    assert!(text.contains("coupon_leader_region{region=\"eu\"} 1"), "{text}");
    assert!(text.contains("coupon_node_region{region=\"us\"} 1"), "{text}");
    assert!(
        text.contains("coupon_leader_handoffs_total{outcome=\"moved\"} 1"),
        "node 1 handed leadership on once: {text}"
    );

    cluster.nodes[2].stop().await;
    let fallback = cluster.leader().await;
    assert_ne!(cluster.nodes[fallback].id, 3);
    cluster.nodes[2].boot().await;
    leader_is(&cluster.nodes, 3, "eu").await;

    stop.store(true, Ordering::Relaxed);
    let Answers { granted, not_applied, unknown } = redeems.await.expect("redeems");
    assert!(!granted.is_empty(), "no redeem was granted");
    let history = full_history(&api, coupon_id, "linearizable").await;
    let orders: std::collections::BTreeSet<&str> =
        history.iter().filter_map(|redemption| redemption["order_id"].as_str()).collect();
    assert_eq!(orders.len(), history.len(), "an order redeemed twice");
    for order in &granted {
        assert!(orders.contains(order.as_str()), "granted {order} is not in the history");
    }
    for order in &not_applied {
        assert!(!orders.contains(order.as_str()), "{order} was answered 503 and applied");
    }
    let counted = history.len() as u64;
    assert!(
        counted >= granted.len() as u64 && counted <= granted.len() as u64 + unknown,
        "{counted} redemptions for {} granted and {unknown} unknown",
        granted.len()
    );
}

/// The Prometheus text of `api`'s `/metrics`.
async fn metrics_text(api: &str) -> String {
    let response = client().get(format!("http://{api}/metrics")).send().await.expect("metrics");
    response.text().await.expect("metrics text")
}

/// Goal: the membership records the region a node is configured with, whatever a request says.
/// Steps: a one-node cluster in eu and a spare node 2 configured for us. Adding node 2 as in eu
/// is 422 and changes nothing; adding it without a region records us.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_recorded_in_the_region_it_is_configured_with() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start_each(1, |_| vec!["--region=eu".to_owned()]).await;
    let api = cluster.nodes[0].api_addr.clone();
    let spare = InProcessCluster::start_spare(2, &["--region=us"]).await;
    let member = |region: Option<&str>| {
        let mut member = json!({"id": 2, "api_addr": spare.api_addr, "peer_addr": spare.peer_addr});
        if let Some(region) = region {
            member["region"] = json!(region);
        }
        member
    };
    let misplaced = post_json(&api, "/cluster/members", &member(Some("eu")), None).await;
    assert_eq!(misplaced.status, 422, "{}", misplaced.body);
    assert!(
        misplaced.body["detail"].as_str().unwrap_or_default().contains("us"),
        "{}",
        misplaced.body
    );
    let members = get(&api, "/cluster").await.body["members"].clone();
    assert_eq!(members.as_array().map(Vec::len), Some(1), "{members}");
    let malformed = post_json(&api, "/cluster/members", &member(Some("US East")), None).await;
    assert_eq!(malformed.status, 422, "{}", malformed.body);

    let added = post_json(&api, "/cluster/members", &member(None), None).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let recorded = added.body["members"]
        .as_array()
        .and_then(|members| members.iter().find(|m| m["id"] == json!(2)).cloned())
        .expect("node 2 is a member");
    assert_eq!(recorded["region"], json!("us"));
}
