//! `LatencyMatrix`: the one-way delay of a message between two regions, as a scenario states it.
//!
//! What it models: propagation delay, the same both ways, plus a per-message jitter drawn from
//! the seed's rng (madsim's, so a seed replays exactly). What it does not: bandwidth (a 4 MiB
//! snapshot chunk crosses as fast as a heartbeat), queueing behind other messages on a link,
//! and HTTP pipelining (HTTP/1.1 sends one request per connection at a time anyway, and
//! `net::wan` pools connections as reqwest does).

use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use super::Region;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct LatencyMatrix {
    pub within_region_ms: u64,
    pub eu_us_ms: u64,
    pub us_ap_ms: u64,
    pub eu_ap_ms: u64,
    /// Each message takes its base delay plus up to this fraction of it more.
    pub jitter_fraction: f64,
}

impl LatencyMatrix {
    /// Round numbers for links between Europe, the US east coast and Asia-Pacific.
    pub const WORLD: LatencyMatrix = LatencyMatrix {
        within_region_ms: 1,
        eu_us_ms: 40,
        us_ap_ms: 90,
        eu_ap_ms: 150,
        jitter_fraction: 0.1,
    };

    /// The base one-way delay from `from` to `to`: no message is faster.
    pub fn one_way(&self, from: Region, to: Region) -> Duration {
        let ms = match (from.min(to), from.max(to)) {
            (a, b) if a == b => self.within_region_ms,
            (Region::Eu, Region::Us) => self.eu_us_ms,
            (Region::Us, Region::Ap) => self.us_ap_ms,
            _ => self.eu_ap_ms,
        };
        Duration::from_millis(ms)
    }

    pub fn round_trip(&self, a: Region, b: Region) -> Duration {
        self.one_way(a, b) + self.one_way(b, a)
    }

    /// The delay of one message: the base delay and a jitter drawn from `rng`.
    pub fn draw(&self, from: Region, to: Region, rng: &mut impl Rng) -> Duration {
        let base = self.one_way(from, to);
        base.mul_f64(1.0 + rng.gen_range(0.0..=self.jitter_fraction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_symmetric_and_local_links_are_fast() {
        let world = LatencyMatrix::WORLD;
        for a in Region::ALL {
            for b in Region::ALL {
                assert_eq!(world.one_way(a, b), world.one_way(b, a), "{a}-{b}");
            }
            assert_eq!(world.one_way(a, a), Duration::from_millis(1));
        }
        assert_eq!(world.one_way(Region::Eu, Region::Ap), Duration::from_millis(150));
        assert_eq!(world.round_trip(Region::Us, Region::Ap), Duration::from_millis(180));
    }

    #[test]
    fn jitter_only_adds() {
        let mut rng = rand::rngs::mock::StepRng::new(0, u64::MAX / 7);
        let world = LatencyMatrix::WORLD;
        for _ in 0..20 {
            let drawn = world.draw(Region::Eu, Region::Us, &mut rng);
            assert!(drawn >= Duration::from_millis(40) && drawn <= Duration::from_millis(44));
        }
    }
}
