//! `ClusterAdmin`: bootstrap and membership changes. A change made on a follower is forwarded to
//! the leader's peer listener (once); only the leader changes membership.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use openraft::error::{ClientWriteError, InitializeError, RaftError};
use openraft::ChangeMembers;
use raft_store::{NodeId, NodeInfo, Raft};
use serde::{Deserialize, Serialize};

use crate::forward::{leader_patience, Forwarder, LeaderAt};
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
    #[error("raft is not running")]
    Stopped,
}

/// Why openraft refused a membership change, in words for the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefusalReason {
    /// Another membership change is still in progress.
    ChangeInProgress,
    /// The change would leave no voter, or names an unknown node.
    InvalidMembership,
    /// The initial membership does not include this node.
    NotAMember,
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefusalReason::ChangeInProgress => "another membership change is in progress",
            RefusalReason::InvalidMembership => "the resulting membership would be invalid",
            RefusalReason::NotAMember => "the members must include the node that initialises",
        })
    }
}

#[derive(Clone)]
pub struct ClusterAdmin {
    forwarder: Forwarder,
    timeout: Duration,
}

impl ClusterAdmin {
    pub fn new(forwarder: Forwarder, timeout: Duration) -> Self {
        Self { forwarder, timeout }
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

    pub async fn change_as_leader(&self, change: MembershipChange) -> Result<(), AdminError> {
        let apply = async {
            match change {
                MembershipChange::Add { id, node } => {
                    self.raft().add_learner(id, node, true).await.map_err(admin_error)?;
                    let voters = ChangeMembers::AddVoterIds(BTreeSet::from([id]));
                    self.raft().change_membership(voters, false).await.map_err(admin_error)?;
                }
                MembershipChange::Remove { id } => {
                    let membership = self.raft().metrics().borrow().membership_config.clone();
                    let membership = membership.membership();
                    if membership.get_node(&id).is_none() {
                        // Already gone: a removal retried after it took effect answers alike.
                        return Ok(());
                    }
                    let removed = BTreeSet::from([id]);
                    // `retain: false` drops a removed voter from the nodes too.
                    let change = if membership.voter_ids().any(|voter| voter == id) {
                        ChangeMembers::RemoveVoters(removed)
                    } else {
                        ChangeMembers::RemoveNodes(removed)
                    };
                    self.raft().change_membership(change, false).await.map_err(admin_error)?;
                }
            }
            Ok(())
        };
        tokio::time::timeout(self.timeout, apply).await.unwrap_or(Err(AdminError::Timeout))
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
