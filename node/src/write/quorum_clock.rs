//! `quorum_reading`: the time of day the voters vouch for, which bounds a new leader's first
//! stamp.
//!
//! A leader's stamps after its first follow its monotonic clock (`LeaderClock`), but the first
//! has nothing of its own to be held to: a node whose wall clock leapt a day ahead before it was
//! elected would otherwise move log time a day ahead, `LOG_TIME_STEP_MAX` per entry, expiring
//! idempotency records and coupons early. So before its first stamp the node asks every voter
//! for its clock and is held to an order statistic of the readings that no minority of wrong
//! clocks can push ahead of every right one.

use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use raft_store::domain::Timestamp;
use tokio::time::Instant;

use crate::forward::Forwarder;
use crate::peer::path;

/// How long the first stamp waits for the voters' clocks: the far voters of a wide-area cluster
/// answer within it; a voter that does not is left out.
pub const CLOCK_READING_TIMEOUT: Duration = Duration::from_secs(1);

/// A reading of the voters' clocks, taken at `at` (monotonic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumReading {
    pub time: Timestamp,
    pub at: Instant,
}

/// Asks every other voter for its clock, beside this node's own reading `own`, and answers the
/// reading a quorum vouches for (`vouched_for`); `None` when fewer than a quorum answered. Once
/// a quorum has answered it waits for the others only as long again as the quorum took, so a
/// voter that is down costs the first stamp little.
pub async fn quorum_reading(forwarder: &Forwarder, own: Timestamp) -> Option<QuorumReading> {
    let started = Instant::now();
    let (voters, voter_count) = forwarder.other_voters();
    let quorum = voter_count / 2 + 1;
    let mut asked: FuturesUnordered<_> = voters
        .iter()
        .map(|voter| async move {
            let sent = Instant::now();
            let reading: Timestamp = forwarder
                .rpc()
                .call(&voter.peer_addr, path::CLOCK, &(), CLOCK_READING_TIMEOUT)
                .await
                .ok()?;
            // The voter's clock read `reading` at some moment of the round trip: it reads at
            // most this much now.
            Some(reading.saturating_add(sent.elapsed()))
        })
        .collect();
    let mut readings = vec![own];
    let mut deadline = started + CLOCK_READING_TIMEOUT;
    while readings.len() < voter_count {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, asked.next()).await {
            Ok(Some(Some(reading))) => readings.push(reading),
            Ok(Some(None)) => {}
            Ok(None) | Err(_) => break,
        }
        if readings.len() == quorum {
            deadline = deadline.min(Instant::now() + started.elapsed());
        }
    }
    let time = vouched_for(&mut readings, voter_count)?;
    Some(QuorumReading { time, at: Instant::now() })
}

/// Of `readings` (this node's and the voters' that answered, out of `voter_count` voters), the
/// one that at least one right clock reads no earlier than, as long as the wrong clocks are
/// fewer than a quorum: with `f = voter_count - quorum`, the `f + 1`-th latest. With every
/// voter's reading it is the median, so it is also no earlier than some right clock. `None`
/// when fewer than a quorum of readings are given.
fn vouched_for(readings: &mut [Timestamp], voter_count: usize) -> Option<Timestamp> {
    let quorum = voter_count / 2 + 1;
    if readings.len() < quorum {
        return None;
    }
    readings.sort_unstable();
    let wrong_at_most = voter_count - quorum;
    Some(readings[readings.len() - 1 - wrong_at_most])
}

#[cfg(test)]
mod tests {
    use raft_store::domain::Timestamp;

    use super::vouched_for;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis)
    }

    #[test]
    fn no_minority_of_clocks_leaping_ahead_moves_the_reading_past_every_right_one() {
        // Goal: one clock of three, or two of five, a day ahead cannot lift the reading above
        // the right clocks, however many voters answered; with every reading, one clock behind
        // cannot drag it below them either.
        const DAY: i64 = 86_400_000;
        assert_eq!(vouched_for(&mut [at(DAY), at(10), at(12)], 3), Some(at(12)));
        assert_eq!(vouched_for(&mut [at(DAY), at(10)], 3), Some(at(10)));
        assert_eq!(vouched_for(&mut [at(10), at(-DAY), at(12)], 3), Some(at(10)));
        let five = &mut [at(DAY), at(DAY), at(10), at(11), at(12)];
        assert_eq!(vouched_for(five, 5), Some(at(12)), "the median");
        assert_eq!(vouched_for(&mut [at(DAY), at(DAY), at(10)], 5), Some(at(10)));
        assert_eq!(vouched_for(&mut [at(DAY), at(11), at(10), at(12)], 5), Some(at(11)));
    }

    #[test]
    fn fewer_readings_than_a_quorum_vouch_for_nothing() {
        assert_eq!(vouched_for(&mut [at(10)], 3), None);
        assert_eq!(vouched_for(&mut [at(10), at(11)], 5), None);
        assert_eq!(vouched_for(&mut [at(10)], 1), Some(at(10)));
    }
}
