//! [`CouponClient`]: a typed client of the coupon API with failover and bounded, idempotent
//! retries. The endpoint methods live in `coupons.rs` and `operations.rs`; this file holds the
//! attempt loop they all share.

mod answer;
mod call;
mod coupons;
mod node_set;
mod operations;
mod write_reply;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::uri::Authority;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use self::answer::{Answer, NodeHints};
use self::call::Call;
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
    /// Jitter and generated keys; a std mutex because it is never held across an `.await`.
    rng: Mutex<StdRng>,
}

/// The client over reqwest, for programs that talk to a real cluster.
#[cfg(feature = "http")]
pub type HttpCouponClient = CouponClient<crate::ReqwestExchange>;

#[cfg(feature = "http")]
impl CouponClient<crate::ReqwestExchange> {
    /// A client over a pooled reqwest connection, for `nodes` given as `host:port` API
    /// addresses.
    pub fn new(nodes: Vec<String>, config: ClientConfig) -> Result<Self, ConfigError> {
        let exchange = crate::ReqwestExchange::new(config.connect_timeout)?;
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
        let inner = Inner {
            exchange,
            nodes: NodeSet::new(nodes, config.follow_leader_hint)?,
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
        let request = match call.to_request(node) {
            Ok(request) => request,
            Err(error) => return (Err(error), NodeHints::default()),
        };
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
