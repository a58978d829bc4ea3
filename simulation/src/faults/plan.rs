//! `FaultPlan`: everything a seed decides about a run's cluster and faults, drawn before the run
//! starts and printed, so a failure report shows what was injected.

use std::time::Duration;

use raft_store::NodeId;
use rand::Rng;
use serde::Serialize;

use crate::harness::Timing;
use crate::region::{Region, RegionLayout};

/// Which node a fault hits, resolved when the fault starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Target {
    Leader,
    Follower,
    /// Any node, leader or not.
    Any,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Fault {
    /// Cut the leader off from every other coupon node (clients still reach it).
    IsolateLeader,
    /// Cut a minority (which holds the leader or not) off from the majority.
    SplitMinority { with_leader: bool },
    /// Drop one direction only: the target's outgoing (`outgoing`) or incoming messages.
    OneWayClog { target: Target, outgoing: bool },
    /// Freeze a node's tasks for the fault's whole hold, longer than an election timeout.
    Pause(Target),
    /// Power loss of one node; it restarts on its disk when the fault heals.
    Crash(Target),
    /// Power loss of a majority at once.
    CrashMajority,
    /// Power loss of every node at once.
    CrashAll,
    /// Slow, lossy links (madsim's TCP retransmits, so loss shows up as delay).
    SlowNetwork { latency_ms: (u64, u64), loss_rate: f64 },
    /// Cut a follower off (or crash it) and keep writing until the leader has purged the log
    /// past it, so that it must catch up from a snapshot when the fault heals.
    LagBehindSnapshot { crash: bool },
    /// A node's clock reads `ahead_ms` ahead of the true time (negative: behind) until the fault
    /// heals, when it is put right: a host whose clock was set wrong, then fixed.
    ClockLeap { target: Target, ahead_ms: i64 },
    /// With 5 voters, the leader's entries reach one follower only and are truncated on the
    /// leader by a second leader, and that follower then leads with them (`faults::truncation`).
    TruncateOnOldLeader,
    /// A whole region lost: its nodes cut off from the other regions' (clients still reach
    /// every node), or all powered off (`crash`).
    LoseRegion { region: Region, nodes: Vec<NodeId>, crash: bool },
    /// Several faults at once (none of them a lag, a truncation or a membership change).
    Combined(Vec<Fault>),
    /// Change membership through the API while `during` holds.
    Membership { during: Box<Fault>, change: MembershipChange },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum MembershipChange {
    AddVoter(NodeId),
    RemoveVoter(Target),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Quiet time before the fault starts.
    #[serde(serialize_with = "as_millis")]
    pub gap: Duration,
    pub fault: Fault,
    /// How long the fault stays before it heals.
    #[serde(serialize_with = "as_millis")]
    pub hold: Duration,
}

#[derive(Clone, Debug, Serialize)]
pub struct FaultPlan {
    pub voters: u64,
    /// Nodes started without a cluster, for membership changes to add.
    pub spares: u64,
    pub timing: Timing,
    /// The links' base latency range (ms) outside `SlowNetwork`.
    pub latency_ms: (u64, u64),
    /// In a region run, where every voter and client sits and the delays between regions.
    pub regions: Option<RegionLayout>,
    pub steps: Vec<Step>,
}

impl FaultPlan {
    /// Timing with a snapshot policy from the range (every 50 to 1000 entries).
    pub fn draw_timing(rng: &mut impl Rng, snapshot_every: (u64, u64), kept: (u64, u64)) -> Timing {
        let heartbeat_ms = [30, 50, 80][rng.gen_range(0..3)];
        let election_timeout_ms_min = heartbeat_ms * rng.gen_range(5..=8);
        Timing {
            heartbeat_ms,
            election_timeout_ms_min,
            election_timeout_ms_max: election_timeout_ms_min * 2,
            request_timeout_ms: rng.gen_range(1000..=3000),
            snapshot_every: log_uniform(rng, snapshot_every),
            logs_kept_behind_snapshot: rng.gen_range(kept.0..=kept.1),
        }
    }

    /// A pause long enough for the others to elect a new leader: 2 to 4 election timeouts.
    pub fn pause_hold(&self, rng: &mut impl Rng) -> Duration {
        Duration::from_millis(self.timing.election_timeout_ms_max * rng.gen_range(2..=4))
    }
}

/// Durations in plans and reports read as milliseconds.
pub fn as_millis<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(duration.as_millis())
}

/// A value spread evenly over orders of magnitude, so small snapshot intervals come up as
/// often as large ones.
fn log_uniform(rng: &mut impl Rng, (low, high): (u64, u64)) -> u64 {
    let exponent = rng.gen_range((low as f64).ln()..=(high as f64).ln());
    (exponent.exp().round() as u64).clamp(low, high)
}
