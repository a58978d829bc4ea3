//! raft-store: the replicated coupon state.
//!
//! The coupon domain, the commands that go through the Raft log, the pure `apply` that decides
//! them, and openraft's log storage and state machine over a narrow storage `Backend` (in
//! production the log's own files, the state in memory, snapshot data in files of its own and the
//! stored snapshot's manifest in sled; in simulation an in-memory disk that can lose unflushed
//! writes).
//!
//! This crate knows nothing of HTTP: it must never depend on node, client, axum or reqwest.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod apply;
mod blocking;
pub mod command;
pub mod domain;
pub mod error;
pub mod idempotency;
pub mod keyspace;
pub mod limits;
pub mod log_store;
pub mod node_info;
pub mod outcome;
pub mod recovery;
pub mod region;
#[cfg(madsim)]
pub mod sim_runtime;
pub mod snapshot;
pub mod snapshot_data;
pub mod state_machine;
pub mod state_meta;
pub mod state_reader;
pub mod storage;
pub mod type_config;

pub use error::{Result, StoreError};
pub use log_store::LogStore;
pub use node_info::NodeInfo;
pub use region::Region;
pub use state_machine::{SnapshotActivity, StateHandle, StateMachine};
pub use type_config::{NodeId, Raft, TypeConfig};
