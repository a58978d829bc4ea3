//! Per-caller rate limiting of validate, redeem and the code lookup: a token bucket (governor's
//! GCRA) per authenticated key, or per remote address on an open node (which has no keys). Past
//! the rate: 429 `rate_limited` with `Retry-After`. The buckets are bounded: keys are (by
//! `KEYS_MAX`), and addresses beyond `BUCKETS_MAX` wait for idle buckets to be dropped (503).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use coupon_client::api::ErrorCode;
use governor::clock::{Clock, MonotonicClock};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::app::AppState;
use super::ApiError;
use crate::service::Caller;
use crate::shutdown::Shutdown;

/// Most buckets held at once; idle ones are dropped every `PRUNE_EVERY`, or at once when full.
const BUCKETS_MAX: usize = 100_000;
/// How often idle buckets are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct RateLimit {
    // std's monotonic clock: the simulation virtualises it, so limits follow simulated time.
    limiter: RateLimiter<String, DashMapStateStore<String>, MonotonicClock>,
    clock: MonotonicClock,
}

impl RateLimit {
    /// `None` when `per_second` is zero (no limit).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        let clock = MonotonicClock;
        Some(Self { limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()), clock })
    }

    /// `Err(seconds to wait)` when `client` is over its rate.
    fn check(&self, client: &String) -> Result<(), u64> {
        if self.limiter.len() >= BUCKETS_MAX {
            self.limiter.retain_recent();
            if self.limiter.len() >= BUCKETS_MAX {
                return Err(PRUNE_EVERY.as_secs());
            }
        }
        self.limiter.check_key(client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Drops the buckets of clients that went quiet, until shutdown.
    pub async fn prune_until(self: Arc<Self>, shutdown: Shutdown) {
        let stop = shutdown.requested();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(PRUNE_EVERY) => {
                    self.limiter.retain_recent();
                    self.limiter.shrink_to_fit();
                }
            }
        }
    }
}

/// The bucket of a request: its key (`auth::authorize` put the caller in), else its address.
fn client_key(request: &Request) -> String {
    if let Some(Caller { key_id: Some(id), .. }) = request.extensions().get::<Caller>() {
        return format!("key:{id}");
    }
    match request.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
        None => "unknown".to_owned(),
    }
}

pub async fn limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limit) = &app.rate_limit else { return next.run(request).await };
    match limit.check(&client_key(&request)) {
        Ok(()) => next.run(request).await,
        Err(wait_seconds) => {
            app.metrics.rate_limited.inc();
            ApiError::new(ErrorCode::RateLimited, "this client is over its request rate")
                .retry_after(wait_seconds.max(1))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_burst_waits_and_others_do_not() {
        let limit = RateLimit::new(2, 2).unwrap();
        let (a, b) = ("key:a".to_owned(), "key:b".to_owned());
        assert!(limit.check(&a).is_ok() && limit.check(&a).is_ok());
        assert_eq!(
            limit.check(&a),
            Err(1),
            "the third in the same instant waits about half a second"
        );
        assert!(limit.check(&b).is_ok(), "buckets are per client");
        assert!(RateLimit::new(0, 10).is_none(), "zero turns the limit off");
    }
}
