//! `StoreError`: every way storage can fail, and the one place it becomes openraft's
//! `StorageError` (which openraft treats as fatal for the node).

use openraft::{AnyError, ErrorSubject, ErrorVerb, StorageError, StorageIOError};

use crate::storage::BackendError;
use crate::NodeId;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("encoding: {0}")]
    Codec(#[from] bincode::Error),
    #[error(
        "key space {space}: stored with encoding version {found}, this build reads {expected}"
    )]
    EncodingVersion { space: &'static str, found: u8, expected: u8 },
    #[error("key space {space}: malformed key")]
    MalformedKey { space: &'static str },
    #[error("snapshot: {0}")]
    Snapshot(&'static str),
    #[error("this replica is installing a snapshot; its state is readable again once it is done")]
    Installing,
    #[error("the state machine is at log index {applied:?} but the log is purged through {purged}: the entries between cannot be replayed; restore this node from a replica")]
    StateBehindPurgedLog { applied: Option<u64>, purged: u64 },
    #[error("the blocking storage task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn into_storage_error(
        self,
        subject: ErrorSubject<NodeId>,
        verb: ErrorVerb,
    ) -> StorageError<NodeId> {
        StorageIOError::new(subject, verb, AnyError::new(&self)).into()
    }
}

/// A `map_err` adapter: a `StoreError` met on `subject` while doing `verb`, as openraft's error.
pub fn storage_error(
    subject: ErrorSubject<NodeId>,
    verb: ErrorVerb,
) -> impl FnOnce(StoreError) -> StorageError<NodeId> {
    move |error| error.into_storage_error(subject, verb)
}
