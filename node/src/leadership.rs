//! Who leads, as this node currently believes, with the addresses to reach it.

use std::time::Duration;

use raft_store::{NodeId, NodeInfo, Raft};

use crate::limits::LEADER_WAIT;

type RaftMetrics = openraft::RaftMetrics<NodeId, NodeInfo>;

/// How long a request waits for a leader to be known: `LEADER_WAIT`, but never more than half of
/// the request's deadline, so that a node without a leader answers 503 (nothing was proposed)
/// before the deadline turns the answer into 504 (outcome unknown).
pub fn leader_patience(request_deadline: Duration) -> Duration {
    LEADER_WAIT.min(request_deadline / 2)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leader {
    pub id: NodeId,
    pub node: NodeInfo,
}

/// The leader this node knows of, waiting up to `patience` for one to be elected.
pub async fn known_leader(raft: &Raft, patience: Duration) -> Option<Leader> {
    let waited =
        raft.wait(Some(patience)).metrics(|m| m.current_leader.is_some(), "a known leader").await;
    leader_in(&waited.ok()?)
}

/// The leader this node knows of right now, without waiting.
pub fn leader_now(raft: &Raft) -> Option<Leader> {
    leader_in(&raft.metrics().borrow())
}

/// The leader named by `metrics`, with its addresses from the membership.
fn leader_in(metrics: &RaftMetrics) -> Option<Leader> {
    let id = metrics.current_leader?;
    let node = metrics.membership_config.membership().get_node(&id)?.clone();
    Some(Leader { id, node })
}
