//! `DelaySchedule`: when each chunk of one direction of a connection is delivered.
//!
//! A chunk is stamped when it arrives and delivered one one-way delay later (jittered), but never
//! before the chunk ahead of it, since TCP keeps byte order, and never before the connection's
//! setup would have let the bytes through.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng as _;
use tokio::time::Instant;

/// One-way delays a new connection's first bytes from the client take at least, counted from
/// the moment the client connected: its SYN, the server's SYN-ACK, then the data itself.
pub const HANDSHAKE_ONE_WAYS: u32 = 3;

#[derive(Debug)]
pub struct DelaySchedule {
    one_way: Duration,
    /// The largest share of `one_way` a chunk's delay strays by, either way: 0.0..=1.0.
    jitter: f64,
    /// No chunk is delivered before this (the handshake), and none before the last one.
    not_before: Instant,
    rng: StdRng,
}

impl DelaySchedule {
    pub fn new(one_way: Duration, jitter: f64, not_before: Instant, rng: StdRng) -> Self {
        assert!((0.0..=1.0).contains(&jitter), "jitter is a share of the delay: {jitter}");
        Self { one_way, jitter, not_before, rng }
    }

    /// The schedule of the client's direction of a connection accepted at `accepted`.
    pub fn from_client(one_way: Duration, jitter: f64, accepted: Instant, rng: StdRng) -> Self {
        Self::new(one_way, jitter, accepted + one_way * HANDSHAKE_ONE_WAYS, rng)
    }

    /// When a chunk that arrived at `arrival` is delivered. Calls come in arrival order.
    pub fn deliver_at(&mut self, arrival: Instant) -> Instant {
        let delay = if self.jitter == 0.0 {
            self.one_way
        } else {
            self.one_way.mul_f64(self.rng.gen_range(1.0 - self.jitter..=1.0 + self.jitter))
        };
        let at = (arrival + delay).max(self.not_before);
        self.not_before = at;
        at
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn schedule(one_way: Duration, jitter: f64, not_before: Instant) -> DelaySchedule {
        DelaySchedule::new(one_way, jitter, not_before, StdRng::seed_from_u64(7))
    }

    #[test]
    fn without_jitter_every_chunk_is_one_delay_late() {
        let start = Instant::now();
        let mut schedule = schedule(40 * MS, 0.0, start);
        for offset in [0, 5, 100, 101] {
            assert_eq!(schedule.deliver_at(start + offset * MS), start + (offset + 40) * MS);
        }
    }

    #[test]
    fn a_new_connection_pays_for_its_handshake_once() {
        let accepted = Instant::now();
        let mut schedule =
            DelaySchedule::from_client(40 * MS, 0.0, accepted, StdRng::seed_from_u64(7));
        // Bytes sent at once wait for SYN, SYN-ACK and their own trip: 120 ms, not 40.
        assert_eq!(schedule.deliver_at(accepted + MS), accepted + 120 * MS);
        // Bytes that came meanwhile queue behind them; later ones only pay their trip.
        assert_eq!(schedule.deliver_at(accepted + 50 * MS), accepted + 120 * MS);
        assert_eq!(schedule.deliver_at(accepted + 200 * MS), accepted + 240 * MS);
    }

    #[test]
    fn jitter_varies_each_delay_within_its_band() {
        // Chunks further apart than the band is wide: none waits for the one before it.
        let start = Instant::now();
        let mut schedule = schedule(100 * MS, 0.5, start);
        let delays: Vec<Duration> = (0..200)
            .map(|step| {
                let arrival = start + step * 200 * MS;
                schedule.deliver_at(arrival) - arrival
            })
            .collect();
        assert!(delays.iter().all(|delay| (50 * MS..=150 * MS).contains(delay)), "{delays:?}");
        assert!(delays.iter().any(|delay| *delay < 60 * MS), "{delays:?}");
        assert!(delays.iter().any(|delay| *delay > 140 * MS), "{delays:?}");
    }

    #[test]
    fn jitter_never_reorders_chunks() {
        let start = Instant::now();
        let mut schedule = schedule(100 * MS, 1.0, start);
        let mut last = start;
        for step in 0..1000 {
            let arrival = start + step * MS;
            let at = schedule.deliver_at(arrival);
            assert!(at >= last, "chunk {step} overtook the one before it");
            last = at;
        }
    }
}
