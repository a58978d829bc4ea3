//! `LeaderPreference`: keeps the leader in the preferred leader region when a voter there can
//! lead, so that a shop whose traffic is mostly in one region pays no wide-area round trip to
//! reach its leader.
//!
//! Every leader checks, every `LEADER_PREFERENCE_CHECK_INTERVAL`: when it runs outside the
//! preferred region, has led for at least two leases, started no handoff in the last
//! `LEADER_HANDOFF_INTERVAL`, and a voter of that region has caught up with its log and answers
//! the identity challenge, it hands leadership to that voter:
//! 1. it closes its `HandoffGate` (no new entries, no read-index rounds) and stops heartbeats;
//! 2. it waits until the successor has matched its whole log, so the successor's log is at
//!    least as long as every voter's and every vote can be granted;
//! 3. it stays silent for a lease and half the shortest election timeout: every follower's
//!    lease has then run out (they refuse votes before), and none has started an election of its
//!    own (they wait a lease plus a whole random election timeout);
//! 4. it asks the successor to campaign (`path::CAMPAIGN`), and waits a bounded time for another
//!    leader; then it opens the gate and heartbeats again, whatever happened.
//!
//! This is an ordinary Raft election: it cannot break safety, only cost time. The cost is bounded:
//! writes and reads on the old leader wait at most the quiet spell plus the wait for the new
//! leader (about two leases), once per handoff, and a leader starts one handoff per interval at
//! most. A region that is cut off has no caught-up voter, so nothing is tried until it heals.

use std::sync::Arc;
use std::time::Duration;

use openraft::ServerState;
use raft_store::{NodeId, NodeInfo, Raft, Region};
use tokio::time::Instant;

use crate::cluster_admin::{caught_up, Prober};
use crate::handoff_gate::HandoffGate;
use crate::limits::{
    IDENTITY_PROBE_TIMEOUT, LEADER_HANDOFF_INTERVAL, LEADER_PREFERENCE_CHECK_INTERVAL,
    REPLICATION_LAG_ENTRIES_MAX,
};
use crate::metrics::Metrics;
use crate::peer::{path, PeerRpc};
use crate::shutdown::Shutdown;

type RaftMetrics = openraft::RaftMetrics<NodeId, NodeInfo>;

pub struct LeaderPreference {
    pub raft: Raft,
    pub rpc: PeerRpc,
    pub prober: Prober,
    pub gate: Arc<HandoffGate>,
    pub preferred: Region,
    /// openraft's leader lease: the longest election timeout.
    pub lease: Duration,
    pub election_timeout_min: Duration,
    pub metrics: Arc<Metrics>,
}

/// How a handoff ended, as counted in `coupon_leader_handoffs_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffOutcome {
    /// Another node leads now.
    Moved,
    /// The successor did not match the log in time.
    NotCaughtUp,
    /// The successor did not take the request to campaign.
    Refused,
    /// No other leader came up in time; this node may still lead.
    NoNewLeader,
}

impl HandoffOutcome {
    pub fn label(self) -> &'static str {
        match self {
            HandoffOutcome::Moved => "moved",
            HandoffOutcome::NotCaughtUp => "not_caught_up",
            HandoffOutcome::Refused => "refused",
            HandoffOutcome::NoNewLeader => "no_new_leader",
        }
    }
}

impl LeaderPreference {
    /// Checks and hands over until shutdown.
    pub async fn run(self, shutdown: Shutdown) {
        let stop = shutdown.requested();
        tokio::pin!(stop);
        let mut ticks = tokio::time::interval(LEADER_PREFERENCE_CHECK_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leading_since: Option<(u64, Instant)> = None;
        let mut last_handoff: Option<Instant> = None;
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {}
            }
            let metrics = self.raft.metrics().borrow().clone();
            if metrics.state != ServerState::Leader {
                leading_since = None;
                continue;
            }
            let term = metrics.current_term;
            let since = match leading_since {
                Some((led_term, since)) if led_term == term => since,
                _ => leading_since.insert((term, Instant::now())).1,
            };
            // A leader younger than its own lease would refuse the successor's vote request.
            let settled = since.elapsed() >= 2 * self.lease;
            let rested = last_handoff.is_none_or(|at| at.elapsed() >= LEADER_HANDOFF_INTERVAL);
            if !(settled && rested) || cfg!(feature = "broken-no-leader-preference") {
                continue;
            }
            let Some((id, node)) = successor(&metrics, &self.preferred) else { continue };
            if self.prober.prove(id, &node.peer_addr, IDENTITY_PROBE_TIMEOUT).await.is_err() {
                continue;
            }
            last_handoff = Some(Instant::now());
            tracing::info!(to = id, region = %self.preferred, "handing leadership to the preferred region");
            let outcome = self.hand_off(id, &node).await;
            tracing::info!(to = id, outcome = outcome.label(), "leadership handoff ended");
            self.metrics.leader_handoffs.with_label_values(&[outcome.label()]).inc();
        }
    }

    async fn hand_off(&self, id: NodeId, node: &NodeInfo) -> HandoffOutcome {
        let _quiet = self.gate.close();
        self.raft.runtime_config().heartbeat(false);
        let outcome = self.quiet_handoff(id, node).await;
        self.raft.runtime_config().heartbeat(true);
        outcome
    }

    async fn quiet_handoff(&self, id: NodeId, node: &NodeInfo) -> HandoffOutcome {
        let this = self.raft.metrics().borrow().id;
        let matched_all = |m: &RaftMetrics| {
            let matched = m.replication.as_ref().and_then(|r| r.get(&id).cloned().flatten());
            matched.map(|log_id| log_id.index) >= m.last_log_index
        };
        let caught_up =
            self.raft.wait(Some(self.lease)).metrics(matched_all, "successor matched").await;
        if caught_up.is_err() {
            return HandoffOutcome::NotCaughtUp;
        }
        tokio::time::sleep(self.lease + self.election_timeout_min / 2).await;
        let asked: Result<bool, _> =
            self.rpc.call(&node.peer_addr, path::CAMPAIGN, &(), IDENTITY_PROBE_TIMEOUT).await;
        if !matches!(asked, Ok(true)) {
            return HandoffOutcome::Refused;
        }
        let moved = |m: &RaftMetrics| m.current_leader.is_some_and(|leader| leader != this);
        match self.raft.wait(Some(self.lease)).metrics(moved, "another leader").await {
            Ok(_) => HandoffOutcome::Moved,
            Err(_) => HandoffOutcome::NoNewLeader,
        }
    }
}

