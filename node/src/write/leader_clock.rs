//! `LeaderClock`: the time a leader stamps on its log entries.
//!
//! A stamp is the wall clock, except that between two stamps of this node it moves at most as
//! far as the monotonic clock did, plus a tenth of that and `STAMP_SLACK`: a leap of the wall
//! clock while this node writes (a day ahead, say) is absorbed, and the stamps catch up with a
//! real correction at a tenth of real time. Apply bounds what any stamp does to log time again
//! (`raft_store::limits::LOG_TIME_STEP_MAX` per entry), for stamps of leaders this rule did not
//! hold back (a leap before this node's first stamp, another version).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use raft_store::domain::Timestamp;
use tokio::time::Instant;

/// How far a stamp may run ahead of the monotonic time since the previous one: room for the
/// two clocks' drift and for rounding to milliseconds.
pub const STAMP_SLACK: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub struct LeaderClock {
    /// The previous stamp and when (monotonic) it was taken.
    previous: Mutex<Option<(Timestamp, Instant)>>,
}

impl LeaderClock {
    /// The stamp for an entry written now, when the wall clock reads `wall`; and whether the
    /// wall clock was ahead of the bound (the stamp was held back).
    pub fn stamp(&self, wall: DateTime<Utc>) -> (Timestamp, bool) {
        let wall = Timestamp::from_datetime(wall);
        let now = Instant::now();
        let mut previous = self.previous.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (stamp, held_back) = match *previous {
            Some((stamp, at)) => {
                let elapsed = now.duration_since(at);
                let bound = stamp.saturating_add(elapsed + elapsed / 10 + STAMP_SLACK);
                (wall.min(bound), wall > bound)
            }
            None => (wall, false),
        };
        *previous = Some((stamp, now));
        (stamp, held_back)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeDelta, Utc};
    use raft_store::domain::Timestamp;

    use super::{LeaderClock, STAMP_SLACK};

    /// Goal: a wall clock that leaps a day ahead between two entries moves the stamps by the
    /// monotonic time only; honest clocks stamp as they read. Steps: stamp; one second later
    /// (paused clock) the wall clock reads a day and a second ahead; then it is fixed.
    #[tokio::test(start_paused = true)]
    async fn a_leap_of_the_wall_clock_is_absorbed() {
        let clock = LeaderClock::default();
        let start = Utc::now();
        assert_eq!(clock.stamp(start), (Timestamp::from_datetime(start), false));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let leapt = start + TimeDelta::days(1) + TimeDelta::seconds(1);
        let (stamp, held_back) = clock.stamp(leapt);
        assert!(held_back);
        let bound = Timestamp::from_datetime(start)
            .saturating_add(Duration::from_millis(1100) + STAMP_SLACK);
        assert_eq!(stamp, bound, "one second and its allowance, not a day");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let fixed = start + TimeDelta::seconds(2);
        assert_eq!(clock.stamp(fixed), (Timestamp::from_datetime(fixed), false));
    }
}
