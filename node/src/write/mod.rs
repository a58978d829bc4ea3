//! The write path: requests are batched into log entries (`Proposer`, pausing under load as
//! `Linger` says) and written through the leader, wherever it is (`Writer`).

mod linger;
mod proposer;
mod writer;

use raft_store::{NodeId, NodeInfo};
use serde::{Deserialize, Serialize};

use crate::forward::ForwardError;

pub use proposer::Proposer;
pub use writer::Writer;

/// Why a write did not produce an outcome. Travels between nodes in forwarded proposals, so
/// every variant says whether the requests may have been applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WriteError {
    /// The node asked is not the leader; nothing was appended. `leader` is its hint.
    #[error("not the leader")]
    NotLeader { leader: Option<(NodeId, NodeInfo)> },
    /// The leader could not be reached; nothing was sent.
    #[error("the leader is unreachable")]
    LeaderUnreachable,
    /// No leader is known (an election, or no quorum): nothing was appended.
    #[error("no leader is known")]
    NoLeader,
    /// This node holds as many proposals as it may: nothing was appended.
    #[error("too many proposals in flight")]
    Overloaded,
    /// The deadline passed: the requests may still be applied later.
    #[error("the outcome is unknown: deadline passed")]
    Timeout,
    /// Raft stopped on this node (shutdown or a storage fault), or a peer refused the call; the
    /// cause is logged where it happened.
    #[error("raft is not running")]
    Stopped,
}

impl WriteError {
    /// Whether trying another node (the current leader) is safe: nothing was appended.
    pub fn is_redirect(&self) -> bool {
        matches!(self, WriteError::NotLeader { .. } | WriteError::LeaderUnreachable)
    }
}

impl From<ForwardError> for WriteError {
    /// A forward that never connected is safe to send elsewhere; any other failure leaves the
    /// outcome unknown, or (refused) is logged where it happened.
    fn from(error: ForwardError) -> Self {
        match error {
            ForwardError::NoLeader => WriteError::NoLeader,
            ForwardError::Unreachable => WriteError::LeaderUnreachable,
            ForwardError::Uncertain => WriteError::Timeout,
            ForwardError::Refused => WriteError::Stopped,
        }
    }
}
