//! Membership changes go through the leader's own checks: a new member proves who it is before
//! anything is sent to it, joins as a learner and becomes a voter once caught up, and no change
//! may leave the cluster without a quorum that replicates now.

use raft_store::domain::AuditAction;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coupon_node::peer::codec;
use coupon_node::peer::identity::IdentityAnswer;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::http::{client, coupon_body, create_coupon, get, post_json, send, Reply};
use crate::support::in_process::{InProcessCluster, InProcessNode};
use crate::support::wait::until;
use crate::support::ONE_CLUSTER_AT_A_TIME;

const SECRET: &str = "membership-test-secret-4f1c9a";

fn member(id: u64, api_addr: &str, peer_addr: &str) -> Value {
    json!({"id": id, "api_addr": api_addr, "peer_addr": peer_addr})
}

fn spare_member(node: &InProcessNode) -> Value {
    member(node.id, &node.api_addr, &node.peer_addr)
}

fn refused(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 409, "{what}: {}", reply.body);
    assert_eq!(reply.code(), "membership_refused", "{what}: {}", reply.body);
    assert!(reply.is_problem(), "{what}: {}", reply.body);
}

/// The ids of the members `api` lists, each with whether it votes.
async fn members(api: &str) -> Vec<(u64, bool)> {
    let status = get(api, "/cluster").await.body;
    let members = status["members"].as_array().expect("members").iter();
    members.map(|m| (m["id"].as_u64().unwrap(), m["voter"].as_bool().unwrap())).collect()
}

async fn remove(api: &str, id: u64) -> Reply {
    send(client().delete(format!("http://{api}/cluster/members/{id}"))).await
}

/// Goal: the request that once bricked a single-node cluster (a voter that never answers) is
/// refused, and the cluster keeps serving.
/// Steps: a one-node cluster; add node 99 at addresses where nothing listens: 409, the members
/// are unchanged, and right after a write succeeds and /readyz answers 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_node_that_never_answers_is_refused_and_the_cluster_keeps_serving() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = cluster.nodes[0].api_addr.clone();
    let brick = member(99, "127.0.0.1:1", "127.0.0.1:2");
    refused(&post_json(&api, "/cluster/members", &brick, None).await, "a node that never answers");
    assert_eq!(members(&api).await, [(1, true)]);
    let write = post_json(&api, "/coupons/generate", &coupon_body("STILL-SERVING", 5), None).await;
    assert_eq!(write.status, 201, "a write right after: {}", write.body);
    let ready = get(&api, "/readyz").await;
    assert_eq!(ready.status, 200, "ready right after: {}", ready.body);
}

/// Everything that reached a hostile listener.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<u8>>>);

impl Recorded {
    fn contains(&self, needle: &[u8]) -> bool {
        self.0.lock().unwrap().windows(needle.len()).any(|window| window == needle)
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// A listener that records every byte sent to it and answers each request as node `claimed_id`
/// would without a secret (a plausible answer to the identity challenge, minus the proof).
async fn hostile_listener(claimed_id: u64) -> (String, Recorded) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let recorded = Recorded::default();
    let answer =
        codec::encode(&IdentityAnswer { node_id: claimed_id, region: None, proof: None }).unwrap();
    let sink = recorded.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (sink, answer) = (sink.clone(), answer.clone());
            tokio::spawn(async move {
                let mut buffer = [0u8; 64 * 1024];
                let mut answered = false;
                loop {
                    let patience = Duration::from_millis(if answered { 3000 } else { 200 });
                    match tokio::time::timeout(patience, stream.read(&mut buffer)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => return,
                        Ok(Ok(read)) => sink.0.lock().unwrap().extend_from_slice(&buffer[..read]),
                        Err(_) if answered => return,
                        Err(_) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                                 content-length: {}\r\n\r\n",
                                answer.len()
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                            let _ = stream.write_all(&answer).await;
                            answered = true;
                        }
                    }
                }
            });
        }
    });
    (addr, recorded)
}

/// Goal: naming a hostile peer_addr reveals neither the cluster secret nor any log data to it,
/// and a real node with another secret is refused too.
/// Steps: a one-node cluster with a secret and a coupon in its log; add node 99 at a listener
/// that records every byte and answers the identity challenge as node 99 without a proof: 409,
/// the recording holds the challenge but neither the secret, its header, a Raft route nor the
/// coupon's code, and the members are unchanged. Then a real node 2 started with another secret:
/// 409 as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_peer_addr_learns_neither_the_secret_nor_the_log() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let secret_flag = format!("--cluster-secret={SECRET}");
    let cluster = InProcessCluster::start(1, &[&secret_flag]).await;
    let api = cluster.nodes[0].api_addr.clone();
    create_coupon(&api, &coupon_body("LOG-DATA-MARKER", 5)).await;

    let (hostile, recorded) = hostile_listener(99).await;
    let request = member(99, &hostile, &hostile);
    refused(&post_json(&api, "/cluster/members", &request, None).await, "a hostile peer_addr");
    // Give a leader that did send anything (its replication) time to reach the listener.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!recorded.contains(SECRET.as_bytes()), "the secret reached a hostile address");
    assert!(!recorded.contains(b"x-coupon-cluster-secret"), "the secret header reached it");
    assert!(!recorded.contains(b"/raft/"), "Raft RPC reached a hostile address");
    assert!(!recorded.contains(b"LOG-DATA-MARKER"), "log data reached a hostile address");
    // And the listener did see the challenge: the recording works.
    assert!(recorded.contains(b"/peer/identity"), "no challenge in {} bytes", recorded.len());
    assert_eq!(members(&api).await, [(1, true)]);

    let impostor = InProcessCluster::start_spare(2, &["--cluster-secret=another-secret"]).await;
    let wrong_secret = post_json(&api, "/cluster/members", &spare_member(&impostor), None).await;
    refused(&wrong_secret, "a node with another secret");
    assert_eq!(members(&api).await, [(1, true)]);
    assert_eq!(get(&api, "/readyz").await.status, 200);
}

