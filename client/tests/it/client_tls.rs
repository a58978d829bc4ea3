//! TLS: a three-node cluster whose nodes serve both listeners over TLS (certificates from a CA
//! made by the test) passes the race and the failover through the client over https, and
//! refuses plain HTTP and clients that do not trust its CA.

use std::time::Duration;

use coupon_client::api::{ErrorCode, ReadConsistency, RedeemRequest};
use coupon_client::{ClientConfig, ClientError, HttpCouponClient};
use futures::future::join_all;

use crate::coupon_request;
use crate::support::{LocalCluster, TestCa};

const LIMIT: u64 = 20;
const ATTEMPTS: usize = 200;

/// A client of `nodes` over https that trusts `ca` and rides out an election.
fn tls_client(nodes: &[String], ca: &TestCa) -> HttpCouponClient {
    let config = ClientConfig {
        attempts_max: 20,
        backoff_max: Duration::from_millis(500),
        ca_cert_pem: Some(ca.ca_pem.clone().into_bytes()),
        ..ClientConfig::default()
    };
    let nodes = nodes.iter().map(|node| format!("https://{node}")).collect();
    HttpCouponClient::new(nodes, config).expect("a valid node list")
}

/// A client that gives up after two attempts, for calls that must fail.
fn impatient(nodes: Vec<String>, ca_cert_pem: Option<Vec<u8>>) -> HttpCouponClient {
    let config = ClientConfig {
        attempts_max: 2,
        request_timeout: Duration::from_secs(2),
        ca_cert_pem,
        ..ClientConfig::default()
    };
    HttpCouponClient::new(nodes, config).expect("a valid node list")
}

/// Goal: over TLS, racing redeems grant exactly the usage limit, and the TLS ports answer
/// neither plain HTTP nor a client without the CA. Steps: a TLS cluster of 3; a coupon of 20
/// uses; 200 concurrent redeems by distinct users through one https client that spreads
/// nothing but retries; count 201s and 409 usage_limit_reached; then a plain-HTTP client and
/// an https client trusting only the system roots both fail without an answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_redeems_over_tls_grant_exactly_the_limit() {
    let ca = TestCa::new();
    let cluster = LocalCluster::start_tls(3, &ca, &[]);
    let nodes = cluster.api_addrs();
    let client = tls_client(&nodes, &ca);
    let coupon = client.generate(&coupon_request(LIMIT)).await.expect("generate").value;

    let redeems = (0..ATTEMPTS).map(|i| {
        let client = client.clone();
        async move { client.redeem(coupon.id, &RedeemRequest::new(format!("user-{i}"))).await }
    });
    let replies = join_all(redeems).await;
    let granted = replies.iter().filter(|reply| reply.is_ok()).count();
    let refused = replies
        .iter()
        .filter(|reply| {
            matches!(reply, Err(ClientError::Api { status: 409, problem, .. })
                if problem.code == ErrorCode::UsageLimitReached)
        })
        .count();
    assert_eq!((granted as u64, refused), (LIMIT, ATTEMPTS - LIMIT as usize));
    let read = client.get_coupon(coupon.id, ReadConsistency::Linearizable);
    assert_eq!(read.await.expect("get").times_redeemed, LIMIT);

    let plain = impatient(nodes.clone(), None).get_coupon(coupon.id, ReadConsistency::Local).await;
    assert!(matches!(plain, Err(ClientError::Transport(_))), "plain HTTP got {plain:?}");
    let https_nodes: Vec<String> = nodes.iter().map(|node| format!("https://{node}")).collect();
    let untrusting =
        impatient(https_nodes, None).get_coupon(coupon.id, ReadConsistency::Local).await;
    assert!(matches!(untrusting, Err(ClientError::Transport(_))), "no CA got {untrusting:?}");
}

/// Goal: over TLS, writes survive the leader dying (peer RPC, forwarding and elections all run
/// over TLS). Steps: a TLS cluster of 3; a coupon; SIGKILL the leader; a redeem through an
/// https client listing the dead leader first succeeds once a new leader is elected; so do
/// more writes after it.
#[tokio::test]
async fn writes_survive_the_leader_dying_over_tls() {
    let ca = TestCa::new();
    let mut cluster = LocalCluster::start_tls(3, &ca, &[]);
    let leader = cluster.leader();
    let mut nodes = cluster.api_addrs();
    nodes.rotate_left(leader);
    let client = tls_client(&nodes, &ca);
    let coupon = client.generate(&coupon_request(5)).await.expect("generate").value;

    cluster.kill(leader);
    let redeemed = client.redeem(coupon.id, &RedeemRequest::new("u-1")).await.expect("redeem");
    assert_eq!(redeemed.value.coupon.times_redeemed, 1);
    assert_ne!(cluster.leader(), leader, "a new leader was elected");
    let second = client.generate(&coupon_request(1)).await.expect("a write after failover");
    assert_ne!(second.value.id, coupon.id);
}
