//! `Linger`: when the batching task pauses so that more requests join the next log entry.
//!
//! Every log entry costs the same fixed work whatever it carries: a synced append on each node, a
//! replication round and a forwarded call from each follower. Under concurrent load a short pause
//! before taking the next batch lets the requests that are on their way join it. The pause is
//! only worth it while requests keep coming together, so it needs both signs of load: the
//! previous batch held more than one request, and it was taken less than `LOAD_WINDOW` ago. A
//! lone request, or the first after a quiet moment, is written at once; so is the batch after a
//! full one, since requests are already waiting.
//!
//! Why not "the request arrived while the previous batch was being written": under a steady
//! load, the requests of the next entry are mostly the clients' next requests, sent once the
//! previous entry answered them; they arrive just after it, and the pause is for them.

use std::time::Duration;

/// How recent the previous batch must be for the node to count as under load. Under load
/// batches follow each other every few milliseconds.
pub const LOAD_WINDOW: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, Debug)]
pub struct Linger {
    pause: Duration,
    batch_max: usize,
}

/// What the batching task knows about the load when a request is ready to be batched.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub previous_batch_len: usize,
    /// How long ago the previous batch was taken.
    pub since_previous_batch: Duration,
}

impl Linger {
    /// `pause`: how long the next batch gathers under load, zero for never; `batch_max`: the
    /// most requests a batch takes.
    pub fn new(pause: Duration, batch_max: usize) -> Self {
        Self { pause, batch_max }
    }

    /// The pause before taking the next batch, if any.
    pub fn before_next_batch(&self, load: Load) -> Option<Duration> {
        let concurrent = load.previous_batch_len > 1 && load.since_previous_batch < LOAD_WINDOW;
        let already_waiting = load.previous_batch_len >= self.batch_max;
        (concurrent && !already_waiting && !self.pause.is_zero()).then_some(self.pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSE: Duration = Duration::from_millis(2);
    const BATCH_MAX: usize = 512;

    const RECENTLY: Duration = Duration::from_millis(3);

    fn pause_after(previous_batch_len: usize, since_previous_batch: Duration) -> Option<Duration> {
        let load = Load { previous_batch_len, since_previous_batch };
        Linger::new(PAUSE, BATCH_MAX).before_next_batch(load)
    }

    #[test]
    fn concurrent_requests_pause_the_next_batch() {
        assert_eq!(pause_after(2, RECENTLY), Some(PAUSE));
        assert_eq!(pause_after(BATCH_MAX - 1, RECENTLY), Some(PAUSE));
    }

    #[test]
    fn a_lone_request_is_never_held_back() {
        assert_eq!(pause_after(0, Duration::MAX), None, "the first batch");
        assert_eq!(pause_after(1, RECENTLY), None, "right after a batch of one");
    }

    #[test]
    fn the_first_request_after_a_quiet_moment_is_not_held_back() {
        assert_eq!(pause_after(300, LOAD_WINDOW), None, "the busy batch before is long gone");
    }

    #[test]
    fn after_a_full_batch_the_next_one_is_taken_at_once() {
        assert_eq!(pause_after(BATCH_MAX, RECENTLY), None);
    }

    #[test]
    fn a_zero_pause_turns_lingering_off() {
        let load = Load { previous_batch_len: 500, since_previous_batch: RECENTLY };
        assert_eq!(Linger::new(Duration::ZERO, BATCH_MAX).before_next_batch(load), None);
    }
}
