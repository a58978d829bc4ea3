//! Running it in production: metrics that move with their events, low-stock alerts decided once
//! and delivered at least once across a leader change, per-client rate limits, and shedding at
//! the in-flight proposal bound.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::support::http::{client, coupon_body, create_coupon, get, post_json, redeem_body, send};
use crate::support::in_process::InProcessCluster;
use crate::support::wait::until;
use crate::support::{webhook, ONE_CLUSTER_AT_A_TIME};

/// The value of the sample `name` (with its labels, as Prometheus writes them) in `/metrics`.
async fn sample(api: &str, name: &str) -> f64 {
    sample_as(api, name, None).await
}

/// `sample`, asked with the bearer key `secret` when the node needs one.
async fn sample_as(api: &str, name: &str, secret: Option<&str>) -> f64 {
    let mut request = client().get(format!("http://{api}/metrics"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let text = request.send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

/// Goal: each metric moves when its event happens. Steps: one node; read the counters; grant a
/// redeem and refuse one; read them again; check Raft's gauges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_their_events() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let granted = "coupon_redeems_total{outcome=\"granted\"}";
    let refused = "coupon_redeems_total{outcome=\"usage_limit_reached\"}";
    let requests =
        "coupon_http_requests_total{method=\"POST\",route=\"/coupons/{id}/redeem\",status=\"201\"}";
    let coupon_id = create_coupon(api, &coupon_body("METERED", 1)).await;
    let before =
        (sample(api, granted).await, sample(api, refused).await, sample(api, requests).await);

    assert_eq!(
        post_json(api, &format!("/coupons/{coupon_id}/redeem"), &redeem_body("a", None), None)
            .await
            .status,
        201
    );
    assert_eq!(
        post_json(api, &format!("/coupons/{coupon_id}/redeem"), &redeem_body("b", None), None)
            .await
            .status,
        409
    );

    assert_eq!(sample(api, granted).await, before.0 + 1.0);
    assert_eq!(sample(api, refused).await, before.1 + 1.0);
    assert_eq!(sample(api, requests).await, before.2 + 1.0);
    assert!(sample(api, "coupon_raft_term").await >= 1.0);
    assert_eq!(sample(api, "coupon_raft_is_leader").await, 1.0);
    let applied = sample(api, "coupon_raft_applied_index").await;
    assert!(applied >= 3.0 && applied == sample(api, "coupon_raft_committed_index").await);
    assert!(
        sample(api, "coupon_batch_requests_count").await >= 3.0,
        "each write went through a batch"
    );
}

/// Goal: a low-stock alert is raised once in the replicated state and delivered at least once,
/// even when the leader that raised it dies before delivering it.
/// Steps: three nodes with a webhook that refuses everything; a 10-use coupon with threshold 5;
/// five redeems raise the alert; once the leader has tried (and failed) to deliver, stop it and
/// let the webhook accept; the new leader delivers alert 1; more redeems raise nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_low_stock_alert_is_raised_once_and_delivered_across_a_leader_change() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let (url, received) = webhook::start().await;
    let mut cluster = InProcessCluster::start(3, &[&format!("--alert-webhook={url}")]).await;
    let leader = cluster.leader().await;
    let api = cluster.nodes[leader].api_addr.clone();
    let mut body = coupon_body("LOW-STOCK", 10);
    body["low_stock_threshold"] = json!(5);
    let coupon_id = create_coupon(&api, &body).await;
    for user in 0..5 {
        let reply = post_json(
            &api,
            &format!("/coupons/{coupon_id}/redeem"),
            &redeem_body(&format!("u{user}"), None),
            None,
        )
        .await;
        assert_eq!(reply.status, 201);
    }
    until("the leader to try the webhook", Duration::from_secs(10), || async {
        (received.attempts() > 0).then_some(())
    })
    .await;
    cluster.nodes[leader].stop().await;
    received.accept(true);

    let new_leader = cluster.leader().await;
    let api = cluster.nodes[new_leader].api_addr.clone();
    let delivered = until("the new leader to deliver", Duration::from_secs(20), || async {
        let accepted = received.accepted();
        (!accepted.is_empty()).then_some(accepted)
    })
    .await;
    assert_eq!(delivered[0]["id"], 1);
    assert_eq!(
        (delivered[0]["coupon_id"].as_u64(), delivered[0]["remaining"].as_u64()),
        (Some(coupon_id), Some(5))
    );
    for user in 5..8 {
        let reply = post_json(
            &api,
            &format!("/coupons/{coupon_id}/redeem"),
            &redeem_body(&format!("u{user}"), None),
            None,
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    // Three more uses went below the threshold again (remaining 2): still no second alert.
    let coupon = get(&api, &format!("/coupons/{coupon_id}")).await.body;
    assert_eq!(coupon["remaining"], 2, "{coupon}");
    for node in cluster.nodes.iter().filter(|node| node.running.is_some()) {
        let alerts = get(&node.api_addr, "/alerts").await.body["alerts"].clone();
        assert_eq!(alerts.as_array().map(Vec::len), Some(1), "node {}: {alerts}", node.id);
        assert_eq!(alerts[0]["threshold"], 5);
    }
    // A negative property has no event to wait for: give the leader's delivery loop a few retry
    // periods in which a second alert, were there one, would be sent.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids: BTreeSet<_> = received.accepted().iter().map(|alert| alert["id"].as_u64()).collect();
    assert_eq!(ids, BTreeSet::from([Some(1)]), "only alert 1 was ever sent");
}

/// Goal: a key over its rate gets 429 with Retry-After; other keys are not affected, and a
/// caller cannot make itself new buckets. Steps: one node limited to 5 requests per second per
/// caller; a coupon, then two storefront keys and a readonly one (the node runs open until the
/// first); 20 validates at once with key A; one with key B; 20 with unknown keys (401, not 200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_gets_429_and_others_do_not() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster =
        InProcessCluster::start(1, &["--rate-limit-per-second=5", "--rate-limit-burst=5"]).await;
    let api = &cluster.nodes[0].api_addr;
    let coupon_id = create_coupon(api, &coupon_body("LIMITED", 10)).await;
    let created = post_json(api, "/keys", &json!({ "role": "admin" }), None).await;
    let admin = created.body["secret"].as_str().expect("the first key, made open").to_owned();
    let key = |role: &'static str| {
        let request = client().post(format!("http://{api}/keys")).bearer_auth(&admin);
        async move {
            let reply = send(request.json(&json!({ "role": role }))).await;
            reply.body["secret"].as_str().expect("a key").to_owned()
        }
    };
    let (shop_a, shop_b) = (key("storefront").await, key("storefront").await);
    let validate = format!("http://{api}/coupons/{coupon_id}/validate");
    let burst = (0..20).map(|_| send(client().get(&validate).bearer_auth(&shop_a)));
    let replies = join_all(burst).await;
    let limited: Vec<_> = replies.iter().filter(|reply| reply.status == 429).collect();
    assert!(limited.len() >= 10, "only {} of 20 were limited", limited.len());
    assert!(limited.iter().all(|reply| reply.code() == "rate_limited" && reply.is_problem()));
    assert!(limited[0].headers.get("retry-after").is_some());
    assert_eq!(send(client().get(&validate).bearer_auth(&shop_b)).await.status, 200);
    let strangers = (0..20).map(|n| send(client().get(&validate).bearer_auth(format!("cpk_{n}"))));
    assert!(join_all(strangers).await.iter().all(|reply| reply.status == 401));
    let reader = key("readonly").await;
    assert!(sample_as(api, "coupon_rate_limited_total", Some(&reader)).await >= 10.0);
    let cluster_status =
        send(client().get(format!("http://{api}/cluster")).bearer_auth(&reader)).await;
    assert_eq!(
        cluster_status.status, 200,
        "routes other than validate, redeem and the code lookup are not limited"
    );
}

/// Goal: past the in-flight proposal bound a node sheds writes with 503 and Retry-After instead
/// of queueing them; nothing shed is applied. Steps: one node allowing 1 proposal in flight;
/// 200 redeems at once; count the answers against the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_past_the_proposal_bound_are_shed_with_503() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &["--max-in-flight-proposals=1"]).await;
    let api = cluster.nodes[0].api_addr.clone();
    let coupon_id = create_coupon(&api, &coupon_body("SHED", 1000)).await;
    let redeems = (0..200).map(|user| {
        let api = api.clone();
        async move {
            post_json(
                &api,
                &format!("/coupons/{coupon_id}/redeem"),
                &redeem_body(&format!("u{user}"), None),
                None,
            )
            .await
        }
    });
    let replies = join_all(redeems).await;
    let shed: Vec<_> = replies.iter().filter(|reply| reply.status == 503).collect();
    let granted = replies.iter().filter(|reply| reply.status == 201).count();
    assert!(!shed.is_empty(), "no write was shed");
    assert!(shed
        .iter()
        .all(|reply| reply.code() == "unavailable" && reply.headers.get("retry-after").is_some()));
    assert_eq!(granted + shed.len(), 200, "every write was either granted or shed");
    let coupon = get(&api, &format!("/coupons/{coupon_id}")).await.body;
    assert_eq!(coupon["times_redeemed"].as_u64(), Some(granted as u64), "a shed write was applied");
    assert_eq!(sample(&api, "coupon_shed_total").await, shed.len() as f64);
}
