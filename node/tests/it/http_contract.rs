//! The HTTP contract's failures: each error code of API.md is produced, every failure is
//! problem+json, and hostile requests change nothing.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::http::{
    client, coupon_body, create_coupon, get, post_json, redeem_body, send, Reply,
};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

fn expect(reply: &Reply, status: u16, code: &str, what: &str) {
    assert_eq!((reply.status, reply.code()), (status, code), "{what}: {}", reply.body);
    assert!(reply.is_problem(), "{what}: not problem+json: {:?} {}", reply.headers, reply.body);
}

async fn raw_post(
    api: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut request = client().post(format!("http://{api}{path}")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    send(request).await
}

/// Goal: malformed, mistyped, oversized and misrouted requests get 4xx problem+json and leave
/// the state as it was. Steps: one node; one coupon; a barrage of bad requests; then the coupon,
/// its history and the next id are unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_problem_json_and_change_nothing() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let coupon_id = create_coupon(api, &coupon_body("STEADY", 5)).await;
    let before = get(api, &format!("/coupons/{coupon_id}")).await.body;

    bad_bodies(api, coupon_id).await;
    bad_coupons(api).await;
    bad_paths_and_queries(api, coupon_id).await;

    assert_eq!(
        get(api, &format!("/coupons/{coupon_id}")).await.body,
        before,
        "a bad request changed the coupon"
    );
    let history = get(api, &format!("/coupons/{coupon_id}/redemptions")).await.body;
    assert_eq!(history["redemptions"], json!([]));
    assert_eq!(
        create_coupon(api, &coupon_body("NEXT", 1)).await,
        coupon_id + 1,
        "a bad request took an id"
    );
}

async fn bad_bodies(api: &str, coupon_id: u64) {
    let redeem = format!("/coupons/{coupon_id}/redeem");
    let json = Some("application/json");
    let big = json!({"user_id": "u", "padding": "x".repeat(70 * 1024)}).to_string();
    let raw: [(Option<&str>, String, u16, &str); 6] = [
        (json, "{\"user_id\": ".into(), 400, "malformed_request"),
        (json, String::new(), 400, "malformed_request"),
        (Some("text/plain"), "{\"user_id\":\"u\"}".into(), 415, "unsupported_media_type"),
        (None, "{\"user_id\":\"u\"}".into(), 415, "unsupported_media_type"),
        (json, "[\"u\"]".into(), 422, "invalid_request"),
        (json, big, 413, "payload_too_large"),
    ];
    for (content_type, body, status, code) in raw {
        let what = format!("{content_type:?} {}", &body[..body.len().min(40)]);
        expect(&raw_post(api, &redeem, content_type, body).await, status, code, &what);
    }
    let mistyped = [
        json!({"user_id": 5.5}),
        json!({"user_id": ""}),
        json!({"user_id": "x".repeat(129)}),
        json!({"user_id": "u", "order_amount": 10.5}),
        json!({"user_id": "u", "order_amount": "-1"}),
        json!({"user_id": "u", "order_amount": "1.234"}),
        json!({"user_id": "u", "currency": "euro"}),
        json!({"user_id": "u", "currency": "XYZ"}),
        json!({"user_id": "u", "order_amount": "0.5", "currency": "JPY"}),
        json!({"user_id": "u", "order_amount": "1.001", "currency": "EUR"}),
        json!({"user_id": "u", "surprise": true}),
        json!({"order_id": "o"}),
    ];
    for body in &mistyped {
        expect(
            &post_json(api, &redeem, body, None).await,
            422,
            "invalid_request",
            &body.to_string(),
        );
    }
    let long_key = "k".repeat(256);
    let keyed = post_json(api, &redeem, &redeem_body("u", None), Some(&long_key)).await;
    expect(&keyed, 422, "invalid_request", "256-char key");
}

async fn bad_coupons(api: &str) {
    let changes = [
        ("usage_limit", json!(0)),
        ("usage_limit", json!(1_000_000_001u64)),
        ("expires_at", json!("2001-01-01T00:00:00Z")),
        ("expires_at", json!("tomorrow")),
        ("discount", json!({"type": "percentage", "value": "0"})),
        ("discount", json!({"type": "fixed", "value": "5.00"})),
        ("discount", json!({"type": "fixed", "value": "5.00", "currency": "XYZ"})),
        ("discount", json!({"type": "fixed", "value": "5.5", "currency": "JPY"})),
        ("max_discount_amount", json!("5.005")),
        ("metadata", json!([1, 2])),
    ];
    for (field, value) in changes {
        let mut body = coupon_body("NEW-ONE", 5);
        body[field] = value.clone();
        let what = format!("{field} = {value}");
        expect(
            &post_json(api, "/coupons/generate", &body, None).await,
            422,
            "invalid_request",
            &what,
        );
    }
}

