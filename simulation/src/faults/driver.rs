//! `FaultDriver`: injects a plan's faults one after another, holds each, heals it, and logs what
//! it did (with the node each fault resolved to) for the failure report.

use std::sync::Arc;
use std::time::Duration;

use coupon_client::CouponClient;
use raft_store::NodeId;
use rand::rngs::StdRng;
use rand::Rng;

use super::log::FaultLog;
use super::membership::{change_membership, MembershipResult};
use super::plan::{Fault, FaultPlan, Target};
use crate::harness::{Cluster, Power};
use crate::net::SimExchange;

/// How long a lagging follower is kept away at most while the leader's log is purged past it.
const LAG_PATIENCE: Duration = Duration::from_secs(30);

pub struct FaultDriver {
    pub cluster: Arc<Cluster>,
    pub admin: CouponClient<SimExchange>,
    pub log: FaultLog,
    pub rng: StdRng,
}

impl FaultDriver {
    /// Runs every step of `plan`; returns the membership changes it made and their outcome.
    pub async fn run(mut self, plan: &FaultPlan) -> Vec<MembershipResult> {
        let base_latency = millis(plan.latency_ms.0)..millis(plan.latency_ms.1);
        self.cluster.set_network(base_latency.clone(), 0.0);
        let mut changes = Vec::new();
        for step in &plan.steps {
            madsim::time::sleep(step.gap).await;
            self.log.fault_begins();
            match &step.fault {
                Fault::Membership { during, change } => {
                    self.inject(during);
                    let (admin, log) = (self.admin.clone(), self.log.clone());
                    let change = change.clone();
                    let target = self.resolve_change(&change);
                    let task = madsim::task::spawn(async move {
                        change_membership(&admin, &log, change, target).await
                    });
                    madsim::time::sleep(step.hold).await;
                    self.heal(&base_latency);
                    match task.await {
                        Ok(result) => changes.push(result),
                        Err(error) => self.log.note(format!("membership task failed: {error}")),
                    }
                }
                Fault::LagBehindSnapshot { crash } => {
                    self.lag_behind_snapshot(*crash, step.hold).await;
                    self.heal(&base_latency);
                }
                Fault::TruncateOnOldLeader => {
                    self.truncate_on_old_leader(step.hold).await;
                    self.heal(&base_latency);
                }
                fault => {
                    self.inject(fault);
                    madsim::time::sleep(step.hold).await;
                    self.heal(&base_latency);
                }
            }
        }
        changes
    }

    fn heal(&self, base_latency: &std::ops::Range<Duration>) {
        self.cluster.heal();
        self.cluster.set_network(base_latency.clone(), 0.0);
        self.log.fault_healed();
        self.log.note("heal".to_owned());
    }

    fn inject(&mut self, fault: &Fault) {
        let cluster = self.cluster.clone();
        match fault {
            Fault::IsolateLeader => {
                let leader = self.resolve(Target::Leader);
                cluster.partition(&[leader]);
                self.log.note(format!("isolate leader {leader}"));
            }
            Fault::SplitMinority { with_leader } => {
                let minority = self.minority(*with_leader);
                cluster.partition(&minority);
                self.log.note(format!("split off minority {minority:?}"));
            }
            Fault::OneWayClog { target, outgoing } => {
                let node = self.resolve(*target);
                for other in cluster.ids().into_iter().filter(|other| *other != node) {
                    let (from, to) = if *outgoing { (node, other) } else { (other, node) };
                    cluster.clog(from, to);
                }
                let direction = if *outgoing { "from" } else { "to" };
                self.log.note(format!("clog every link {direction} node {node}"));
            }
            Fault::Pause(target) => {
                let node = self.resolve(*target);
                cluster.pause(node);
                self.log.note(format!("pause node {node}"));
            }
            Fault::Crash(target) => {
                let node = self.resolve(*target);
                cluster.kill(node);
                self.log.note(format!("crash node {node}"));
            }
            Fault::CrashMajority => {
                let voters = self.voters();
                let majority: Vec<NodeId> =
                    voters.iter().copied().take(voters.len() / 2 + 1).collect();
                majority.iter().for_each(|node| cluster.kill(*node));
                self.log.note(format!("crash majority {majority:?}"));
            }
            Fault::CrashAll => {
                cluster.ids().into_iter().for_each(|node| cluster.kill(node));
                self.log.note("crash every node".to_owned());
            }
            Fault::SlowNetwork { latency_ms, loss_rate } => {
                cluster.set_network(millis(latency_ms.0)..millis(latency_ms.1), *loss_rate);
                self.log.note(format!("slow network {latency_ms:?} ms, loss {loss_rate:.2}"));
            }
            Fault::ClockLeap { target, ahead_ms } => {
                let node = self.resolve(*target);
                cluster.skew_clock(node, chrono::TimeDelta::milliseconds(*ahead_ms));
                self.log.note(format!("clock of node {node} leaps {ahead_ms} ms"));
            }
            Fault::LoseRegion { region, nodes, crash } => {
                if *crash {
                    nodes.iter().for_each(|node| cluster.kill(*node));
                } else {
                    cluster.partition(nodes);
                }
                self.log.note(format!("lose region {region} {nodes:?} (crash: {crash})"));
            }
            Fault::Combined(faults) => faults.iter().for_each(|fault| self.inject(fault)),
            Fault::LagBehindSnapshot { .. }
            | Fault::Membership { .. }
            | Fault::TruncateOnOldLeader => {
                self.log.note(format!("{fault:?} cannot be nested; skipped"));
            }
        }
    }

