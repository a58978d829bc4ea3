//! Failover: the client keeps working while nodes are down, and fails clearly when none is up.

use coupon_client::api::{ReadConsistency, RedeemRequest};
use coupon_client::{ClientError, TransportErrorKind};

use crate::support::LocalCluster;
use crate::{client, coupon_request};

/// Goal: with a follower SIGKILLed, a client whose first node is that follower still writes and
/// reads. Steps: 3 nodes; kill a follower; a client listing the dead node first creates a
/// coupon, redeems it and reads it back linearizably.
#[tokio::test]
async fn a_dead_first_node_is_skipped() {
    let mut cluster = LocalCluster::start(3);
    let leader = cluster.leader();
    let follower = (leader + 1) % 3;
    cluster.kill(follower);
    let mut nodes = cluster.api_addrs();
    nodes.rotate_left(follower);
    let client = client(nodes);

    let coupon = client.generate(&coupon_request(3)).await.expect("generate").value;
    let redeemed = client.redeem(coupon.id, &RedeemRequest::new("u-1")).await.expect("redeem");
    assert_eq!(redeemed.value.coupon.remaining, 2);
    let read = client.get_coupon(coupon.id, ReadConsistency::Linearizable).await.expect("get");
    assert_eq!(read.times_redeemed, 1);
}

/// Goal: when the leader dies, the client's retries carry it through the election. Steps: 3
/// nodes; a coupon; SIGKILL the leader; redeem through a client that lists the dead leader
/// first; the redeem succeeds once a new leader is elected, and the restarted old leader
/// catches up.
#[tokio::test]
async fn writes_survive_the_leader_dying() {
    let mut cluster = LocalCluster::start(3);
    let leader = cluster.leader();
    let mut nodes = cluster.api_addrs();
    nodes.rotate_left(leader);
    let client = client(nodes);
    let coupon = client.generate(&coupon_request(5)).await.expect("generate").value;

    cluster.kill(leader);
    let redeemed = client.redeem(coupon.id, &RedeemRequest::new("u-1")).await.expect("redeem");
    assert_eq!(redeemed.value.coupon.times_redeemed, 1);
    assert_ne!(cluster.leader(), leader, "a new leader was elected");

    cluster.restart(leader);
    let old_leader = crate::client(vec![cluster.nodes[leader].api_addr.clone()]);
    let read = old_leader.get_coupon(coupon.id, ReadConsistency::Linearizable).await.expect("get");
    assert_eq!(read.times_redeemed, 1);
}

/// Goal: no reachable node is a retryable transport error, not a hang. Steps: a client of two
/// closed ports; a read fails with `Transport(Connect)` after its bounded attempts.
#[tokio::test]
async fn no_reachable_node_is_a_transport_error() {
    let closed: Vec<String> = (0..2)
        .map(|_| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
            listener.local_addr().expect("bound").to_string()
        })
        .collect();
    let config = coupon_client::ClientConfig { attempts_max: 3, ..Default::default() };
    let client = coupon_client::HttpCouponClient::new(closed, config).expect("client");
    let error = client
        .get_coupon(coupon_client::api::CouponId(1), ReadConsistency::Local)
        .await
        .expect_err("nothing listens");
    assert!(error.is_retryable(), "{error}");
    assert!(
        matches!(&error, ClientError::Transport(failure) if failure.kind == TransportErrorKind::Connect),
        "{error:?}"
    );
}
