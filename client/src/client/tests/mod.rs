//! The attempt loop against a scripted in-memory exchange: no sockets, real (short) sleeps.

mod fake_exchange;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::fake_exchange::{json, problem, raw, FakeExchange, Scripted};
use super::CouponClient;
use crate::api::{CouponId, ErrorCode, IdempotencyKey, ReadConsistency, RedeemRequest};
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::transport::{TransportError, TransportErrorKind};

const NODES: [&str; 3] = ["a:1", "b:2", "c:3"];

fn config() -> ClientConfig {
    ClientConfig {
        attempts_max: 5,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(4),
        retry_after_max: Duration::from_millis(40),
        rng_seed: Some(42),
        ..ClientConfig::default()
    }
}

fn client(script: Vec<Scripted>) -> (CouponClient<FakeExchange>, FakeExchange) {
    let exchange = FakeExchange::new(script);
    let nodes = NODES.iter().map(ToString::to_string).collect();
    let client = CouponClient::with_exchange(nodes, config(), exchange.clone()).unwrap();
    (client, exchange)
}

fn coupon_json() -> Value {
    json!({
        "id": 42, "code": "SUMMER-2026", "discount": {"type": "percentage", "value": "15"},
        "max_discount_amount": "30.00", "min_order_amount": null, "starts_at": null,
        "expires_at": "2026-12-31T23:59:59Z", "usage_limit": 100, "per_user_limit": 1,
        "times_redeemed": 3, "remaining": 97, "redeemed": false, "active": true,
        "low_stock_threshold": 10, "metadata": {}, "created_at": "2026-11-26T10:00:00Z"
    })
}

fn redeem_json() -> Value {
    json!({
        "redemption": {
            "id": 7, "coupon_id": 42, "user_id": "u-1", "order_id": "o-9",
            "redeemed_at": "2026-11-26T10:05:00Z", "discount_amount": "7.50", "rolled_back_at": null
        },
        "coupon": coupon_json()
    })
}

fn redeem_request() -> RedeemRequest {
    RedeemRequest { order_id: Some("o-9".into()), ..RedeemRequest::new("u-1") }
}

#[tokio::test]
async fn connect_error_fails_over_and_the_next_call_starts_at_the_good_node() {
    // Goal: a refused connection moves to the next node, and the answering node is preferred.
    // Steps: node a refuses; b answers; a second read must go straight to b.
    let (client, exchange) = client(vec![
        Scripted::Fail(TransportError::connect("refused")),
        json(200, &[], &coupon_json()),
        json(200, &[], &coupon_json()),
    ]);
    let coupon = client.get_coupon(CouponId(42), ReadConsistency::Linearizable).await.unwrap();
    assert_eq!(coupon.id, CouponId(42));
    client.get_coupon(CouponId(42), ReadConsistency::Local).await.unwrap();
    assert_eq!(exchange.nodes(), ["a:1", "b:2", "b:2"]);
    assert_eq!(exchange.sent()[0].path_and_query, "/coupons/42");
    assert_eq!(exchange.sent()[2].path_and_query, "/coupons/42?consistency=local");
}

#[tokio::test]
async fn retried_redeem_carries_one_idempotency_key_across_nodes() {
    // Goal: a redeem whose first attempts failed is retried with the same key and body.
    // Steps: a times out (outcome unknown), b is unavailable, c replays the stored answer.
    let (client, exchange) = client(vec![
        Scripted::Fail(TransportError::timeout("no answer")),
        problem(ErrorCode::Unavailable, None),
        json(201, &[("Idempotent-Replayed", "true")], &redeem_json()),
    ]);
    let reply = client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    assert!(reply.replayed);
    assert_eq!(reply.value.redemption.coupon_id, CouponId(42));
    let sent = exchange.sent();
    assert_eq!(exchange.nodes(), ["a:1", "b:2", "c:3"]);
    for attempt in &sent {
        assert_eq!(attempt.idempotency_key.as_deref(), Some(reply.idempotency_key.as_str()));
        assert_eq!(attempt.body, sent[0].body);
        assert_eq!(attempt.path_and_query, "/coupons/42/redeem");
    }
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body, json!({"user_id": "u-1", "order_id": "o-9"}));
}

#[tokio::test]
async fn each_logical_write_gets_its_own_key_unless_the_caller_supplies_one() {
    // Goal: keys are per logical write, and a caller's key is used verbatim.
    let (client, exchange) = client(vec![
        json(201, &[], &redeem_json()),
        json(201, &[], &redeem_json()),
        json(201, &[], &redeem_json()),
    ]);
    let first = client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    let second = client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    assert_ne!(first.idempotency_key, second.idempotency_key);
    assert!(!first.replayed);
    let mine = IdempotencyKey::new("order-o-9").unwrap();
    client.redeem_with_key(CouponId(42), &redeem_request(), mine.clone()).await.unwrap();
    assert_eq!(exchange.sent()[2].idempotency_key.as_deref(), Some("order-o-9"));
}