    /// Keeps a follower away until the leader has purged the log past it (or `LAG_PATIENCE`).
    async fn lag_behind_snapshot(&mut self, crash: bool, at_least: Duration) {
        let follower = self.resolve(Target::Follower);
        let behind =
            self.cluster.registry().get(follower).and_then(|node| node.metrics().last_log_index);
        if crash {
            self.cluster.kill(follower);
        } else {
            self.cluster.partition(&[follower]);
        }
        self.log
            .note(format!("cut off follower {follower} (crash: {crash}) at log index {behind:?}"));
        madsim::time::sleep(at_least).await;
        let deadline = madsim::time::Instant::now() + LAG_PATIENCE;
        while madsim::time::Instant::now() < deadline {
            if self.leader_purged_past(behind) {
                self.log.note(format!("leader purged its log past index {behind:?}"));
                return;
            }
            madsim::time::sleep(Duration::from_millis(100)).await;
        }
        self.log.note(format!("leader never purged past {behind:?}: no snapshot install needed"));
    }

    fn leader_purged_past(&self, index: Option<u64>) -> bool {
        let registry = self.cluster.registry();
        let purged = registry
            .leader()
            .and_then(|leader| registry.get(leader))
            .and_then(|node| node.metrics().purged);
        purged.is_some_and(|purged| Some(purged.index) > index)
    }

    fn resolve_change(&mut self, change: &super::plan::MembershipChange) -> NodeId {
        match change {
            super::plan::MembershipChange::AddVoter(id) => *id,
            super::plan::MembershipChange::RemoveVoter(target) => self.resolve(*target),
        }
    }

    /// The current voters, as the leader (or else any running node) sees them.
    pub(super) fn voters(&self) -> Vec<NodeId> {
        let registry = self.cluster.registry();
        let viewer = registry.leader().or_else(|| registry.ids().first().copied());
        let metrics = viewer.and_then(|id| registry.get(id)).map(|node| node.metrics());
        let voters: Vec<NodeId> = metrics
            .map(|m| m.membership_config.membership().voter_ids().collect())
            .unwrap_or_default();
        if voters.is_empty() {
            self.cluster.ids()
        } else {
            voters
        }
    }

    pub(super) fn resolve(&mut self, target: Target) -> NodeId {
        let leader = self.cluster.registry().leader();
        let voters = self.voters();
        let up: Vec<NodeId> = voters
            .iter()
            .copied()
            .filter(|id| self.cluster.power(*id) == Some(Power::Up))
            .collect();
        let followers: Vec<NodeId> = up.iter().copied().filter(|id| Some(*id) != leader).collect();
        let pool = match target {
            Target::Leader => leader.map(|leader| vec![leader]).unwrap_or_else(|| up.clone()),
            Target::Follower if !followers.is_empty() => followers,
            Target::Follower | Target::Any => up.clone(),
        };
        let pool = if pool.is_empty() { voters } else { pool };
        pool[self.rng.gen_range(0..pool.len())]
    }

    /// `(voters - 1) / 2` voters, with the leader among them or not.
    fn minority(&mut self, with_leader: bool) -> Vec<NodeId> {
        let leader = self.cluster.registry().leader();
        let mut voters = self.voters();
        let size = (voters.len().saturating_sub(1) / 2).max(1);
        let mut side = Vec::new();
        if let Some(leader) = leader.filter(|_| with_leader) {
            side.push(leader);
        }
        voters.retain(|id| Some(*id) != leader);
        while side.len() < size && !voters.is_empty() {
            side.push(voters.swap_remove(self.rng.gen_range(0..voters.len())));
        }
        side
    }
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
