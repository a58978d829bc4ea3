//! What a node makes of its storage before Raft starts on it, after whatever a crash left.
//!
//! The coupon state is held in memory (`storage::VolatileState`) and rebuilt at every start from
//! the stored snapshot; openraft then replays the committed log after it. A log longer than the
//! state is so normal. A state behind the start of the log is not: the entries between were
//! purged, nothing can replay them, and serving from it would serve a state with a hole. The
//! snapshot rule (synced before the log behind it is purged) prevents it; this check refuses to
//! start if it ever failed.

use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, LastPurged, SNAPSHOT_PREFIXES};
use crate::snapshot;
use crate::state_reader::StateReader;
use crate::storage::{Backend, Tree, TreeReader, VolatileState};

/// A node's storage made ready by `recover`: the only storage a node starts on.
pub struct Recovered {
    backend: Arc<dyn Backend>,
}

impl Recovered {
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The same storage seen through `wrap`: the simulation's probe of every commit of the state.
    pub fn wrapped(self, wrap: impl FnOnce(Arc<dyn Backend>) -> Arc<dyn Backend>) -> Self {
        Self { backend: wrap(self.backend) }
    }
}

/// The storage Raft runs on: `stored` with the state in memory, restored from the stored
/// snapshot; or a refusal.
pub fn recover(stored: Arc<dyn Backend>) -> Result<Recovered> {
    snapshot::move_to_slots(stored.as_ref())?;
    let backend: Arc<dyn Backend> = Arc::new(VolatileState::over(stored, SNAPSHOT_PREFIXES.start)?);
    if snapshot::restore_stored(&backend)? {
        tracing::info!("the state is restored from the stored snapshot; the log after it replays");
    }
    check_state_covers_log(backend.as_ref())?;
    Ok(Recovered { backend })
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
