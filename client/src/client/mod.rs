//! [`CouponClient`]: a typed client of the coupon API with failover and bounded, idempotent
//! retries. The endpoint methods live in `coupons.rs` and `operations.rs`; this file holds the
//! attempt loop they all share.

mod answer;
mod call;
mod campaigns;
mod coupons;
mod holds;
mod keys;
mod node_set;
mod operations;
mod write_reply;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::uri::Authority;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use self::answer::{Answer, NodeHints};
use self::call::Call;
pub use self::holds::HoldTarget;
use self::node_set::{NodeSet, Route};
pub use self::write_reply::WriteReply;
use crate::api::IdempotencyKey;
use crate::config::ClientConfig;
use crate::error::{ConfigError, Result};
use crate::policy::RetryPolicy;
use crate::transport::Exchange;

/// A client of one coupon cluster. Cheap to clone (clones share the connection pool, the
/// hints and the RNG), and its futures are `Send`, so one client can drive many tasks.
///
/// Every call picks a node, sends, and on a retryable failure (see
/// [`crate::ClientError::is_retryable`]) waits and tries again, moving to the next node when
/// the failure was the node's. Writes carry one `Idempotency-Key` across all attempts, so a
/// retried redeem is applied at most once.
///
/// **Node hints.** After any answer the client starts its next calls at the node that
/// answered. If a response carries `X-Coupon-Leader: host:port` naming one of the configured
/// nodes, writes start there (saving the follower's forwarding hop), unless
/// [`ClientConfig::follow_leader_hint`] is off. Hints only choose the first node; failover
/// still walks the whole list.
pub struct CouponClient<E> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    exchange: E,
    nodes: NodeSet,
    policy: RetryPolicy,
    request_timeout: Duration,
    /// `Bearer <key>`, when the client has a key.
    authorization: Option<http::HeaderValue>,
    /// Jitter and generated keys; a std mutex because it is never held across an `.await`.
    rng: Mutex<StdRng>,
}

/// The client over reqwest, for programs that talk to a real cluster.
#[cfg(feature = "http")]
pub type HttpCouponClient = CouponClient<crate::ReqwestExchange>;

#[cfg(feature = "http")]
impl CouponClient<crate::ReqwestExchange> {
    /// A client over a pooled reqwest connection, for `nodes` given as `host:port` API
    /// addresses (or `https://host:port`), trusting `config.ca_cert_pem` when given.
    pub fn new(nodes: Vec<String>, config: ClientConfig) -> Result<Self, ConfigError> {
        let exchange = crate::ReqwestExchange::for_config(&config)?;
        Self::with_exchange(nodes, config, exchange)
    }
}

impl<E> Clone for CouponClient<E> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<E> std::fmt::Debug for CouponClient<E> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("CouponClient").field("nodes", &self.inner.nodes.nodes()).finish()
    }
}

