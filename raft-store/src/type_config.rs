//! The openraft type configuration: what a log entry carries, what apply answers, how nodes are
//! described, and which async runtime runs Raft (tokio, or madsim under `--cfg madsim`).

use crate::command::Batch;
use crate::node_info::NodeInfo;
use crate::outcome::AppliedOutcomes;

pub type NodeId = u64;

#[cfg(not(madsim))]
pub type Runtime = openraft::TokioRuntime;
#[cfg(madsim)]
pub type Runtime = crate::sim_runtime::MadsimRuntime;

openraft::declare_raft_types!(
    pub TypeConfig:
        D = Batch,
        R = AppliedOutcomes,
        NodeId = NodeId,
        Node = NodeInfo,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = crate::snapshot_data::SnapshotFile,
        AsyncRuntime = Runtime,
);

pub type Raft = openraft::Raft<TypeConfig>;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, NodeInfo>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, NodeInfo>;
pub type Snapshot = openraft::storage::Snapshot<TypeConfig>;
pub type StorageError = openraft::StorageError<NodeId>;