async fn bad_paths_and_queries(api: &str, coupon_id: u64) {
    let bad_ids = ["abc", "0", "-1", "9223372036854775808", "99999999999999999999999"];
    for id in bad_ids {
        let path = format!("/coupons/{id}/redeem");
        expect(
            &post_json(api, &path, &redeem_body("u", None), None).await,
            422,
            "invalid_request",
            &path,
        );
    }
    let bad_queries = [
        format!("/coupons/{coupon_id}/redemptions?limit=501"),
        format!("/coupons/{coupon_id}/redemptions?limit=0"),
        format!("/coupons/{coupon_id}?colour=red"),
        format!("/coupons/{coupon_id}/validate?order_amount=ten"),
        "/coupons?code=no%20spaces".to_owned(),
        "/coupons?code=%C2%A0ABC".to_owned(),
        "/cluster?consistency=AAA".to_owned(),
        "/audit?after=9223372036854775808".to_owned(),
        "/coupons?after=9223372036854775808".to_owned(),
    ];
    for path in bad_queries {
        expect(&get(api, &path).await, 422, "invalid_request", &path);
    }
    expect(&get(api, "/no/such/route").await, 404, "not_found", "unknown route");
    expect(&get(api, "/coupons/generate").await, 405, "method_not_allowed", "GET on a POST route");
    let delete = send(client().delete(format!("http://{api}/coupons/{coupon_id}"))).await;
    expect(&delete, 405, "method_not_allowed", "DELETE coupon");
}

/// Goal: every refusal code of the contract is produced by the request that should produce it.
/// Steps: one node; coupons set up for each rule; one request each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_of_the_contract_has_its_code() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let granted = usage_and_idempotency_refusals(api).await;
    per_user_and_order_refusals(api).await;
    order_term_refusals(api).await;
    time_and_state_refusals(api).await;
    unknown_and_repeated_refusals(api, &granted, &cluster.nodes[0].peer_addr).await;
}

fn redeem(id: u64) -> String {
    format!("/coupons/{id}/redeem")
}

/// Returns the granted redemption's body, for the rollback checks.
async fn usage_and_idempotency_refusals(api: &str) -> Value {
    let one_use = create_coupon(api, &coupon_body("ONE-USE", 1)).await;
    let granted =
        post_json(api, &redeem(one_use), &redeem_body("a", Some("o-1")), Some("key-a")).await;
    assert_eq!(granted.status, 201);
    expect(
        &post_json(api, &redeem(one_use), &redeem_body("b", None), None).await,
        409,
        "usage_limit_reached",
        "second use",
    );
    expect(
        &post_json(api, &redeem(one_use), &redeem_body("z", None), Some("key-a")).await,
        422,
        "idempotency_key_reused",
        "key reuse",
    );
    let replay =
        post_json(api, &redeem(one_use), &redeem_body("a", Some("o-1")), Some("key-a")).await;
    assert_eq!(
        (replay.status, &replay.body),
        (201, &granted.body),
        "replay answers the first response"
    );
    assert_eq!(
        replay.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()),
        Some("true")
    );
    granted.body
}

async fn per_user_and_order_refusals(api: &str) {
    let mut per_user = coupon_body("PER-USER", 10);
    per_user["per_user_limit"] = json!(1);
    let per_user = create_coupon(api, &per_user).await;
    assert_eq!(
        post_json(api, &redeem(per_user), &redeem_body("a", Some("o-1")), None).await.status,
        201
    );
    expect(
        &post_json(api, &redeem(per_user), &redeem_body("a", None), None).await,
        409,
        "per_user_limit_reached",
        "same user",
    );
    expect(
        &post_json(api, &redeem(per_user), &redeem_body("b", Some("o-1")), None).await,
        409,
        "order_already_redeemed",
        "same order",
    );
}

async fn order_term_refusals(api: &str) {
    let mut fixed = coupon_body("FIXED-EUR", 10);
    fixed["discount"] = json!({"type": "fixed", "value": "5.00", "currency": "EUR"});
    fixed["min_order_amount"] = json!("20.00");
    let fixed = create_coupon(api, &fixed).await;
    let usd = json!({"user_id": "u", "order_amount": "50.00", "currency": "USD"});
    expect(
        &post_json(api, &redeem(fixed), &usd, None).await,
        409,
        "currency_mismatch",
        "USD order",
    );
    let small = json!({"user_id": "u", "order_amount": "19.99", "currency": "EUR"});
    expect(
        &post_json(api, &redeem(fixed), &small, None).await,
        409,
        "min_order_not_met",
        "small order",
    );
}

