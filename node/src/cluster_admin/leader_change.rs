//! `LeaderChange`: one membership change, checked and made on the leader within the request
//! deadline.
//!
//! Add: the node must prove who it is (nothing else is sent to it before); the voters with it
//! must keep a quorum of nodes that replicate now; it joins as a learner, and becomes a voter
//! only once its log is within `REPLICATION_LAG_ENTRIES_MAX` of the leader's. If it does not
//! catch up in time it is removed again. Remove: the voters without it must keep a quorum. A
//! node already in (for an add) or already out (for a remove) answers as if just changed, so a
//! retried request gets the same answer.
//!
//! The deadline is split in tenths of the budget: probes end by 2, the learner is added by 3,
//! caught up by 6, and the promotion or the removal ends by 9.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use futures::future::join_all;
use openraft::error::{ClientWriteError, RaftError};
use openraft::{ChangeMembers, ServerState};
use raft_store::{NodeId, NodeInfo, Raft};
use tokio::time::Instant;

use super::prober::Prober;
use super::quorum::{caught_up, check_change};
use super::{admin_error, AdminError, MembershipChange, RefusalReason};
use crate::limits::{IDENTITY_PROBE_TIMEOUT, REPLICATION_LAG_ENTRIES_MAX};

type RaftMetrics = openraft::RaftMetrics<NodeId, NodeInfo>;
type WriteResult<T> = Result<T, RaftError<NodeId, ClientWriteError<NodeId, NodeInfo>>>;

pub struct LeaderChange {
    raft: Raft,
    prober: Prober,
    started: Instant,
    budget: Duration,
}

impl LeaderChange {
    pub fn new(raft: Raft, prober: Prober, budget: Duration) -> Self {
        Self { raft, prober, started: Instant::now(), budget }
    }

    pub async fn run(self, change: MembershipChange) -> Result<(), AdminError> {
        match change {
            MembershipChange::Add { id, node } => self.add(id, node).await,
            MembershipChange::Remove { id } => self.remove(id).await,
        }
    }

    async fn add(&self, id: NodeId, mut node: NodeInfo) -> Result<(), AdminError> {
        let metrics = self.metrics();
        let membership = metrics.membership_config.membership().clone();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        match membership.get_node(&id) {
            Some(known) if !is_recorded_as(known, &node) => {
                return Err(AdminError::Refused(RefusalReason::AddressConflict { id }))
            }
            Some(_) if voters.contains(&id) => return Ok(()),
            _ => {}
        }
        ensure_leader(&metrics)?;
        let (proved, mut healthy) = futures::join!(
            self.prober.prove(id, &node.peer_addr, self.probe_timeout()),
            self.healthy_voters(&metrics, &voters),
        );
        let answered_region = proved.map_err(AdminError::Refused)?;
        match &node.region {
            Some(stated) if node.region != answered_region => {
                let refusal = RefusalReason::RegionMismatch {
                    id,
                    stated: stated.clone(),
                    answered: answered_region,
                };
                return Err(AdminError::Refused(refusal));
            }
            _ => node.region = answered_region,
        }
        let mut after = voters.clone();
        after.insert(id);
        // The new member answered; it counts once it has caught up, which is checked below.
        healthy.insert(id);
        check_change(&voters, &after, &healthy).map_err(AdminError::Refused)?;
        if membership.get_node(&id).is_none() {
            self.bounded(3, self.raft.add_learner(id, node, false)).await?;
        }
        if !self.caught_up_in_time(id).await {
            return self.remove_learner(id, RefusalReason::NotCaughtUp { id }).await;
        }
        // Health may have changed while the learner caught up: check again on fresh metrics.
        let replicating = caught_up(&self.metrics(), REPLICATION_LAG_ENTRIES_MAX);
        let healthy: BTreeSet<NodeId> = healthy.intersection(&replicating).copied().collect();
        if let Err(refusal) = check_change(&voters, &after, &healthy) {
            return self.remove_learner(id, refusal).await;
        }
        let promotion = ChangeMembers::AddVoterIds(BTreeSet::from([id]));
        self.bounded(9, self.raft.change_membership(promotion, false)).await
    }

