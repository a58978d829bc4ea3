//! Snapshots: the state proper (every key space a replica needs: coupons, codes, redemptions and
//! their indexes, idempotency records, alerts, counters, membership, last applied), built, stored,
//! sent, received and installed as a stream of records, in memory bounded by a chunk and a page
//! whatever the size of the state.
//!
//! - `format`: the records and their checks;
//! - `file`: the stored data, by slot (`crate::snapshot_data::SnapshotFile` is openraft's
//!   snapshot data over it);
//! - `earlier_chunks`: the data of a layout that kept it in the state tree, moved to slots;
//! - `view`: the state at one log id, read while apply goes on;
//! - `install`: replacing the state from a received snapshot, or from the stored one at a start.

mod earlier_chunks;
mod file;
mod format;
mod install;
mod view;

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::sync::Arc;

pub use crate::snapshot_data::SnapshotFile;
pub use earlier_chunks::move_to_slots;
pub use file::SnapshotSlots;
pub use format::SNAPSHOT_FORMAT_VERSION;
pub use install::{install, restore_stored};
pub use view::BuildView;

use crate::error::Result;
use crate::keyspace::{self, SnapshotManifest, StoredSnapshotMeta};
use crate::limits::{SNAPSHOT_STORED_CHUNK_BYTES, SNAPSHOT_SYNC_STEP_BYTES};
use crate::storage::{BackendError, ReadTree};
use crate::type_config::{LogId, Snapshot};
use format::RecordEncoder;

/// The same state at the same log id has the same id on every node.
pub fn snapshot_id(last_log_id: Option<LogId>) -> String {
    match last_log_id {
        Some(log_id) => {
            format!("{}-{}-{}", log_id.leader_id.term, log_id.leader_id.node_id, log_id.index)
        }
        None => "empty".to_owned(),
    }
}

/// Writes the state `view` sees into a new slot and syncs it; the file returned is at its start.
/// A build runs on a blocking thread, so it also syncs the slot each time it has written
/// `SNAPSHOT_SYNC_STEP_BYTES` more: the sync that makes it durable then has little left to
/// write, and apply meanwhile does not wait behind the writeback of the whole snapshot.
pub fn write(
    slots: &Arc<SnapshotSlots>,
    view: &BuildView,
    committed: &dyn ReadTree,
) -> Result<SnapshotFile> {
    let synced = SyncedAsItGrows { file: slots.create()?, slots: slots.clone(), unsynced: 0 };
    let mut encoder =
        RecordEncoder::new(BufWriter::with_capacity(SNAPSHOT_STORED_CHUNK_BYTES, synced))?;
    view.scan(committed, |key, value| {
        if keyspace::carried_by_snapshots(key[0]) {
            encoder.record(key, value)?;
        }
        Ok(())
    })?;
    let synced =
        encoder.finish()?.into_inner().map_err(|error| BackendError::from(error.into_error()))?;
    let mut file = synced.file;
    slots.sync(file.slot())?;
    file.seek(SeekFrom::Start(0)).map_err(BackendError::from)?;
    Ok(file)
}

/// A build's output: its slot, synced every `SNAPSHOT_SYNC_STEP_BYTES`.
struct SyncedAsItGrows {
    file: SnapshotFile,
    slots: Arc<SnapshotSlots>,
    unsynced: usize,
}

impl Write for SyncedAsItGrows {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.unsynced += written;
        if self.unsynced >= SNAPSHOT_SYNC_STEP_BYTES {
            self.slots.sync(self.file.slot()).map_err(std::io::Error::other)?;
            self.unsynced = 0;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

pub fn stored_manifest(reader: &dyn ReadTree) -> Result<Option<SnapshotManifest>> {
    keyspace::get::<StoredSnapshotMeta>(reader, &())
}

/// The stored snapshot, opened for reading (it stays stored while it is read).
pub fn load(slots: &Arc<SnapshotSlots>, reader: &dyn ReadTree) -> Result<Option<Snapshot>> {
    slots.without_removals(|| {
        let Some(manifest) = stored_manifest(reader)? else {
            return Ok(None);
        };
        let file = slots.open(manifest.slot, manifest.bytes);
        Ok(Some(Snapshot { meta: manifest.meta, snapshot: Box::new(file) }))
    })
}
