//! Regions: where each simulated host sits and how far apart the regions are. The transport
//! (`net::wan`) turns this into delays on every message; the region scenarios, the
//! `leader_in_preferred_region` invariant and the latency table (`region_latency`) read it.
//!
//! Plain data: it imports nothing of the simulation but node ids, so every layer may use it.

mod latency_matrix;
mod layout;

use serde::Serialize;

pub use latency_matrix::LatencyMatrix;
pub use layout::RegionLayout;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Eu,
    Us,
    Ap,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Eu, Region::Us, Region::Ap];

    /// The name a node is given with `--region`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Eu => "eu",
            Region::Us => "us",
            Region::Ap => "ap",
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}
