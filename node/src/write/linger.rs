//! `Linger`: when the batching task pauses so that more requests join the next log entry.
//!
//! Every log entry costs the same fixed work whatever it carries: an fsync on each node (sled
//! wakes its whole IO thread pool for each), a replication round and a forwarded call from each
//! follower. Under concurrent load a short pause before taking the next batch lets the requests
//! that are on their way join it. A pause is only worth it when requests come together, so it
//! follows a batch of more than one request: a lone request is written at once.

use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Linger {
    pause: Duration,
}

impl Linger {
    /// `pause`: how long the next batch gathers under load; zero never pauses.
    pub fn new(pause: Duration) -> Self {
        Self { pause }
    }

    /// The pause before taking the batch that follows one of `previous_batch_len` requests.
    pub fn after(&self, previous_batch_len: usize) -> Option<Duration> {
        (previous_batch_len > 1 && !self.pause.is_zero()).then_some(self.pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSE: Duration = Duration::from_millis(2);

    #[test]
    fn a_lone_request_is_never_held_back() {
        let linger = Linger::new(PAUSE);
        assert_eq!(linger.after(0), None, "the first batch");
        assert_eq!(linger.after(1), None, "after a batch of one");
    }

    #[test]
    fn concurrent_requests_pause_the_next_batch() {
        assert_eq!(Linger::new(PAUSE).after(2), Some(PAUSE));
        assert_eq!(Linger::new(PAUSE).after(500), Some(PAUSE));
    }

    #[test]
    fn a_zero_pause_turns_lingering_off() {
        assert_eq!(Linger::new(Duration::ZERO).after(500), None);
    }
}