    async fn remove(&self, id: NodeId) -> Result<(), AdminError> {
        let metrics = self.metrics();
        let membership = metrics.membership_config.membership().clone();
        if membership.get_node(&id).is_none() {
            // Already gone: a removal retried after it took effect answers alike.
            return Ok(());
        }
        ensure_leader(&metrics)?;
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let healthy = self.healthy_voters(&metrics, &voters).await;
        let removed = BTreeSet::from([id]);
        let mut after = voters.clone();
        // `retain: false` drops a removed voter from the nodes too.
        let change = if after.remove(&id) {
            ChangeMembers::RemoveVoters(removed)
        } else {
            ChangeMembers::RemoveNodes(removed)
        };
        check_change(&voters, &after, &healthy).map_err(AdminError::Refused)?;
        self.bounded(9, self.raft.change_membership(change, false)).await
    }

    /// Removes the learner `id` again after a refused add: the refusal, or, if the removal did
    /// not complete, that the outcome is unknown.
    async fn remove_learner(&self, id: NodeId, refusal: RefusalReason) -> Result<(), AdminError> {
        tracing::warn!(id, %refusal, "removing a learner that was not promoted");
        let removal = ChangeMembers::RemoveNodes(BTreeSet::from([id]));
        match self.bounded(9, self.raft.change_membership(removal, false)).await {
            Ok(()) => Err(AdminError::Refused(refusal)),
            Err(_) => Err(AdminError::RollbackUnknown(id)),
        }
    }

    /// The voters that replicate now: this node, and every other voter whose matched log index
    /// is close to the leader's last log and which answers the identity challenge (an idle
    /// cluster's stopped follower still shows an up-to-date matched index).
    async fn healthy_voters(
        &self,
        metrics: &RaftMetrics,
        voters: &BTreeSet<NodeId>,
    ) -> BTreeSet<NodeId> {
        let replicating = caught_up(metrics, REPLICATION_LAG_ENTRIES_MAX);
        let membership = metrics.membership_config.membership();
        let timeout = self.probe_timeout();
        let probes = voters
            .iter()
            .filter(|voter| **voter != metrics.id && replicating.contains(voter))
            .filter_map(|voter| Some((*voter, membership.get_node(voter)?.peer_addr.clone())))
            .map(|(voter, peer_addr)| async move {
                self.prober.prove(voter, &peer_addr, timeout).await.ok().map(|_| voter)
            });
        let mut healthy: BTreeSet<NodeId> = join_all(probes).await.into_iter().flatten().collect();
        healthy.insert(metrics.id);
        healthy
    }

    async fn caught_up_in_time(&self, id: NodeId) -> bool {
        let wait = self.raft.wait(Some(self.until(6)));
        let caught_up = |m: &RaftMetrics| caught_up(m, REPLICATION_LAG_ENTRIES_MAX).contains(&id);
        wait.metrics(caught_up, "the new member caught up").await.is_ok()
    }

    /// Runs a membership write, bounded to end by `tenths` of the budget.
    async fn bounded<T>(
        &self,
        tenths: u32,
        write: impl Future<Output = WriteResult<T>>,
    ) -> Result<(), AdminError> {
        match tokio::time::timeout(self.until(tenths), write).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(admin_error(error)),
            Err(_) => Err(AdminError::Timeout),
        }
    }

    fn probe_timeout(&self) -> Duration {
        IDENTITY_PROBE_TIMEOUT.min(self.budget / 5)
    }

    /// The time left until `tenths` tenths of the budget have passed (zero once past).
    fn until(&self, tenths: u32) -> Duration {
        (self.budget * tenths / 10).saturating_sub(self.started.elapsed())
    }

    fn metrics(&self) -> RaftMetrics {
        self.raft.metrics().borrow().clone()
    }
}

/// Whether the membership's record `known` is the node an add request describes as `stated`:
/// the same addresses, and the same region unless the request leaves it to the node to say.
fn is_recorded_as(known: &NodeInfo, stated: &NodeInfo) -> bool {
    known.api_addr == stated.api_addr
        && known.peer_addr == stated.peer_addr
        && (stated.region.is_none() || stated.region == known.region)
}

fn ensure_leader(metrics: &RaftMetrics) -> Result<(), AdminError> {
    if metrics.state == ServerState::Leader {
        Ok(())
    } else {
        Err(AdminError::NotLeader)
    }
}