impl<E: Exchange> CouponClient<E> {
    /// A client that sends through `exchange` (the simulation's, or a test fake).
    pub fn with_exchange(
        nodes: Vec<String>,
        config: ClientConfig,
        exchange: E,
    ) -> Result<Self, ConfigError> {
        let rng = match config.rng_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        let authorization = match &config.api_key {
            Some(key) => {
                let mut value = http::HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| ConfigError::InvalidApiKey)?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let inner = Inner {
            exchange,
            authorization,
            nodes: NodeSet::new(nodes, config.follow_leader_hint, config.ca_cert_pem.is_some())?,
            policy: RetryPolicy::new(&config),
            request_timeout: config.request_timeout,
            rng: Mutex::new(rng),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The configured nodes, in order.
    pub fn nodes(&self) -> Vec<String> {
        self.inner.nodes.nodes().iter().map(ToString::to_string).collect()
    }

    /// A fresh idempotency key (a UUID v4 drawn from the client's RNG, so a seeded client
    /// draws the same keys every run). Generate one yourself and pass it to a `*_with_key`
    /// method when you need to know the key even if the call fails, e.g. to retry it later.
    pub fn new_idempotency_key(&self) -> IdempotencyKey {
        let bytes: [u8; 16] = self.rng().gen();
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        IdempotencyKey::new(uuid.to_string())
            .expect("a hyphenated UUID is 36 printable ASCII characters")
    }

    /// Sends `call` until it succeeds, fails for good, or runs out of attempts.
    async fn execute(&self, call: &Call) -> Result<Answer> {
        let inner = &self.inner;
        let attempts_max = match call.route {
            Route::Pinned(_) => 1,
            Route::Any | Route::Leader => inner.policy.attempts_max(),
        };
        let mut index = inner.nodes.first(&call.route);
        let mut attempt = 1;
        loop {
            let node = match &call.route {
                Route::Pinned(node) => node,
                Route::Any | Route::Leader => inner.nodes.get(index),
            };
            let (result, hints) = self.attempt(call, node).await;
            inner.nodes.record_leader(hints.leader.as_deref());
            let advice = result.as_ref().err().and_then(|error| error.retry_advice());
            let Some(advice) = advice.filter(|_| attempt < attempts_max) else {
                if advice.is_none() && !matches!(call.route, Route::Pinned(_)) {
                    inner.nodes.record_answer(index);
                }
                return result;
            };
            if advice.switch_node {
                inner.nodes.record_failure(index);
                index = inner.nodes.after_failure(&call.route, index);
            }
            let delay = inner.policy.delay(attempt, advice.retry_after, &mut *self.rng());
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt at one node, with what the node said about the leader.
    async fn attempt(&self, call: &Call, node: &Authority) -> (Result<Answer>, NodeHints) {
        let mut request = match call.to_request(self.inner.nodes.scheme(), node) {
            Ok(request) => request,
            Err(error) => return (Err(error), NodeHints::default()),
        };
        if let Some(authorization) = &self.inner.authorization {
            request.headers_mut().insert(http::header::AUTHORIZATION, authorization.clone());
        }
        match self.inner.exchange.send(request, self.inner.request_timeout).await {
            Ok(response) => {
                let hints = NodeHints::from_headers(response.headers());
                (Answer::from_response(response), hints)
            }
            Err(error) => (Err(error.into()), NodeHints::default()),
        }
    }

    fn rng(&self) -> MutexGuard<'_, StdRng> {
        // Any state a panicking holder left is still a valid RNG state.
        self.inner.rng.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    //! The attempt loop against a scripted in-memory exchange: no sockets, real (short) sleeps.

    mod fake_exchange {
        //! An in-memory [`Exchange`] that answers from a script and records what it was sent.

        use std::collections::VecDeque;
        use std::sync::{Arc, Mutex};
        use std::time::Duration;

        use bytes::Bytes;
        use serde_json::Value;

        use crate::api::header::{IDEMPOTENCY_KEY, RETRY_AFTER};
        use crate::api::{ErrorCode, Problem};
        use crate::transport::{Exchange, TransportError};

        /// One scripted outcome; an exhausted script refuses connections.
        pub enum Scripted {
            Fail(TransportError),
            Respond(http::Response<Bytes>),
        }

        /// What one attempt sent.
        #[derive(Debug, Clone)]
        pub struct Sent {
            pub node: String,
            pub path_and_query: String,
            pub idempotency_key: Option<String>,
            pub body: Bytes,
        }

        #[derive(Clone, Default)]
        pub struct FakeExchange {
            script: Arc<Mutex<VecDeque<Scripted>>>,
            sent: Arc<Mutex<Vec<Sent>>>,
        }

        impl FakeExchange {
            pub fn new(script: Vec<Scripted>) -> Self {
                Self { script: Arc::new(Mutex::new(script.into())), sent: Arc::default() }
            }

            pub fn push(&self, scripted: Scripted) {
                self.script.lock().unwrap().push_back(scripted);
            }

            pub fn sent(&self) -> Vec<Sent> {
                self.sent.lock().unwrap().clone()
            }

            pub fn nodes(&self) -> Vec<String> {
                self.sent().into_iter().map(|sent| sent.node).collect()
            }
        }

        impl Exchange for FakeExchange {
            async fn send(
                &self,
                request: http::Request<Bytes>,
                _timeout: Duration,
            ) -> Result<http::Response<Bytes>, TransportError> {
                let uri = request.uri();
                self.sent.lock().unwrap().push(Sent {
                    node: uri.authority().unwrap().to_string(),
                    path_and_query: uri.path_and_query().unwrap().to_string(),
                    idempotency_key: request
                        .headers()
                        .get(IDEMPOTENCY_KEY)
                        .map(|value| value.to_str().unwrap().to_owned()),
                    body: request.body().clone(),
                });
                match self.script.lock().unwrap().pop_front() {
                    Some(Scripted::Fail(error)) => Err(error),
                    Some(Scripted::Respond(response)) => Ok(response),
                    None => Err(TransportError::connect("connection refused (script exhausted)")),
                }
            }
        }

        /// A JSON response with extra headers.
        pub fn json(status: u16, headers: &[(&str, &str)], body: &Value) -> Scripted {
            raw(status, headers, &body.to_string())
        }

        /// A response with any body.
        pub fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> Scripted {
            let mut builder = http::Response::builder().status(status);
            for (name, value) in headers {
                builder = builder.header(*name, *value);
            }
            Scripted::Respond(builder.body(Bytes::from(body.to_owned())).unwrap())
        }

        /// A problem+json response for `code`, optionally with `Retry-After`.
        pub fn problem(code: ErrorCode, retry_after_seconds: Option<u64>) -> Scripted {
            let body = serde_json::to_value(Problem::new(code, "scripted")).unwrap();
            let seconds = retry_after_seconds.map(|seconds| seconds.to_string());
            let headers: Vec<(&str, &str)> =
                seconds.iter().map(|seconds| (RETRY_AFTER, seconds.as_str())).collect();
            json(code.status(), &headers, &body)
        }
    }

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
        let error =
            client.get_coupon(CouponId(42), ReadConsistency::Linearizable).await.unwrap_err();
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
            let client =
                CouponClient::with_exchange(nodes, config, FakeExchange::default()).unwrap();
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
}