/// Goal: the peer routes that act refuse a caller without the cluster secret; the identity
/// challenge alone is open, and its answer does not show the secret.
/// Steps: a one-node cluster with a secret; POST /peer/propose and /peer/membership without it:
/// 401 problem+json; POST /peer/identity without it: 200, without the secret in the body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_peer_calls_without_the_secret_are_401() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let secret_flag = format!("--cluster-secret={SECRET}");
    let cluster = InProcessCluster::start(1, &[&secret_flag]).await;
    let peer = cluster.nodes[0].peer_addr.clone();
    for route in ["/peer/propose", "/peer/membership", "/raft/append"] {
        let forged = send(client().post(format!("http://{peer}{route}")).body(vec![1u8; 64])).await;
        assert_eq!(forged.status, 401, "{route}: {}", forged.body);
        assert_eq!(forged.code(), "unauthorized", "{route}");
        assert!(forged.is_problem(), "{route}");
    }
    let nonce = codec::encode(&[7u8; 32]).unwrap();
    let identity = client().post(format!("http://{peer}/peer/identity")).body(nonce);
    let identity = identity.send().await.unwrap();
    assert_eq!(identity.status(), 200);
    let body = identity.bytes().await.unwrap();
    let answer: IdentityAnswer = codec::decode(&body).unwrap();
    assert_eq!(answer.node_id, 1);
    assert!(!body.windows(SECRET.len()).any(|window| window == SECRET.as_bytes()));
}

/// Goal: a real node still joins (learner, then voter) and leaves, both idempotently, and a
/// removal that would leave no quorum that replicates is refused.
/// Steps: a three-node cluster with a secret and a coupon; start node 4 with the same secret and
/// add it through a follower: 200, it votes and serves the coupon; adding it again: 200. Remove
/// it: 200, and again: 200. Stop one follower and remove the other: 409, nothing changed, and
/// writes still commit. The audit trail holds each change that answered 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_node_joins_as_a_voter_and_leaves_and_quorum_is_kept() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let secret_flag = format!("--cluster-secret={SECRET}");
    let mut cluster = InProcessCluster::start(3, &[&secret_flag]).await;
    let leader = cluster.leader().await;
    let leader_api = cluster.nodes[leader].api_addr.clone();
    let follower = (0..3).find(|index| *index != leader).unwrap();
    let follower_api = cluster.nodes[follower].api_addr.clone();
    let coupon = create_coupon(&leader_api, &coupon_body("BEFORE-JOIN", 5)).await;

    let mut fourth = InProcessCluster::start_spare(4, &[&secret_flag]).await;
    let added = post_json(&follower_api, "/cluster/members", &spare_member(&fourth), None).await;
    assert_eq!(added.status, 200, "add node 4: {}", added.body);
    assert!(members(&leader_api).await.contains(&(4, true)), "node 4 votes");
    let local = format!("/coupons/{coupon}?consistency=local");
    until("node 4 to hold the coupon", Duration::from_secs(10), || async {
        (get(&fourth.api_addr, &local).await.status == 200).then_some(())
    })
    .await;
    let again = post_json(&leader_api, "/cluster/members", &spare_member(&fourth), None).await;
    assert_eq!(again.status, 200, "adding a voter again: {}", again.body);
    let moved = member(4, &fourth.api_addr, "127.0.0.1:9");
    refused(&post_json(&leader_api, "/cluster/members", &moved, None).await, "node 4 elsewhere");

    assert_eq!(remove(&leader_api, 4).await.status, 200, "remove node 4");
    assert!(!members(&leader_api).await.iter().any(|(id, _)| *id == 4));
    assert_eq!(remove(&follower_api, 4).await.status, 200, "removing it again");
    // A removed node hears no more from the cluster: stop it, as the API's description says.
    fourth.stop().await;

    let others: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
    cluster.nodes[others[0]].stop().await;
    let last_follower = cluster.nodes[others[1]].id;
    refused(&remove(&leader_api, last_follower).await, "a removal that leaves no quorum");
    assert_eq!(members(&leader_api).await.len(), 3);
    let write = coupon_body("AFTER-LEAVE", 5);
    let write = post_json(&leader_api, "/coupons/generate", &write, None).await;
    assert_eq!(write.status, 201, "writes still commit: {}", write.body);

    // Every change that answered 200 is in the audit trail (a repeated one again), none refused.
    let state = &cluster.nodes[leader].running().state;
    let records = state.read(|state| state.audit_records(None, 100)).unwrap();
    let membership: Vec<AuditAction> = records
        .into_iter()
        .map(|record| record.action)
        .filter(|action| {
            matches!(action, AuditAction::MemberAdded(_) | AuditAction::MemberRemoved(_))
        })
        .collect();
    use AuditAction::{MemberAdded, MemberRemoved};
    assert_eq!(membership, [MemberAdded(4), MemberAdded(4), MemberRemoved(4), MemberRemoved(4)]);
}
