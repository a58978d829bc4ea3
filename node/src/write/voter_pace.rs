//! `VoterPace`: waits until the other voters have applied a log index, for a leader that paces
//! background work (a code generation job) by its slowest voter's apply, not by its own.
//!
//! openraft tells a leader what its followers have appended, not what they have applied; a
//! follower with a slower disk or less CPU can take seconds to apply a chunk the leader applied
//! at once. So the leader asks the voters, and each answers once it has applied the entry.
//!
//! Which voters are waited for: those that kept up so far (every voter, to begin with) and
//! those whose log holds the entry. A voter that could not be reached, or had not applied the
//! entry within `APPLIED_WAIT_MAX`, is left out until its log holds a later entry: a voter that
//! is down or cut off costs the job one wait, not one per chunk for as long as it is away, and
//! a slow voter that is still appending is waited for, not skipped.

use std::collections::BTreeSet;

use futures::future::join_all;
use openraft::RaftMetrics;
use raft_store::{NodeId, NodeInfo};

use crate::forward::Forwarder;
use crate::limits::{APPLIED_WAIT_MAX, PEER_RPC_TIMEOUT_MIN};
use crate::peer::path;

/// The voters a leader paces its background work by.
#[derive(Debug, Default)]
pub struct VoterPace {
    /// Voters that did not answer in time when last asked: not waited for while their log
    /// does not hold the entry.
    fallen_behind: BTreeSet<NodeId>,
}

/// What one wait found: of `asked` voters, `behind` had not applied the entry in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waited {
    pub asked: usize,
    pub behind: usize,
}

impl VoterPace {
    /// Waits until the voters this leader paces by have applied `index` (each at most
    /// `APPLIED_WAIT_MAX`), asking them all at once.
    pub async fn wait_for_apply(&mut self, forwarder: &Forwarder, index: u64) -> Waited {
        let asked = {
            let metrics = forwarder.raft().metrics().borrow().clone();
            self.to_ask(&metrics, index)
        };
        let answers = join_all(asked.iter().map(|(id, voter)| async move {
            let timeout = APPLIED_WAIT_MAX + PEER_RPC_TIMEOUT_MIN;
            let answer = forwarder.rpc().call(&voter.peer_addr, path::APPLIED, &index, timeout);
            (*id, answer.await.unwrap_or(false))
        }))
        .await;
        self.record(&answers);
        let behind = answers.iter().filter(|(_, applied)| !applied).count();
        Waited { asked: answers.len(), behind }
    }

    /// The other voters to wait for at `index`: each that has not fallen behind, and each whose
    /// log, as replication last reported, holds the entry. None while this node does not lead.
    fn to_ask(
        &self,
        metrics: &RaftMetrics<NodeId, NodeInfo>,
        index: u64,
    ) -> Vec<(NodeId, NodeInfo)> {
        let Some(replication) = &metrics.replication else { return Vec::new() };
        let holds = |id: &NodeId| {
            replication.get(id).is_some_and(|matched| matched.is_some_and(|m| m.index >= index))
        };
        let membership = metrics.membership_config.membership();
        membership
            .voter_ids()
            .filter(|id| *id != metrics.id)
            .filter(|id| !self.fallen_behind.contains(id) || holds(id))
            .filter_map(|id| Some((id, membership.get_node(&id)?.clone())))
            .collect()
    }

    /// Who has fallen behind, after the voters' answers.
    fn record(&mut self, answers: &[(NodeId, bool)]) {
        for (id, applied) in answers {
            if *applied {
                self.fallen_behind.remove(id);
            } else {
                self.fallen_behind.insert(*id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use openraft::{CommittedLeaderId, LogId, Membership, RaftMetrics, StoredMembership};
    use raft_store::NodeInfo;

    use super::VoterPace;

    fn node(id: u64) -> NodeInfo {
        let api_addr = format!("127.0.0.1:{id}");
        NodeInfo { api_addr, peer_addr: format!("127.0.0.2:{id}"), region: None }
    }

    fn ids(asked: &[(u64, NodeInfo)]) -> Vec<u64> {
        asked.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn voters_that_keep_up_or_hold_the_entry_are_waited_for_and_no_others() {
        let log_id = |index| LogId::new(CommittedLeaderId::new(1, 1), index);
        let voters = BTreeSet::from([1, 2, 3, 4]);
        let nodes: BTreeMap<_, _> = (1..=5).map(|id| (id, node(id))).collect();
        let mut metrics = RaftMetrics::new_initial(1);
        metrics.membership_config =
            Arc::new(StoredMembership::new(None, Membership::new(vec![voters], nodes)));
        let mut pace = VoterPace::default();
        assert!(pace.to_ask(&metrics, 10).is_empty(), "a node that does not lead asks no one");

        // 2 holds entry 10, 3 only 9 (slow or away), 4 never answered; 5 is a learner.
        let replication =
            [(2, Some(log_id(12))), (3, Some(log_id(9))), (4, None), (5, Some(log_id(10)))];
        metrics.replication = Some(replication.into_iter().collect());
        assert_eq!(ids(&pace.to_ask(&metrics, 10)), [2, 3, 4], "every voter keeps up at first");

        // 3 applied in time, 4 did not answer: 4 is left out while its log lacks the entry.
        pace.record(&[(2, true), (3, true), (4, false)]);
        assert_eq!(ids(&pace.to_ask(&metrics, 11)), [2, 3]);
        // Back, 4's log holds the entry: it is waited for again, and kept once it answers.
        let back = [(2, Some(log_id(12))), (3, Some(log_id(9))), (4, Some(log_id(11)))];
        metrics.replication = Some(back.into_iter().collect());
        assert_eq!(ids(&pace.to_ask(&metrics, 11)), [2, 3, 4]);
        pace.record(&[(4, true)]);
        assert_eq!(ids(&pace.to_ask(&metrics, 13)), [2, 3, 4]);
    }
}
