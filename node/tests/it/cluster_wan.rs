//! Regions over emulated wide-area links: node processes on loopback addresses of their own,
//! every link between them through `coupon-wan-relay`, and the leader still moves to the
//! preferred leader region.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::http::{coupon_body, create_coupon, get};
use crate::support::processes::{NodePlace, ProcessCluster};
use crate::support::relay::RelayProcess;
use crate::support::wait::until;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Node 1, which bootstraps and so leads first, is in "us"; the preferred region is node 3's.
const REGIONS: [&str; 3] = ["us", "ap", "eu"];
/// One-way delays in ms, a tenth of scripts/regions.sh's, so that the default-sized test
/// timings below still reach every node, a new connection's handshake included.
const LATENCY: &str = "--latency-ms=eu:eu=1,us:us=1,ap:ap=1,eu:us=4,us:ap=9,eu:ap=15";
/// openraft gives up on an AppendEntries after one heartbeat: longer than a new eu-ap
/// connection's first answer (4 one-way delays) on a busy machine.
const RAFT_TIMING: [&str; 3] =
    ["--heartbeat-ms=300", "--election-timeout-ms-min=1000", "--election-timeout-ms-max=2000"];

/// Node `id`'s own address, 127.0.0.3x: none of scripts/regions.sh's or chaos.sh's.
fn host(id: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 30 + id as u8))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_moves_to_the_preferred_region_through_delayed_links() {
    // Goal: with every link between nodes delayed as between regions, the leader still hands
    // leadership to the preferred region, and a write from another region reaches it. Steps:
    // three nodes on 127.0.0.31-33 (us, ap, eu), each connecting from its own address; the
    // relay fronts each node's peer listener, and each node advertises its front; node 1 (us)
    // bootstraps. Then: the members are recorded at the relay's fronts, node 1 hands
    // leadership on (its handoff counter says so, so a cluster that elected node 3 by chance
    // proves nothing and fails), every node names node 3 in eu, and a coupon created through
    // node 2 (ap) is there on node 3.
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut places: Vec<NodePlace> =
        (1..=REGIONS.len()).map(|id| NodePlace::on(host(id))).collect();
    let mut relay_args = vec![LATENCY.to_owned()];
    for (index, place) in places.iter().enumerate() {
        let (host, region) = (host(index + 1), REGIONS[index]);
        relay_args.push(format!("--route={host}:0={}@{region}", place.peer_addr));
        relay_args.push(format!("--source={host}={region}"));
    }
    let relay = RelayProcess::start(places.len(), &relay_args);
    for (index, place) in places.iter_mut().enumerate() {
        place.advertised_peer_addr = relay.fronts[index].to_string();
        place.source_addr = Some(host(index + 1));
        place.region = Some(REGIONS[index].to_owned());
    }
    let mut flags = vec!["--preferred-leader-region=eu"];
    flags.extend(RAFT_TIMING);
    let cluster = ProcessCluster::start_placed(places, &flags).await;
    let apis = cluster.api_addrs();

    let members = get(&apis[0], "/cluster").await.body["members"].clone();
    let recorded: Vec<&Value> =
        members.as_array().expect("members").iter().map(|member| &member["peer_addr"]).collect();
    let fronts: Vec<Value> = relay.fronts.iter().map(|front| json!(front.to_string())).collect();
    assert_eq!(recorded, fronts.iter().collect::<Vec<_>>(), "members reached through the relay");

    until("node 1 handed leadership on", Duration::from_secs(60), || async {
        let text =
            reqwest::get(format!("http://{}/metrics", apis[0])).await.ok()?.text().await.ok()?;
        text.contains("coupon_leader_handoffs_total{outcome=\"moved\"} 1").then_some(())
    })
    .await;
    until("every node names node 3, in eu, as leader", Duration::from_secs(30), || async {
        for api in &apis {
            let status = get(api, "/cluster").await.body;
            if status["leader_id"] != json!(3) || status["leader_region"] != json!("eu") {
                return None;
            }
        }
        Some(())
    })
    .await;

    let coupon_id = create_coupon(&apis[1], &coupon_body("WAN-MOVE", 10)).await;
    let reply = get(&apis[2], &format!("/coupons/{coupon_id}")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}