/// The voter to hand leadership to: none if this leader is in `preferred` already; otherwise
/// the voter of `preferred` that has replicated furthest, among those caught up.
pub fn successor(metrics: &RaftMetrics, preferred: &Region) -> Option<(NodeId, NodeInfo)> {
    let membership = metrics.membership_config.membership();
    let in_preferred = |id: &NodeId| {
        membership.get_node(id).is_some_and(|node| node.region.as_ref() == Some(preferred))
    };
    if in_preferred(&metrics.id) {
        return None;
    }
    let caught_up = caught_up(metrics, REPLICATION_LAG_ENTRIES_MAX);
    let replication = metrics.replication.as_ref()?;
    membership
        .voter_ids()
        .filter(|id| *id != metrics.id && in_preferred(id) && caught_up.contains(id))
        .max_by_key(|id| replication.get(id).cloned().flatten().map(|log_id| log_id.index))
        .and_then(|id| Some((id, membership.get_node(&id)?.clone())))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use openraft::{LogId, Membership, RaftMetrics, StoredMembership};

    use super::*;

    fn node(region: &str) -> NodeInfo {
        NodeInfo {
            api_addr: "127.0.0.1:1".into(),
            peer_addr: "127.0.0.1:2".into(),
            region: Some(Region::new(region).unwrap()),
        }
    }

    /// Node 1 leads, at log index 100; `members` are (id, region, matched index).
    fn leader(members: &[(NodeId, &str, Option<u64>)]) -> RaftMetrics<NodeId, NodeInfo> {
        let mut metrics = RaftMetrics::new_initial(1);
        let voters: BTreeSet<NodeId> = members.iter().map(|(id, _, _)| *id).collect();
        let nodes: BTreeMap<NodeId, NodeInfo> =
            members.iter().map(|(id, region, _)| (*id, node(region))).collect();
        let membership = Membership::new(vec![voters], nodes);
        metrics.membership_config = Arc::new(StoredMembership::new(None, membership));
        metrics.last_log_index = Some(100);
        let matched = |index: Option<u64>| index.map(|index| LogId::new(Default::default(), index));
        metrics.replication = Some(
            members
                .iter()
                .filter(|(id, _, _)| *id != 1)
                .map(|(id, _, index)| (*id, matched(*index)))
                .collect(),
        );
        metrics
    }

    #[test]
    fn the_furthest_caught_up_voter_of_the_preferred_region_succeeds() {
        let eu = Region::new("eu").unwrap();
        let metrics = leader(&[(1, "us", None), (2, "eu", Some(90)), (3, "eu", Some(100))]);
        assert_eq!(successor(&metrics, &eu).map(|(id, _)| id), Some(3));
    }

    #[test]
    fn no_handoff_from_the_preferred_region_or_to_a_voter_left_behind() {
        let eu = Region::new("eu").unwrap();
        let home = leader(&[(1, "eu", None), (2, "eu", Some(100))]);
        assert_eq!(successor(&home, &eu), None, "already in the preferred region");
        let lagging = 100 - REPLICATION_LAG_ENTRIES_MAX - 1;
        let behind = leader(&[(1, "us", None), (2, "eu", Some(lagging)), (3, "eu", None)]);
        assert_eq!(successor(&behind, &eu), None, "no voter there has caught up");
        let elsewhere = leader(&[(1, "us", None), (2, "ap", Some(100))]);
        assert_eq!(successor(&elsewhere, &eu), None, "no voter in the preferred region");
    }
}
