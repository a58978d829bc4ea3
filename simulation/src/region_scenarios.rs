//! The region scenarios' plans: voters in three regions (eu, us, ap) with a preferred leader
//! region (eu), clients in every region, the matrix of delays between regions, and faults that
//! take a whole region away and bring it back.
//!
//! Every heal is followed by a quiet gap longer than `PREFERRED_LEADER_BOUND`, so that
//! `leader_in_preferred_region` judges every heal but the last (the run ends soon after it).

use std::time::Duration;

use rand::Rng;

use crate::faults::{Fault, FaultPlan, Step};
use crate::invariants::PREFERRED_LEADER_BOUND;
use crate::region::{LatencyMatrix, Region, RegionLayout};
use crate::workload::WorkloadSpec;

/// Which layout and which regions a region scenario loses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionFamily {
    /// One voter per region; any region is lost.
    ThreeVoters,
    /// Two voters in eu, two in us, one in ap; any region is lost.
    FiveVoters,
    /// Either layout; the preferred region is powered off every time, so that only the
    /// preference brings the lead back. (A region cut off by a partition comes back with newer
    /// terms and often takes the lead by an election of its own.)
    PreferredLost,
}

const PREFERRED: Region = Region::Eu;

pub fn plan(family: RegionFamily, rng: &mut impl Rng) -> FaultPlan {
    let five = match family {
        RegionFamily::ThreeVoters => false,
        RegionFamily::FiveVoters => true,
        RegionFamily::PreferredLost => rng.gen_bool(0.5),
    };
    let voters = if five {
        vec![Region::Eu, Region::Eu, Region::Us, Region::Us, Region::Ap]
    } else {
        vec![Region::Eu, Region::Us, Region::Ap]
    };
    let layout = RegionLayout { voters, preferred: PREFERRED, delays: LatencyMatrix::WORLD };
    let mut timing = FaultPlan::draw_timing(rng, (50, 1000), (0, 50));
    // openraft 0.9 gives an append (a heartbeat too) one heartbeat interval to answer, and a
    // timed-out exchange loses its connection: the interval must hold a new connection's connect
    // and request round trips to the farthest voter (2 x 330 ms to ap with jitter), or that voter
    // never hears from the leader again once a call to it failed (seen with 100 ms).
    timing.heartbeat_ms = 700;
    timing.election_timeout_ms_min = timing.heartbeat_ms * rng.gen_range(4..=5);
    timing.election_timeout_ms_max = timing.election_timeout_ms_min + 1000;
    let steps = (0..rng.gen_range(2..=3))
        .map(|index| {
            let region = match family {
                RegionFamily::PreferredLost => PREFERRED,
                _ => Region::ALL[rng.gen_range(0..Region::ALL.len())],
            };
            let fault = Fault::LoseRegion {
                region,
                nodes: layout.nodes_in(region),
                crash: family == RegionFamily::PreferredLost || rng.gen_bool(0.5),
            };
            // The first gap is the steady state the latency table measures; the later ones
            // give the preferred region time to take the lead back.
            let gap_ms = if index == 0 { rng.gen_range(3000..=5000) } else { quiet_gap_ms(rng) };
            // Long enough for another region to elect a leader when the leader's region is
            // lost: followers refuse votes for a lease (the longest election timeout) after the
            // leader's last message, and a candidate that stood before the lease ended stands
            // again an election timeout later.
            let hold_ms = timing.election_timeout_ms_max * 2 + rng.gen_range(1000..=3000);
            let hold = Duration::from_millis(hold_ms);
            Step { gap: Duration::from_millis(gap_ms), fault, hold }
        })
        .collect();
    FaultPlan {
        voters: layout.voters.len() as u64,
        spares: 0,
        timing,
        // madsim's own latency near zero: the matrix (`net::wan`) is the network's delay.
        latency_ms: (0, 1),
        regions: Some(layout),
        steps,
    }
}

fn quiet_gap_ms(rng: &mut impl Rng) -> u64 {
    let bound_ms = PREFERRED_LEADER_BOUND.as_millis() as u64;
    rng.gen_range(bound_ms + 1000..=bound_ms + 3000)
}

/// Client deadlines long enough for a redeem from the farthest region (a forward across the
/// world and the leader's quorum round trip), so the latency table is not cut at a timeout.
pub fn workload(spec: &mut WorkloadSpec, rng: &mut impl Rng) {
    spec.client_timeout = Duration::from_millis(rng.gen_range(2000..=3000));
}
