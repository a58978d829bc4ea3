//! The check a node makes on its storage before Raft starts on it, after whatever a crash left.
//!
//! A log longer than the state machine is normal (apply is not synced; openraft replays the
//! committed tail), and so is a state machine ahead of its stored snapshot. A state machine behind
//! the start of the log is not: the entries between were purged, nothing can replay them, and
//! serving from it would serve a state with a hole. The snapshot rule (synced before the log
//! behind it is purged) prevents it; this check refuses to start if it ever failed.
//!
//! Before the check, an install of a snapshot that a crash interrupted is finished from the stored
//! snapshot (`snapshot::finish_interrupted`): until then the state is half written.

use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, LastPurged};
use crate::snapshot;
use crate::state_reader::StateReader;
use crate::storage::{Backend, Tree, TreeReader};

/// Makes the storage ready for Raft, or refuses to.
pub fn recover(backend: &Arc<dyn Backend>) -> Result<()> {
    if snapshot::finish_interrupted(backend)? {
        tracing::warn!("finished the install of a snapshot that a crash had interrupted");
    }
    check_state_covers_log(backend.as_ref())
}

pub fn check_state_covers_log(backend: &dyn Backend) -> Result<()> {
    let log = TreeReader { backend, tree: Tree::Log };
    let state = TreeReader { backend, tree: Tree::StateMachine };
    let purged = keyspace::get::<LastPurged>(&log, &())?;
    let applied = StateReader::new(&state).meta()?.last_applied;
    if applied < purged {
        return Err(StoreError::StateBehindPurgedLog {
            applied: applied.map(|log_id| log_id.index),
            purged: purged.map_or(0, |log_id| log_id.index),
        });
    }
    Ok(())
}
