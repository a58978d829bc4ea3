//! `ClusterAdmin`: bootstrap and membership changes. A change made on a follower is forwarded to
//! the leader's peer listener (once); only the leader changes membership.
//!
//! The leader checks every change before it makes it (`LeaderChange`): a new member must prove
//! who it is before anything is sent to it (`Prober`), joins as a learner and becomes a voter
//! only once it has caught up, and no change may leave either side of the joint configuration
//! without a quorum of nodes that replicate now (`quorum`).

mod leader_change;
mod prober;
mod quorum;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, InitializeError, RaftError};
use raft_store::{NodeId, NodeInfo, Raft, Region};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use self::leader_change::LeaderChange;
pub use self::prober::Prober;
pub use self::quorum::caught_up;
use crate::forward::{leader_patience, Forwarder, LeaderAt};
use crate::peer::identity::IdentityMismatch;
use crate::peer::path;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Add a node: first as a learner that catches up, then as a voter.
    Add { id: NodeId, node: NodeInfo },
    /// Remove a node from the cluster entirely.
    Remove { id: NodeId },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AdminError {
    #[error("this node already belongs to a cluster")]
    AlreadyInitialized,
    #[error("the cluster refused the change: {0}")]
    Refused(RefusalReason),
    #[error("no leader is known")]
    NoLeader,
    #[error("the node asked is not the leader")]
    NotLeader,
    #[error("the change did not complete in time; it may still complete")]
    Timeout,
    #[error(
        "node {0} did not catch up and its removal did not complete in time; check the members"
    )]
    RollbackUnknown(NodeId),
    #[error("raft is not running")]
    Stopped,
}

/// Why a change was refused, in words for the operator. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RefusalReason {
    #[error("another membership change is in progress")]
    ChangeInProgress,
    #[error("the resulting membership would be invalid")]
    InvalidMembership,
    #[error("the members must include the node that initialises")]
    NotAMember,
    #[error("the change would leave no voter")]
    NoVoterLeft,
    #[error("node {id} is a member at other addresses; remove it first")]
    AddressConflict { id: NodeId },
    #[error("nothing answered as node {id} at {peer_addr}")]
    Unreachable { id: NodeId, peer_addr: String },
    #[error("the node at {peer_addr} is not node {id} of this cluster: {mismatch}")]
    NotThatNode { id: NodeId, peer_addr: String, mismatch: IdentityMismatch },
    #[error("voters {voters:?} would need a quorum, and only {healthy:?} of them replicate now")]
    NoQuorum { voters: Vec<NodeId>, healthy: Vec<NodeId> },
    #[error("node {id} did not catch up with the log in time; it was removed again")]
    NotCaughtUp { id: NodeId },
    #[error(
        "node {id} was said to run in region {stated}, and it is configured with {}",
        answered.as_ref().map_or("no region".to_owned(), |region| format!("region {region}"))
    )]
    RegionMismatch { id: NodeId, stated: Region, answered: Option<Region> },
}

impl RefusalReason {
    /// Whether the request itself is invalid (422), rather than unsafe for the cluster now (409).
    pub fn is_invalid_request(&self) -> bool {
        matches!(self, RefusalReason::NotAMember | RefusalReason::RegionMismatch { .. })
    }
}

#[derive(Clone)]
pub struct ClusterAdmin {
    forwarder: Forwarder,
    prober: Prober,
    timeout: Duration,
    /// One change at a time on this node: the checks of one must not race the commit of another.
    changing: Arc<tokio::sync::Mutex<()>>,
}

impl ClusterAdmin {
    pub fn new(forwarder: Forwarder, prober: Prober, timeout: Duration) -> Self {
        Self { forwarder, prober, timeout, changing: Arc::default() }
    }

    fn raft(&self) -> &Raft {
        self.forwarder.raft()
    }

    /// Starts a new cluster of `members` (which must include this node).
    pub async fn initialize(&self, members: BTreeMap<NodeId, NodeInfo>) -> Result<(), AdminError> {
        match self.raft().initialize(members).await {
            Ok(()) => Ok(()),
            Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {
                Err(AdminError::AlreadyInitialized)
            }
            Err(RaftError::APIError(InitializeError::NotInMembers(_))) => {
                Err(AdminError::Refused(RefusalReason::NotAMember))
            }
            Err(RaftError::Fatal(_)) => Err(AdminError::Stopped),
        }
    }

    /// Applies `change` through the leader.
    pub async fn change(&self, change: MembershipChange) -> Result<(), AdminError> {
        let leader = self
            .forwarder
            .leader(leader_patience(self.timeout))
            .await
            .map_err(|_| AdminError::NoLeader)?;
        let leader = match leader {
            LeaderAt::Here => return self.change_as_leader(change).await,
            LeaderAt::Peer(leader) => leader,
        };
        let answer: Result<(), AdminError> = self
            .forwarder
            .call(&leader, path::MEMBERSHIP, &change, self.timeout)
            .await
            .map_err(|_| AdminError::Timeout)?;
        answer
    }

    /// Checks `change` and, if it is safe, makes it (see `LeaderChange`). It runs as a task of
    /// its own, so a caller that stops waiting cannot cut it short between adding a learner and
    /// removing it again; it ends by itself within the request deadline.
    pub async fn change_as_leader(&self, change: MembershipChange) -> Result<(), AdminError> {
        let Ok(turn) = self.changing.clone().try_lock_owned() else {
            return Err(AdminError::Refused(RefusalReason::ChangeInProgress));
        };
        let steps = LeaderChange::new(self.raft().clone(), self.prober.clone(), self.timeout);
        let task = tokio::spawn(
            async move {
                let answer = steps.run(change).await;
                drop(turn);
                answer
            }
            .in_current_span(),
        );
        task.await.unwrap_or(Err(AdminError::Stopped))
    }
}

fn admin_error(error: RaftError<NodeId, ClientWriteError<NodeId, NodeInfo>>) -> AdminError {
    use openraft::error::ChangeMembershipError as Change;
    match error {
        RaftError::APIError(ClientWriteError::ForwardToLeader(_)) => AdminError::NotLeader,
        RaftError::APIError(ClientWriteError::ChangeMembershipError(Change::InProgress(_))) => {
            AdminError::Refused(RefusalReason::ChangeInProgress)
        }
        RaftError::APIError(ClientWriteError::ChangeMembershipError(_)) => {
            AdminError::Refused(RefusalReason::InvalidMembership)
        }
        RaftError::Fatal(_) => AdminError::Stopped,
    }
}