#[tokio::test]
async fn rejection_is_not_retried_and_carries_its_code() {
    // Goal: a 409 rejection is final: one attempt, decoded to the rejection's ErrorCode.
    let (client, exchange) = client(vec![problem(ErrorCode::UsageLimitReached, None)]);
    let error = client.redeem(CouponId(42), &redeem_request()).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::UsageLimitReached));
    assert_eq!(error.status(), Some(409));
    assert!(!error.is_retryable());
    assert_eq!(exchange.sent().len(), 1);
}

#[tokio::test]
async fn unavailable_with_retry_after_waits_then_succeeds_elsewhere() {
    // Goal: 503 + Retry-After is retried on another node after waiting at least the (capped)
    // Retry-After; config caps it at 40 ms so the test stays fast.
    let (client, exchange) =
        client(vec![problem(ErrorCode::Unavailable, Some(1)), json(201, &[], &redeem_json())]);
    let started = Instant::now();
    client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(40), "{:?}", started.elapsed());
    assert_eq!(exchange.nodes(), ["a:1", "b:2"]);
}

#[tokio::test]
async fn a_rate_limit_retries_on_the_same_node_and_a_timeout_on_the_next() {
    // Goal: 429 is retried where it happened (limits are per client: moving would dodge them);
    // 504 moves on (that node may be cut off from the leader); one key throughout.
    let (client, exchange) = client(vec![
        problem(ErrorCode::RateLimited, Some(0)),
        problem(ErrorCode::Timeout, None),
        json(201, &[], &redeem_json()),
    ]);
    let reply = client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    assert_eq!(exchange.nodes(), ["a:1", "a:1", "b:2"]);
    let keys: Vec<_> = exchange.sent().into_iter().map(|sent| sent.idempotency_key).collect();
    assert!(keys.iter().all(|key| key.as_deref() == Some(reply.idempotency_key.as_str())));
}

#[tokio::test]
async fn retries_are_bounded() {
    // Goal: with every node refusing, the client stops after attempts_max (5) attempts,
    // walking the nodes in order, and returns the last transport error.
    let (client, exchange) = client(vec![]);
    let error = client.redeem(CouponId(42), &redeem_request()).await.unwrap_err();
    let ClientError::Transport(transport) = &error else { panic!("{error:?}") };
    assert_eq!(transport.kind, TransportErrorKind::Connect);
    assert_eq!(exchange.nodes(), ["a:1", "b:2", "c:3", "a:1", "b:2"]);
}

#[tokio::test]
async fn malformed_success_body_is_a_decode_error_and_not_retried() {
    // Goal: a 2xx whose body is not the contract's shape fails with Decode, once.
    let (client, exchange) = client(vec![raw(200, &[], "{\"id\": \"not a number\"}")]);
    let error = client.get_coupon(CouponId(42), ReadConsistency::Linearizable).await.unwrap_err();
    assert!(matches!(error, ClientError::Decode { status: 200, .. }), "{error:?}");
    assert_eq!(exchange.sent().len(), 1);
}

#[tokio::test]
async fn writes_follow_the_leader_hint() {
    // Goal: `X-Coupon-Leader` naming a configured node sends the next write there, while
    // reads keep going to the node that answered.
    let (client, exchange) = client(vec![
        json(200, &[("X-Coupon-Leader", "c:3")], &coupon_json()),
        json(201, &[], &redeem_json()),
        json(200, &[], &coupon_json()),
    ]);
    client.get_coupon(CouponId(42), ReadConsistency::Linearizable).await.unwrap();
    client.redeem(CouponId(42), &redeem_request()).await.unwrap();
    client.get_coupon(CouponId(42), ReadConsistency::Linearizable).await.unwrap();
    assert_eq!(exchange.nodes(), ["a:1", "c:3", "c:3"]);
}

#[tokio::test]
async fn probes_ask_one_node_once() {
    // Goal: readiness is per node: a 503 is "not ready", a refused connection is an error,
    // and neither is retried elsewhere.
    let (client, exchange) = client(vec![problem(ErrorCode::Unavailable, Some(1))]);
    assert!(!client.ready("b:2").await.unwrap());
    assert!(client.health("z:9").await.is_err());
    exchange.push(raw(200, &[], ""));
    assert!(client.ready("c:3").await.unwrap());
    assert_eq!(exchange.nodes(), ["b:2", "z:9", "c:3"]);
}

#[tokio::test]
async fn seeded_clients_draw_the_same_keys() {
    // Goal: a seed makes generated keys reproducible (simulation); different seeds differ.
    let keys = |seed| {
        let nodes = vec!["a:1".to_owned()];
        let config = ClientConfig { rng_seed: Some(seed), ..config() };
        let client = CouponClient::with_exchange(nodes, config, FakeExchange::default()).unwrap();
        (client.new_idempotency_key(), client.new_idempotency_key())
    };
    assert_eq!(keys(1), keys(1));
    assert_ne!(keys(1), keys(2));
    assert_eq!(keys(1).0.as_str().len(), 36);
}

#[test]
fn client_futures_are_send() {
    // Goal: a load generator can `tokio::spawn` client calls; this fails to compile otherwise.
    fn assert_send<T: Send>(_: T) {}
    let (client, _) = client(vec![]);
    assert_send(client.redeem(CouponId(1), &redeem_request()));
    assert_send(client.get_coupon(CouponId(1), ReadConsistency::Local));
    assert_send(client.ready("a:1"));
}
