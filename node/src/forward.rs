//! `Forwarder`: the one way a node reaches the leader, for writes, reads and membership alike.
//!
//! It knows who leads (as this node currently believes, with the addresses to reach it), says
//! whether that is this node, and otherwise calls the leader's peer listener, classifying a
//! failed call by whether the leader may have acted on it. What to do on the leader itself, and
//! how a failure reads to the caller, is each path's own business.

use std::time::Duration;

use raft_store::{NodeId, NodeInfo, Raft};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::limits::LEADER_WAIT;
use crate::peer::{PeerCallError, PeerRpc};
use crate::transport::TransportErrorKind;

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

/// Where the leader is, as far as this node knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaderAt {
    /// This node leads: act locally.
    Here,
    /// Another node leads: call it.
    Peer(Leader),
}

/// The failures every path to the leader shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// No leader became known in time (an election, or no quorum): nothing was sent.
    #[error("no leader is known")]
    NoLeader,
    /// The call never connected: the leader did not see it.
    #[error("the leader is unreachable")]
    Unreachable,
    /// No answer in time, or the connection broke: the leader may have acted on it.
    #[error("the leader's answer did not arrive")]
    Uncertain,
    /// The leader refused the call itself (a wrong secret, a body over its bound, a bad
    /// encoding); logged here.
    #[error("the leader refused the call")]
    Refused,
}

#[derive(Clone)]
pub struct Forwarder {
    raft: Raft,
    node_id: NodeId,
    rpc: PeerRpc,
}

impl Forwarder {
    pub fn new(raft: Raft, node_id: NodeId, rpc: PeerRpc) -> Self {
        Self { raft, node_id, rpc }
    }

    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// Where the leader is, waiting up to `patience` for one to be elected.
    pub async fn leader(&self, patience: Duration) -> Result<LeaderAt, ForwardError> {
        let leader = known_leader(&self.raft, patience).await.ok_or(ForwardError::NoLeader)?;
        Ok(self.locate(leader))
    }

    /// Where `leader` is relative to this node.
    pub fn locate(&self, leader: Leader) -> LeaderAt {
        if leader.id == self.node_id {
            LeaderAt::Here
        } else {
            LeaderAt::Peer(leader)
        }
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// The calls to any member's peer listener.
    pub fn rpc(&self) -> &PeerRpc {
        &self.rpc
    }

    /// The other voters of the membership this node knows, and how many voters there are in
    /// all (this node included, if it is one).
    pub fn other_voters(&self) -> (Vec<NodeInfo>, usize) {
        let membership = self.raft.metrics().borrow().membership_config.clone();
        let voters = membership.membership().voter_ids().collect::<Vec<_>>();
        let others = voters
            .iter()
            .filter(|id| **id != self.node_id)
            .filter_map(|id| membership.membership().get_node(id).cloned())
            .collect();
        (others, voters.len())
    }

    /// Whether this node leads, as far as it knows now, without waiting.
    pub fn leads(&self) -> bool {
        self.raft.metrics().borrow().current_leader == Some(self.node_id)
    }

    /// POSTs `request` to `path` on `leader`'s peer listener and decodes its answer.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        leader: &Leader,
        path: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, ForwardError> {
        self.rpc
            .call(&leader.node.peer_addr, path, request, timeout)
            .await
            .map_err(|error| forward_error(&error))
    }
}

fn forward_error(error: &PeerCallError) -> ForwardError {
    match error {
        PeerCallError::Transport(failure) if failure.kind == TransportErrorKind::Unreachable => {
            ForwardError::Unreachable
        }
        PeerCallError::Status(_) | PeerCallError::Codec(_) => {
            tracing::error!(%error, "a call to the leader was refused");
            ForwardError::Refused
        }
        PeerCallError::Transport(_) => ForwardError::Uncertain,
    }
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
