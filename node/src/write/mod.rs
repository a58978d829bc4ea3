//! The write path: requests are batched into log entries (`Proposer`, pausing under load as
//! `Linger` says) and written through the leader, wherever it is (`Writer`).

mod code_job_runner;
mod leader_clock;
mod linger;
mod log_time_tick;
mod proposer;
mod quorum_clock;
mod voter_pace;
mod writer;

use raft_store::{NodeId, NodeInfo};
use serde::{Deserialize, Serialize};

use crate::forward::ForwardError;

pub use code_job_runner::run_code_jobs;
pub use leader_clock::LOG_TIME_LEAD_MAX;
pub use log_time_tick::tick_log_time;
pub use proposer::Proposer;
pub use writer::Writer;

/// Why a write did not produce an outcome. Travels between nodes in forwarded proposals, so
/// every variant says whether the requests may have been applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WriteError {
    /// The node asked is not the leader; nothing was appended. `leader` is its hint.
    #[error("not the leader")]
    NotLeader { leader: Option<(NodeId, NodeInfo)> },
    /// Leadership moved while the requests were being written: their entry may have been
    /// appended (openraft answers the writes of an entry it truncates so, and its copy on another
    /// node may still commit), or the leader they were forwarded to was superseded before it
    /// answered. Sending them again is safe only because every request carries an idempotency
    /// token that apply deduplicates; if they are not sent again, the outcome is unknown.
    /// `leader` is the hint of the node that answered.
    #[error("leadership moved: the outcome is unknown until the requests are sent again")]
    Superseded { leader: Option<(NodeId, NodeInfo)> },
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
    /// Whether the requests go to the current leader again: nothing was appended, or
    /// (`Superseded`) their resend is deduplicated by their idempotency tokens.
    pub fn is_redirect(&self) -> bool {
        matches!(
            self,
            WriteError::NotLeader { .. }
                | WriteError::LeaderUnreachable
                | WriteError::Superseded { .. }
        )
    }

    /// Whether the requests may have been appended (and so may still be applied).
    pub fn may_be_appended(&self) -> bool {
        matches!(self, WriteError::Superseded { .. } | WriteError::Timeout)
    }

    /// The leader hint the answer carries, if any.
    pub fn leader_hint(&self) -> Option<&(NodeId, NodeInfo)> {
        match self {
            WriteError::NotLeader { leader } | WriteError::Superseded { leader } => leader.as_ref(),
            _ => None,
        }
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
