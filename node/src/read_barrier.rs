//! `ReadBarrier`: makes a local read linearizable.
//!
//! On the leader: openraft's read index (`ensure_linearizable`: leadership confirmed by a quorum,
//! then wait until the state machine has applied up to the commit index seen at that moment).
//! On a follower: ask the leader for its read index, then wait until this node has applied up to
//! it. Either way the read that follows sees every write acknowledged before it started.
//!
//! A read index is a round of messages to the followers, which renews their leader lease: while
//! this node hands leadership on (`HandoffGate`), it waits for the handoff to end first.

use std::sync::Arc;
use std::time::Duration;

use openraft::error::{CheckIsLeaderError, RaftError};
use raft_store::NodeId;
use serde::{Deserialize, Serialize};

use crate::forward::{leader_patience, Forwarder, Leader, LeaderAt};
use crate::handoff_gate::HandoffGate;
use crate::limits::FORWARD_TIMEOUT;
use crate::peer::path;

#[derive(Clone)]
pub struct ReadBarrier {
    forwarder: Forwarder,
    timeout: Duration,
    handoff: Arc<HandoffGate>,
}

/// Why a linearizable read could not be served. Travels between nodes as the answer to a
/// read-index request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ReadError {
    #[error("no leader is known")]
    NoLeader,
    #[error("the node asked is not the leader")]
    NotLeader,
    #[error("the leader cannot reach a quorum")]
    NoQuorum,
    #[error("leadership could not be confirmed or the state did not catch up in time")]
    Timeout,
    #[error("raft is not running")]
    Stopped,
}

impl ReadBarrier {
    pub fn new(forwarder: Forwarder, timeout: Duration, handoff: Arc<HandoffGate>) -> Self {
        Self { forwarder, timeout, handoff }
    }

    /// Waits while a handoff of this node's leadership goes on, within the read's deadline.
    async fn after_handoff(&self) -> Result<(), ReadError> {
        tokio::time::timeout(self.timeout, self.handoff.pass())
            .await
            .map_err(|_| ReadError::Timeout)
    }

    /// Returns once a read of the local state is linearizable.
    pub async fn linearize(&self) -> Result<(), ReadError> {
        self.after_handoff().await?;
        let leader = self
            .forwarder
            .leader(leader_patience(self.timeout))
            .await
            .map_err(|_| ReadError::NoLeader)?;
        match leader {
            LeaderAt::Here => {
                let confirmed = self.forwarder.raft().ensure_linearizable();
                match tokio::time::timeout(self.timeout, confirmed).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(read_error(error)),
                    Err(_) => Err(ReadError::Timeout),
                }
            }
            LeaderAt::Peer(leader) => self.follow_read_index(&leader).await,
        }
    }

    /// The leader's side of a follower read: confirm leadership, return the index to wait for.
    pub async fn read_index(&self) -> Result<u64, ReadError> {
        self.after_handoff().await?;
        match tokio::time::timeout(self.timeout, self.forwarder.raft().get_read_log_id()).await {
            Ok(Ok((read_log_id, _applied))) => Ok(read_log_id.map_or(0, |log_id| log_id.index)),
            Ok(Err(error)) => Err(read_error(error)),
            Err(_) => Err(ReadError::Timeout),
        }
    }

    #[cfg(not(feature = "broken-stale-follower-reads"))]
    async fn follow_read_index(&self, leader: &Leader) -> Result<(), ReadError> {
        let answer: Result<u64, ReadError> = self
            .forwarder
            .call(leader, path::READ_INDEX, &(), FORWARD_TIMEOUT)
            .await
            .map_err(|_| ReadError::NoLeader)?;
        let index = answer?;
        self.forwarder
            .raft()
            .wait(Some(self.timeout))
            .applied_index_at_least(Some(index), "linearizable read")
            .await
            .map(|_| ())
            .map_err(|_| ReadError::Timeout)
    }

    /// Deliberately broken build for the simulation's detection test: followers answer from
    /// whatever they have applied, which can miss acknowledged writes.
    #[cfg(feature = "broken-stale-follower-reads")]
    async fn follow_read_index(&self, _leader: &Leader) -> Result<(), ReadError> {
        let _ = (path::READ_INDEX, FORWARD_TIMEOUT);
        Ok(())
    }
}

fn read_error(
    error: RaftError<NodeId, CheckIsLeaderError<NodeId, raft_store::NodeInfo>>,
) -> ReadError {
    match error {
        RaftError::APIError(CheckIsLeaderError::ForwardToLeader(_)) => ReadError::NotLeader,
        RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_)) => ReadError::NoQuorum,
        RaftError::Fatal(_) => ReadError::Stopped,
    }
}
