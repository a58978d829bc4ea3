//! [`RetryPolicy`]: how long to wait before a retry, and how many attempts a request gets.
//! Which errors are retried at all is decided in one place, [`crate::ClientError::is_retryable`].

use std::time::Duration;

use rand::Rng;

use crate::config::{ClientConfig, ATTEMPTS_MAX_LIMIT};

/// Bounded exponential backoff with jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts_max: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    retry_after_max: Duration,
}

impl RetryPolicy {
    /// The policy of a configuration; `attempts_max` is clamped to 1..=[`ATTEMPTS_MAX_LIMIT`]
    /// and `backoff_base` to at most `backoff_max`.
    pub fn new(config: &ClientConfig) -> Self {
        Self {
            attempts_max: config.attempts_max.clamp(1, ATTEMPTS_MAX_LIMIT),
            backoff_base: config.backoff_base.min(config.backoff_max),
            backoff_max: config.backoff_max,
            retry_after_max: config.retry_after_max,
        }
    }

    /// Attempts per logical request, the first included (at least 1).
    pub fn attempts_max(&self) -> u32 {
        self.attempts_max
    }

    /// The wait before retry number `retry` (1 for the first retry).
    ///
    /// Backoff is `backoff_base * 2^(retry-1)`, capped at `backoff_max`, with "equal jitter": a
    /// uniform draw in its upper half, so clients that failed together spread out but never
    /// hammer a node with no pause at all. A server's `Retry-After` is honoured as a floor,
    /// capped at `retry_after_max`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let jittered = Duration::from_nanos(rng.gen_range(ceiling_nanos / 2..=ceiling_nanos));
        let floor = retry_after.unwrap_or(Duration::ZERO).min(self.retry_after_max);
        jittered.max(floor)
    }

    fn backoff_ceiling(&self, retry: u32) -> Duration {
        // 2^31 already dwarfs any sane ceiling; the shift cap keeps the multiply from overflowing.
        let doublings = retry.saturating_sub(1).min(31);
        self.backoff_base.saturating_mul(1 << doublings).min(self.backoff_max)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::RetryPolicy;
    use crate::config::ClientConfig;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(&ClientConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            retry_after_max: Duration::from_secs(3),
            ..ClientConfig::default()
        })
    }

    #[test]
    fn backoff_doubles_then_caps_with_jitter_in_the_upper_half() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for (retry, ceiling_ms) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (60, 1000)] {
            for _ in 0..50 {
                let delay = policy.delay(retry, None, &mut rng);
                let ceiling = Duration::from_millis(ceiling_ms);
                assert!(delay <= ceiling && delay >= ceiling / 2, "retry {retry}: {delay:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_a_floor_but_bounded() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(policy.delay(1, Some(Duration::from_secs(2)), &mut rng), Duration::from_secs(2));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(60)), &mut rng),
            Duration::from_secs(3)
        );
        assert!(policy.delay(1, Some(Duration::ZERO), &mut rng) >= Duration::from_millis(50));
    }

    #[test]
    fn same_seed_same_delays() {
        let policy = policy();
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (1..6).map(|retry| policy.delay(retry, None, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn attempts_are_clamped() {
        let zero = ClientConfig { attempts_max: 0, ..ClientConfig::default() };
        let huge = ClientConfig { attempts_max: u32::MAX, ..ClientConfig::default() };
        assert_eq!(RetryPolicy::new(&zero).attempts_max(), 1);
        assert_eq!(RetryPolicy::new(&huge).attempts_max(), crate::config::ATTEMPTS_MAX_LIMIT);
    }
}
