//! `LeaderClock`: the time a leader stamps on its log entries.
//!
//! A stamp is the wall clock, held to a reference: the time of day a quorum of voters vouched for
//! (`quorum_clock`), read before the first stamp of every term and again at every log time tick.
//! From its reference a stamp moves at most as far as the monotonic clock did since, plus a tenth
//! of that and `STAMP_SLACK`: a wall clock that leapt ahead (a day, say), before this node was
//! elected or while it leads, is absorbed, and a real correction is followed at once. Stamps are
//! held to the reading, not to each other, so the slack never adds up over many entries. Log
//! time therefore runs ahead of the right clocks by at most `LOG_TIME_LEAD_MAX` while fewer than a
//! quorum of clocks are wrong. A node that never had a reading (no quorum answered it) holds its
//! stamps to its own first one; apply bounds what any stamp does to log time again
//! (`raft_store::limits::LOG_TIME_STEP_MAX` per entry), for such leaders and other versions.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use raft_store::domain::Timestamp;
use tokio::time::Instant;

use super::log_time_tick::LOG_TIME_TICK;
use super::quorum_clock::{QuorumReading, CLOCK_READING_TIMEOUT};

/// How far a stamp may run ahead of the monotonic time since its reference: room for the two
/// clocks' drift and for rounding to milliseconds.
pub const STAMP_SLACK: Duration = Duration::from_millis(100);

/// How far ahead of the right clocks a leader's stamps can be, when fewer than a quorum of voters'
/// clocks are wrong: a reading is taken at most every tick plus the tick's own write and twice
/// the reading's wait, so a stamp is at most a tenth of that (rounded up to a fifth of a tick)
/// past its reading, which a voter's round trip (under the reading's timeout) may overstate.
pub const LOG_TIME_LEAD_MAX: Duration = Duration::from_millis(
    LOG_TIME_TICK.as_millis() as u64 / 5
        + CLOCK_READING_TIMEOUT.as_millis() as u64
        + STAMP_SLACK.as_millis() as u64,
);

#[derive(Debug, Default)]
pub struct LeaderClock {
    reference: Mutex<Option<Reference>>,
}

/// What the next stamp is held to: a time, when (monotonic) it held, and the term it was taken
/// in.
#[derive(Clone, Copy, Debug)]
struct Reference {
    time: Timestamp,
    at: Instant,
    term: u64,
}

impl LeaderClock {
    /// Whether a stamp in `term` waits for a quorum reading first: the term's first stamp does.
    pub fn needs_reading(&self, term: u64) -> bool {
        self.lock().is_none_or(|reference| reference.term != term)
    }

    /// Holds the following stamps of `term` to `reading`; with none (fewer than a quorum of
    /// voters answered) they stay held to the reference they had, if any.
    pub fn hold_to(&self, reading: Option<QuorumReading>, term: u64) {
        let mut reference = self.lock();
        match reading {
            Some(QuorumReading { time, at }) => *reference = Some(Reference { time, at, term }),
            None => {
                if let Some(previous) = reference.as_mut() {
                    previous.term = term;
                }
            }
        }
    }

    /// The stamp for an entry written now in `term`, when the wall clock reads `wall`; and whether
    /// the wall clock was ahead of the bound (the stamp was held back). Without any reference
    /// (no quorum ever answered this node) the stamp is the wall clock, and becomes the reference.
    pub fn stamp(&self, wall: DateTime<Utc>, term: u64) -> (Timestamp, bool) {
        let wall = Timestamp::from_datetime(wall);
        let now = Instant::now();
        let mut reference = self.lock();
        match *reference {
            Some(Reference { time, at, .. }) => {
                let elapsed = now.duration_since(at);
                let bound = time.saturating_add(elapsed + elapsed / 10 + STAMP_SLACK);
                (wall.min(bound), wall > bound)
            }
            None => {
                *reference = Some(Reference { time: wall, at: now, term });
                (wall, false)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Reference>> {
        self.reference.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeDelta, Utc};
    use raft_store::domain::Timestamp;
    use tokio::time::Instant;

    use super::{LeaderClock, STAMP_SLACK};
    use crate::write::quorum_clock::QuorumReading;

    /// Goal: a wall clock that leaps a day ahead between two entries moves the stamps by the
    /// monotonic time only; honest clocks stamp as they read. Steps: stamp; one second later
    /// (paused clock) the wall clock reads a day and a second ahead; then it is fixed.
    #[tokio::test(start_paused = true)]
    async fn a_leap_of_the_wall_clock_is_absorbed() {
        let clock = LeaderClock::default();
        let start = Utc::now();
        assert_eq!(clock.stamp(start, 1), (Timestamp::from_datetime(start), false));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let leapt = start + TimeDelta::days(1) + TimeDelta::seconds(1);
        let (stamp, held_back) = clock.stamp(leapt, 1);
        assert!(held_back);
        let bound = Timestamp::from_datetime(start)
            .saturating_add(Duration::from_millis(1100) + STAMP_SLACK);
        assert_eq!(stamp, bound, "one second and its allowance, not a day");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let fixed = start + TimeDelta::seconds(2);
        assert_eq!(clock.stamp(fixed, 1), (Timestamp::from_datetime(fixed), false));
    }

    /// Goal: a node whose clock leapt a day ahead before its term's first stamp stamps what the
    /// voters vouched for, not its own clock; the next term asks again. Steps: hold a fresh
    /// clock to a reading; stamp a day ahead; the next term needs a reading, this one does not.
    #[tokio::test(start_paused = true)]
    async fn a_first_stamp_is_held_to_the_voters_reading() {
        let clock = LeaderClock::default();
        assert!(clock.needs_reading(3));
        let start = Utc::now();
        let vouched = Timestamp::from_datetime(start);
        clock.hold_to(Some(QuorumReading { time: vouched, at: Instant::now() }), 3);
        assert!(!clock.needs_reading(3));
        let (stamp, held_back) = clock.stamp(start + TimeDelta::days(1), 3);
        assert!(held_back);
        assert_eq!(stamp, vouched.saturating_add(STAMP_SLACK));
        assert!(clock.needs_reading(4), "a new term asks the voters again");
        clock.hold_to(None, 4);
        assert!(!clock.needs_reading(4), "no quorum answered: held to the last reading");
        for _ in 0..3 {
            let (stamp, _) = clock.stamp(start + TimeDelta::days(1), 4);
            assert_eq!(stamp, vouched.saturating_add(STAMP_SLACK), "the slack never adds up");
        }
    }
}
