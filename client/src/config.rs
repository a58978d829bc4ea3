//! [`ClientConfig`]: timeouts, retry bounds and the jitter seed.

use std::time::Duration;

/// Default time one attempt may take (connect, send, whole response).
pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);
/// Default time to wait for a TCP connection (used by [`crate::ReqwestExchange`]).
pub const CONNECT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(1);
/// Default attempts per logical request, the first included.
pub const ATTEMPTS_MAX_DEFAULT: u32 = 6;
/// Default backoff before the first retry; it doubles on each further retry.
pub const BACKOFF_BASE_DEFAULT: Duration = Duration::from_millis(50);
/// Default ceiling of the exponential backoff.
pub const BACKOFF_MAX_DEFAULT: Duration = Duration::from_secs(2);
/// Default ceiling on a server's `Retry-After`: a confused server cannot park the client.
pub const RETRY_AFTER_MAX_DEFAULT: Duration = Duration::from_secs(5);
/// Hard ceiling on `attempts_max`, whatever the caller asks for.
pub const ATTEMPTS_MAX_LIMIT: u32 = 100;

const _: () = assert!(ATTEMPTS_MAX_DEFAULT >= 1 && ATTEMPTS_MAX_DEFAULT <= ATTEMPTS_MAX_LIMIT);
const _: () = assert!(BACKOFF_BASE_DEFAULT.as_nanos() <= BACKOFF_MAX_DEFAULT.as_nanos());
const _: () = assert!(CONNECT_TIMEOUT_DEFAULT.as_nanos() <= REQUEST_TIMEOUT_DEFAULT.as_nanos());

/// How the client talks to the cluster. With the defaults a request gives up after at most
/// 6 attempts and about 5 × 5 s of backoff and `Retry-After` waits plus 6 × 5 s of attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Time one attempt may take, body included.
    pub request_timeout: Duration,
    /// Time to wait for a TCP connection (reqwest transport only).
    pub connect_timeout: Duration,
    /// Attempts per logical request, the first included; 1 disables retries.
    /// Clamped to 1..=[`ATTEMPTS_MAX_LIMIT`].
    pub attempts_max: u32,
    /// Backoff before the first retry; doubles on each further retry, up to `backoff_max`.
    pub backoff_base: Duration,
    /// Ceiling of the exponential backoff.
    pub backoff_max: Duration,
    /// Ceiling on a server's `Retry-After`.
    pub retry_after_max: Duration,
    /// Seed of the jitter RNG and of generated idempotency keys. `None`: from OS entropy.
    /// The simulation passes a seed per client because `thread_rng` is not deterministic
    /// under madsim; two clients must never share a seed, or their keys collide.
    pub rng_seed: Option<u64>,
    /// Send writes first to the node a response named as leader (`X-Coupon-Leader`), saving
    /// the follower's forwarding hop. Off: writes start at the last node that answered, like
    /// reads, so clients spread their writes over the nodes they were given (a benchmark
    /// compares both).
    pub follow_leader_hint: bool,
    /// The API key's secret, sent as `Authorization: Bearer <key>` on every request. `None`: no
    /// header (a node running open accepts that).
    pub api_key: Option<String>,
    /// PEM certificate(s) of a CA to trust beside the system roots (a cluster's own CA, such
    /// as `scripts/cluster.sh start --tls` makes). Given, every request goes to `https://`, as
    /// it does when the nodes are given as `https://host:port`.
    pub ca_cert_pem: Option<Vec<u8>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            request_timeout: REQUEST_TIMEOUT_DEFAULT,
            connect_timeout: CONNECT_TIMEOUT_DEFAULT,
            attempts_max: ATTEMPTS_MAX_DEFAULT,
            backoff_base: BACKOFF_BASE_DEFAULT,
            backoff_max: BACKOFF_MAX_DEFAULT,
            retry_after_max: RETRY_AFTER_MAX_DEFAULT,
            rng_seed: None,
            follow_leader_hint: true,
            api_key: None,
            ca_cert_pem: None,
        }
    }
}
