//! `voters_behind`: which voters have not applied a log index yet, for a leader that paces
//! background work (a code generation job) by its slowest voter's apply, not its own.
//!
//! openraft tells a leader what its followers have appended, not what they have applied; a
//! follower with a slower disk or less CPU appends a chunk at once and may take seconds to
//! apply it. So the leader asks the voters that hold the entry. A voter that does not hold it
//! (down, cut off, or catching up from far behind) is not waited for: pacing a job by a voter
//! that is away would stop the job for as long as it is away.

use futures::future::join_all;
use raft_store::{NodeId, NodeInfo};

use crate::forward::Forwarder;
use crate::limits::{APPLIED_WAIT_MAX, PEER_RPC_TIMEOUT_MIN};
use crate::peer::path;

/// Of the voters that hold entry `index`, how many had not applied it within
/// `APPLIED_WAIT_MAX`, and how many were asked. Every one is asked at once, and each answers
/// as soon as it has applied the entry.
pub async fn voters_behind(forwarder: &Forwarder, index: u64) -> (usize, usize) {
    let holders = {
        let metrics = forwarder.raft().metrics().borrow().clone();
        holders_of(&metrics, index)
    };
    let answers = join_all(holders.iter().map(|voter| async move {
        let timeout = APPLIED_WAIT_MAX + PEER_RPC_TIMEOUT_MIN;
        let answer = forwarder.rpc().call(&voter.peer_addr, path::APPLIED, &index, timeout);
        answer.await.unwrap_or(false)
    }))
    .await;
    (answers.iter().filter(|applied| !**applied).count(), answers.len())
}

/// The voters other than this leader whose log, as replication last reported, holds `index`.
fn holders_of(metrics: &openraft::RaftMetrics<NodeId, NodeInfo>, index: u64) -> Vec<NodeInfo> {
    let Some(replication) = &metrics.replication else { return Vec::new() };
    let membership = metrics.membership_config.membership();
    membership
        .voter_ids()
        .filter(|id| *id != metrics.id)
        .filter(|id| {
            replication.get(id).is_some_and(|matched| matched.is_some_and(|m| m.index >= index))
        })
        .filter_map(|id| membership.get_node(&id).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use openraft::{CommittedLeaderId, LogId, Membership, RaftMetrics, StoredMembership};
    use raft_store::NodeInfo;

    use super::holders_of;

    fn node(id: u64) -> NodeInfo {
        NodeInfo {
            api_addr: format!("127.0.0.1:{id}"),
            peer_addr: format!("127.0.0.2:{id}"),
            region: None,
        }
    }

    #[test]
    fn only_the_other_voters_that_hold_the_entry_are_waited_for() {
        let log_id = |index| LogId::new(CommittedLeaderId::new(1, 1), index);
        let voters = BTreeSet::from([1, 2, 3, 4]);
        let nodes: BTreeMap<_, _> = (1..=5).map(|id| (id, node(id))).collect();
        let mut metrics = RaftMetrics::new_initial(1);
        metrics.membership_config =
            Arc::new(StoredMembership::new(None, Membership::new(vec![voters], nodes)));
        assert!(holders_of(&metrics, 10).is_empty(), "a node that does not lead knows nothing");
        // 2 holds entry 10, 3 only 9 (behind or away), 4 never answered, learner 5 holds it.
        let replication =
            [(2, Some(log_id(12))), (3, Some(log_id(9))), (4, None), (5, Some(log_id(10)))];
        metrics.replication = Some(replication.into_iter().collect());
        assert_eq!(holders_of(&metrics, 10), [node(2)]);
        assert_eq!(holders_of(&metrics, 9), [node(2), node(3)]);
    }
}
