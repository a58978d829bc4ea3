//! The quorum rule of a membership change (etcd's strict reconfiguration check): a change is
//! made only if both the voters before it and the voters after it keep a quorum of nodes that
//! replicate now. openraft moves through a joint configuration that needs both quorums, so a
//! change either side of which lacks one would never commit, and would stall every write behind
//! it. Pure functions over sets, so the rule is tested without a cluster.

use std::collections::BTreeSet;

use raft_store::{NodeId, NodeInfo};

use super::RefusalReason;

type RaftMetrics = openraft::RaftMetrics<NodeId, NodeInfo>;

/// Nodes a majority of `voters` consists of.
pub fn quorum_size(voters: &BTreeSet<NodeId>) -> usize {
    voters.len() / 2 + 1
}

/// Whether the `healthy` members of `voters` are a quorum of it.
pub fn has_quorum(voters: &BTreeSet<NodeId>, healthy: &BTreeSet<NodeId>) -> bool {
    voters.intersection(healthy).count() >= quorum_size(voters)
}

/// Refuses a change from `before` to `after` that leaves no voter, or either side of which has
/// no quorum among `healthy`.
pub fn check_change(
    before: &BTreeSet<NodeId>,
    after: &BTreeSet<NodeId>,
    healthy: &BTreeSet<NodeId>,
) -> Result<(), RefusalReason> {
    if after.is_empty() {
        return Err(RefusalReason::NoVoterLeft);
    }
    for voters in [before, after] {
        if !has_quorum(voters, healthy) {
            return Err(RefusalReason::NoQuorum {
                voters: voters.iter().copied().collect(),
                healthy: voters.intersection(healthy).copied().collect(),
            });
        }
    }
    Ok(())
}

/// The nodes whose matched log index is within `lag_max` entries of the leader's last log, by
/// the leader's replication metrics (empty on a node that does not lead). The leader itself is
/// counted: its log is the reference. A node that has matched nothing yet is not caught up, however
/// short the log: it has not shown that it replicates at all.
pub fn caught_up(metrics: &RaftMetrics, lag_max: u64) -> BTreeSet<NodeId> {
    let last = metrics.last_log_index.unwrap_or(0);
    let Some(replication) = &metrics.replication else { return BTreeSet::new() };
    let followers = replication.iter().filter_map(|(id, matched)| {
        let matched = matched.as_ref()?.index;
        (matched.saturating_add(lag_max) >= last).then_some(*id)
    });
    followers.chain(std::iter::once(metrics.id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[NodeId]) -> BTreeSet<NodeId> {
        ids.iter().copied().collect()
    }

    #[test]
    fn adding_a_dead_voter_to_a_single_node_cluster_is_refused() {
        // The request that bricked a cluster: {1} + 99 needs 2 of 2, and 99 never answered.
        let refused = check_change(&set(&[1]), &set(&[1, 99]), &set(&[1]));
        assert_eq!(refused, Err(RefusalReason::NoQuorum { voters: vec![1, 99], healthy: vec![1] }));
        assert_eq!(check_change(&set(&[1]), &set(&[1, 2]), &set(&[1, 2])), Ok(()));
    }

    #[test]
    fn both_sides_of_the_joint_configuration_need_a_quorum() {
        // {1,2,3,4} without 4, while 3 and 4 are down: {1,2,3} would have 2 of 3, but the joint
        // step also needs 3 of {1,2,3,4}, which only 1 and 2 cannot give.
        let healthy = set(&[1, 2]);
        assert!(check_change(&set(&[1, 2, 3, 4]), &set(&[1, 2, 3]), &healthy).is_err());
        // With 4 up, the removal of 4 can commit on both sides.
        assert_eq!(check_change(&set(&[1, 2, 3, 4]), &set(&[1, 2, 3]), &set(&[1, 2, 4])), Ok(()));
    }

    #[test]
    fn removing_the_leader_counts_only_the_voters_that_remain() {
        // Leader 1 leaves {1,2,3}: {2,3} needs both of them.
        assert_eq!(check_change(&set(&[1, 2, 3]), &set(&[2, 3]), &set(&[1, 2, 3])), Ok(()));
        assert!(check_change(&set(&[1, 2, 3]), &set(&[2, 3]), &set(&[1, 2])).is_err());
    }

    #[test]
    fn no_voter_left_is_refused() {
        assert_eq!(
            check_change(&set(&[1]), &set(&[]), &set(&[1])),
            Err(RefusalReason::NoVoterLeft)
        );
    }

    #[test]
    fn only_nodes_that_matched_the_recent_log_are_caught_up() {
        use openraft::{CommittedLeaderId, LogId};
        let log_id = |index| LogId::new(CommittedLeaderId::new(1, 1), index);
        let mut metrics = RaftMetrics::new_initial(1);
        assert!(caught_up(&metrics, 64).is_empty(), "a node that does not lead knows nothing");
        metrics.last_log_index = Some(200);
        // 2 is close behind, 3 far behind, 4 matched nothing yet (a node that never answered).
        let replication = [(2, Some(log_id(150))), (3, Some(log_id(100))), (4, None)];
        metrics.replication = Some(replication.into_iter().collect());
        assert_eq!(caught_up(&metrics, 64), set(&[1, 2]));
        // A young log does not make a silent node look caught up.
        metrics.last_log_index = Some(3);
        metrics.replication = Some([(4, None)].into_iter().collect());
        assert_eq!(caught_up(&metrics, 64), set(&[1]));
    }

    #[test]
    fn quorum_sizes() {
        let sizes: Vec<usize> = (1..=5).map(|n| quorum_size(&(1..=n).collect())).collect();
        assert_eq!(sizes, [1, 2, 2, 3, 3]);
    }
}