async fn time_and_state_refusals(api: &str) {
    let mut later = coupon_body("LATER", 10);
    later["starts_at"] = json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339());
    let later = create_coupon(api, &later).await;
    expect(
        &post_json(api, &redeem(later), &redeem_body("u", None), None).await,
        409,
        "not_started",
        "before start",
    );

    let mut brief = coupon_body("BRIEF", 10);
    brief["expires_at"] =
        json!((chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339());
    let brief = create_coupon(api, &brief).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    expect(
        &post_json(api, &redeem(brief), &redeem_body("u", None), None).await,
        409,
        "expired",
        "after expiry",
    );
    assert_eq!(get(api, &format!("/coupons/{brief}/validate")).await.body["reason"], "expired");

    let paused = create_coupon(api, &coupon_body("PAUSED", 10)).await;
    assert_eq!(
        post_json(api, &format!("/coupons/{paused}/deactivate"), &Value::Null, None).await.status,
        200
    );
    expect(
        &post_json(api, &redeem(paused), &redeem_body("u", None), None).await,
        409,
        "inactive",
        "inactive coupon",
    );
}

async fn unknown_and_repeated_refusals(api: &str, granted: &Value, peer_addr: &str) {
    expect(
        &post_json(api, "/coupons/generate", &coupon_body("one-use", 1), None).await,
        409,
        "code_already_exists",
        "same code, other case",
    );
    expect(
        &post_json(api, &redeem(999), &redeem_body("u", None), None).await,
        404,
        "coupon_not_found",
        "redeem unknown",
    );
    expect(&get(api, "/coupons/999").await, 404, "coupon_not_found", "get unknown");
    expect(&get(api, "/coupons/999/validate").await, 404, "coupon_not_found", "validate unknown");
    expect(&get(api, "/coupons/999/redemptions").await, 404, "coupon_not_found", "history unknown");
    expect(&get(api, "/coupons?code=NOPE").await, 404, "coupon_not_found", "code unknown");
    expect(
        &post_json(api, "/redemptions/999/rollback", &Value::Null, None).await,
        404,
        "redemption_not_found",
        "rollback unknown",
    );
    let first_redemption = granted["redemption"]["id"].as_u64().unwrap();
    let rollback = format!("/redemptions/{first_redemption}/rollback");
    assert_eq!(post_json(api, &rollback, &Value::Null, None).await.status, 200);
    expect(
        &post_json(api, &rollback, &Value::Null, None).await,
        409,
        "already_rolled_back",
        "second rollback",
    );
    let init = json!({"members": [{"id": 1, "api_addr": api, "peer_addr": peer_addr}]});
    expect(
        &post_json(api, "/cluster/init", &init, None).await,
        409,
        "cluster_already_initialized",
        "second init",
    );
    let removed = send(client().delete(format!("http://{api}/cluster/members/99"))).await;
    assert_eq!(removed.status, 200, "removing a non-member is idempotent: {}", removed.body);
}

/// Goal: the availability codes: 503 without a leader (with Retry-After), 504 when a write
/// cannot commit, 401 on a peer route without the cluster secret.
/// Steps: a node that was never initialised refuses a write with 503; a three-node cluster with
/// both followers stopped times out a write with 504; a peer route called without the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_and_peer_authentication_codes() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster =
        InProcessCluster::start(3, &["--request-timeout-ms=1500", "--cluster-secret=s3cret"]).await;
    let leader = cluster.leader().await;
    let peer = cluster.nodes[leader].peer_addr.clone();
    let unauthorized =
        send(client().post(format!("http://{peer}/raft/vote")).body(vec![0u8; 8])).await;
    expect(&unauthorized, 401, "unauthorized", "peer route without the secret");

    for index in (0..3).filter(|index| *index != leader) {
        cluster.nodes[index].stop().await;
    }
    let api = cluster.nodes[leader].api_addr.clone();
    let write = post_json(&api, "/coupons/generate", &coupon_body("NO-QUORUM", 1), None).await;
    expect(&write, 504, "timeout", "a write without a quorum");
    let ready = get(&api, "/readyz").await;
    expect(&ready, 503, "unavailable", "a leader without a quorum is not ready");
    let read = get(&api, "/coupons/1").await;
    assert!(
        matches!(read.status, 503 | 504),
        "a linearizable read without a quorum: {}",
        read.body
    );
    assert!(read.is_problem());

    // A deadline shorter than the node's usual wait for a leader: still 503 (nothing was
    // proposed), never 504 (outcome unknown).
    let lonely = InProcessCluster::start_uninitialised(&["--request-timeout-ms=1000"]).await;
    let refused =
        post_json(&lonely.api_addr, "/coupons/generate", &coupon_body("NO-LEADER", 1), None).await;
    expect(&refused, 503, "unavailable", "a write with no leader");
    assert!(refused.headers.get("retry-after").is_some(), "503 carries Retry-After");
    assert_eq!(get(&lonely.api_addr, "/readyz").await.status, 503);
    assert_eq!(
        get(&lonely.api_addr, "/coupons/1?consistency=local").await.code(),
        "coupon_not_found"
    );
}
