//! The scenarios: each draws, per seed, a cluster, a fault plan and a workload from its own
//! family. Every scenario runs every check.

use std::time::Duration;

use rand::Rng;

use crate::faults::{Fault, FaultPlan, MembershipChange, Step, Target};
use crate::region_scenarios::{self, RegionFamily};
use crate::workload::WorkloadSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Leader isolation, minority/majority splits, one-way clogs, long pauses.
    Partitions,
    /// Power loss of one node, of a majority, of every node; restarts on the same disks.
    Crashes,
    /// A follower kept away until the leader purged its log past it: catch-up by snapshot,
    /// then a crash and restart on the installed snapshot.
    SnapshotCatchUp,
    /// Voters added and removed through the API while a fault holds.
    Membership,
    /// Slow, lossy links and short client deadlines: many unknown outcomes, many retries with the
    /// same key through other nodes.
    LossyNetwork,
    /// Any of the above faults, often two at once (a crash during a partition, a pause on a slow
    /// network).
    Mixed,
    /// 5 voters; a leader's entries truncated on it while a follower keeps them and leads next
    /// (`faults::truncation`), under many writes without an Idempotency-Key.
    Truncation,
    /// A node's clock leaps a day ahead (or an hour behind) and back, while it leads or while
    /// the leader is cut off so that it may win.
    ClockSkew,
    /// Three voters, one per region (eu, us, ap), over wide-area delays; a whole region lost
    /// (cut off or powered off) and back, 2-3 times (`region_scenarios`).
    RegionsThree,
    /// As `RegionsThree` with five voters: two in eu, two in us, one in ap.
    RegionsFive,
    /// Three or five voters over regions; the preferred leader region (eu) lost and healed.
    PreferredRegionLoss,
}

impl Scenario {
    pub const ALL: [Scenario; 11] = [
        Scenario::Partitions,
        Scenario::Crashes,
        Scenario::SnapshotCatchUp,
        Scenario::Membership,
        Scenario::LossyNetwork,
        Scenario::Mixed,
        Scenario::Truncation,
        Scenario::ClockSkew,
        Scenario::RegionsThree,
        Scenario::RegionsFive,
        Scenario::PreferredRegionLoss,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Partitions => "partitions",
            Scenario::Crashes => "crashes",
            Scenario::SnapshotCatchUp => "snapshot_catch_up",
            Scenario::Membership => "membership",
            Scenario::LossyNetwork => "lossy_network",
            Scenario::Mixed => "mixed",
            Scenario::Truncation => "truncation",
            Scenario::ClockSkew => "clock_skew",
            Scenario::RegionsThree => "regions_3",
            Scenario::RegionsFive => "regions_5",
            Scenario::PreferredRegionLoss => "preferred_region_loss",
        }
    }

    /// The region scenarios' family, `None` for the others.
    fn regions(self) -> Option<RegionFamily> {
        match self {
            Scenario::RegionsThree => Some(RegionFamily::ThreeVoters),
            Scenario::RegionsFive => Some(RegionFamily::FiveVoters),
            Scenario::PreferredRegionLoss => Some(RegionFamily::PreferredLost),
            _ => None,
        }
    }

    pub fn plan(self, rng: &mut impl Rng) -> FaultPlan {
        if let Some(family) = self.regions() {
            return region_scenarios::plan(family, rng);
        }
        let voters = match self {
            Scenario::Truncation => 5,
            Scenario::Membership => 3,
            _ if rng.gen_bool(0.6) => 3,
            _ => 5,
        };
        let (snapshot_every, kept) = match self {
            Scenario::SnapshotCatchUp => ((50, 200), (0, 10)),
            _ => ((50, 1000), (0, 50)),
        };
        let mut plan = FaultPlan {
            voters,
            spares: if self == Scenario::Membership { 2 } else { 0 },
            timing: FaultPlan::draw_timing(rng, snapshot_every, kept),
            latency_ms: (1, rng.gen_range(2..=15)),
            regions: None,
            steps: Vec::new(),
        };
        let step_count = rng.gen_range(3..=5);
        plan.steps = match self {
            Scenario::Partitions => (0..step_count).map(|_| partition_step(rng, &plan)).collect(),
            Scenario::Crashes => (0..step_count).map(|_| crash_step(rng)).collect(),
            Scenario::SnapshotCatchUp => snapshot_steps(rng),
            Scenario::Membership => membership_steps(rng, &plan),
            Scenario::LossyNetwork => (0..step_count).map(|_| lossy_step(rng)).collect(),
            Scenario::Mixed => (0..step_count).map(|_| mixed_step(rng, &plan)).collect(),
            Scenario::Truncation => (0..step_count).map(|_| truncation_step(rng)).collect(),
            Scenario::ClockSkew => (0..step_count).map(|_| clock_step(rng, &plan)).collect(),
            Scenario::RegionsThree | Scenario::RegionsFive | Scenario::PreferredRegionLoss => {
                unreachable!("region scenarios are planned by region_scenarios")
            }
        };
        plan
    }

    pub fn workload(self, rng: &mut impl Rng) -> WorkloadSpec {
        let mut spec = WorkloadSpec::draw(rng);
        match self {
            Scenario::LossyNetwork => {
                spec.client_timeout = Duration::from_millis(rng.gen_range(250..=1000));
            }
            Scenario::SnapshotCatchUp => {
                // Many small entries, so the log grows past the snapshot interval quickly.
                spec.clients = rng.gen_range(10..=16);
                spec.think_ms = (2, 30);
            }
            Scenario::Truncation => {
                // Keyless writes are the ones a blind resend applies twice, and only while the
                // coupon has uses left does the second application show.
                spec.weights.keyless_redeem = 40;
                spec.think_ms = (2, 60);
                spec.usage_limit = (20, rng.gen_range(30..=60));
            }
            _ if self.regions().is_some() => region_scenarios::workload(&mut spec, rng),
            _ => {}
        }
        spec
    }
}

fn gap(rng: &mut impl Rng) -> Duration {
    Duration::from_millis(rng.gen_range(300..=1500))
}

fn hold(rng: &mut impl Rng) -> Duration {
    Duration::from_millis(rng.gen_range(500..=3000))
}

fn either(rng: &mut impl Rng) -> Target {
    if rng.gen_bool(0.5) {
        Target::Leader
    } else {
        Target::Follower
    }
}

fn partition_step(rng: &mut impl Rng, plan: &FaultPlan) -> Step {
    let (fault, hold) = match rng.gen_range(0..4) {
        0 => (Fault::IsolateLeader, hold(rng)),
        1 => (Fault::SplitMinority { with_leader: rng.gen_bool(0.5) }, hold(rng)),
        2 => (Fault::OneWayClog { target: either(rng), outgoing: rng.gen_bool(0.5) }, hold(rng)),
        _ => (Fault::Pause(either(rng)), plan.pause_hold(rng)),
    };
    Step { gap: gap(rng), fault, hold }
}

fn crash_step(rng: &mut impl Rng) -> Step {
    let fault = match rng.gen_range(0..8) {
        0..=1 => Fault::Crash(Target::Leader),
        2..=3 => Fault::Crash(Target::Follower),
        4 => Fault::Crash(Target::Any),
        5..=6 => Fault::CrashMajority,
        _ => Fault::CrashAll,
    };
    Step { gap: gap(rng), fault, hold: Duration::from_millis(rng.gen_range(200..=2500)) }
}

fn snapshot_steps(rng: &mut impl Rng) -> Vec<Step> {
    let lag = Step {
        gap: gap(rng),
        fault: Fault::LagBehindSnapshot { crash: rng.gen_bool(0.3) },
        hold: Duration::from_millis(rng.gen_range(500..=1500)),
    };
    // The caught-up node restarts from the snapshot it installed, if it is the one that crashes.
    let crash = Step { gap: gap(rng), fault: Fault::Crash(Target::Any), hold: hold(rng) };
    let isolate = Step { gap: gap(rng), fault: Fault::IsolateLeader, hold: hold(rng) };
    vec![lag, crash, isolate]
}

fn membership_steps(rng: &mut impl Rng, plan: &FaultPlan) -> Vec<Step> {
    let first_spare = plan.voters + 1;
    let changes = [
        MembershipChange::AddVoter(first_spare),
        MembershipChange::RemoveVoter(if rng.gen_bool(0.4) { Target::Leader } else { Target::Any }),
        MembershipChange::AddVoter(first_spare + 1),
    ];
    changes
        .into_iter()
        .map(|change| {
            let during = match rng.gen_range(0..4) {
                0 => Fault::Pause(Target::Follower),
                1 => Fault::OneWayClog { target: Target::Follower, outgoing: rng.gen_bool(0.5) },
                2 => Fault::SlowNetwork { latency_ms: (5, 80), loss_rate: 0.05 },
                _ => Fault::IsolateLeader,
            };
            let hold = Duration::from_millis(rng.gen_range(1500..=4000));
            Step {
                gap: gap(rng),
                fault: Fault::Membership { during: Box::new(during), change },
                hold,
            }
        })
        .collect()
}

fn lossy_step(rng: &mut impl Rng) -> Step {
    let fault = if rng.gen_bool(0.75) {
        let low = rng.gen_range(1..=40);
        Fault::SlowNetwork {
            latency_ms: (low, low + rng.gen_range(20..=300)),
            loss_rate: rng.gen_range(0.0..0.3),
        }
    } else {
        Fault::IsolateLeader
    };
    Step { gap: gap(rng), fault, hold: Duration::from_millis(rng.gen_range(1500..=5000)) }
}

fn truncation_step(rng: &mut impl Rng) -> Step {
    let hold = Duration::from_millis(rng.gen_range(1000..=3000));
    Step { gap: gap(rng), fault: Fault::TruncateOnOldLeader, hold }
}

/// A day ahead, or an hour behind.
fn clock_leap(rng: &mut impl Rng, target: Target) -> Fault {
    let ahead_ms = if rng.gen_bool(0.8) { 24 * 3600 * 1000 } else { -3600 * 1000 };
    Fault::ClockLeap { target, ahead_ms }
}

fn clock_step(rng: &mut impl Rng, plan: &FaultPlan) -> Step {
    let fault = match rng.gen_range(0..4) {
        0 => clock_leap(rng, Target::Leader),
        // The leader cut off, so that the node with the wrong clock may win the election.
        1 => Fault::Combined(vec![clock_leap(rng, Target::Follower), Fault::IsolateLeader]),
        2 => Fault::Combined(vec![clock_leap(rng, Target::Any), Fault::Pause(Target::Leader)]),
        _ => partition_step(rng, plan).fault,
    };
    let hold = Duration::from_millis(rng.gen_range(1500..=4000));
    Step { gap: gap(rng), fault, hold }
}

fn mixed_step<R: Rng>(rng: &mut R, plan: &FaultPlan) -> Step {
    let one = |rng: &mut R| match rng.gen_range(0..3) {
        0 => partition_step(rng, plan).fault,
        1 => crash_step(rng).fault,
        _ => lossy_step(rng).fault,
    };
    let fault =
        if rng.gen_bool(0.5) { one(rng) } else { Fault::Combined(vec![one(rng), one(rng)]) };
    Step { gap: gap(rng), fault, hold: Duration::from_millis(rng.gen_range(500..=3000)) }
}
