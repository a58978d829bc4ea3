//! Installing a received snapshot in bounded memory, safe against a crash at any point.
//!
//! 1. The received data is checked end to end (format, order, count, digest, and that it is the
//!    state at the snapshot's last log id) before anything of the state is touched.
//! 2. Its data is synced, then one write stores it as the node's snapshot, synced.
//! 3. The state is cleared and written again from the snapshot, a bounded batch at a time.
//!
//! The state is held in memory (`storage::VolatileState`), so a crash during 3 leaves nothing
//! half written: every start rebuilds the state from the stored snapshot (`restore_stored`).

use std::io::BufReader;
use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, Meta, SnapshotManifest, StoredSnapshotMeta};
use crate::limits::{SNAPSHOT_INSTALL_BATCH_BYTES, SNAPSHOT_STORED_CHUNK_BYTES};
use crate::state_meta::StateMeta;
use crate::storage::{Backend, Tree, TreeReader, WriteOp};
use crate::type_config::SnapshotMeta;

use super::file::SnapshotSlots;
use super::format::RecordDecoder;
use crate::snapshot_data::SnapshotFile;

/// The records of `file`, from its start.
fn decoder(file: &SnapshotFile) -> Result<RecordDecoder<BufReader<SnapshotFile>>> {
    RecordDecoder::new(BufReader::with_capacity(SNAPSHOT_STORED_CHUNK_BYTES, file.reopen()))
}

/// Reads the whole snapshot once: it must decode to its end and hold the state at `meta`.
fn verify(file: &SnapshotFile, meta: &SnapshotMeta) -> Result<()> {
    let mut records = decoder(file)?;
    let mut state_meta = None;
    while let Some((key, value)) = records.next_record()? {
        if key == keyspace::encode_key::<Meta>(&()) {
            state_meta = Some(keyspace::decode_value::<Meta>(&value)?);
        }
    }
    check_state_meta(state_meta, meta)
}

/// A snapshot's state must carry its metadata, at the snapshot's last log id.
fn check_state_meta(state_meta: Option<StateMeta>, meta: &SnapshotMeta) -> Result<()> {
    let state_meta =
        state_meta.ok_or(StoreError::Snapshot("a snapshot without the state's metadata"))?;
    if state_meta.last_applied != meta.last_log_id {
        return Err(StoreError::Snapshot("a snapshot's state is not at its last log id"));
    }
    Ok(())
}

/// Installs the snapshot received into `file` as this node's state and stored snapshot.
pub fn install(backend: &dyn Backend, file: SnapshotFile, meta: &SnapshotMeta) -> Result<()> {
    verify(&file, meta)?;
    backend.slots().sync(file.slot())?;
    let manifest = SnapshotManifest { meta: meta.clone(), slot: file.slot(), bytes: file.len() };
    backend
        .commit(Tree::StateMachine, vec![keyspace::put::<StoredSnapshotMeta>(&(), &manifest)?])?;
    backend.flush(Tree::StateMachine)?;
    replace_state(backend, &file)
}

/// Makes the state the stored snapshot's, if there is one; `true` if there was. A start does
/// this before anything reads the state, and openraft replays the log after it. The snapshot is
/// read once: its decoder checks format, order, count and digest as it goes, and a damaged one
/// fails the start (the state it half wrote is in memory, and goes with the refused start).
pub fn restore_stored(backend: &Arc<dyn Backend>) -> Result<bool> {
    let reader = TreeReader { backend: backend.as_ref(), tree: Tree::StateMachine };
    let Some(manifest) = keyspace::get::<StoredSnapshotMeta>(&reader, &())? else {
        return Ok(false);
    };
    let file = SnapshotSlots::new(backend.clone()).open(manifest.slot, manifest.bytes);
    replace_state(backend.as_ref(), &file)?;
    check_state_meta(keyspace::get::<Meta>(&reader, &())?, &manifest.meta)?;
    Ok(true)
}

/// Step 3: the state cleared and written again from `file`.
fn replace_state(backend: &dyn Backend, file: &SnapshotFile) -> Result<()> {
    clear_state(backend)?;
    let mut records = decoder(file)?;
    let (mut batch, mut batch_bytes) = (Vec::new(), 0);
    while let Some((key, value)) = records.next_record()? {
        batch_bytes += key.len() + value.len();
        batch.push(WriteOp::Put { key, value });
        if batch_bytes >= SNAPSHOT_INSTALL_BATCH_BYTES {
            backend.commit(Tree::StateMachine, std::mem::take(&mut batch))?;
            batch_bytes = 0;
        }
    }
    backend.commit(Tree::StateMachine, batch)?;
    Ok(())
}

fn clear_state(backend: &dyn Backend) -> Result<()> {
    let reader = TreeReader { backend, tree: Tree::StateMachine };
    keyspace::state_pages(&reader, |page| {
        if page.entries.is_empty() {
            return Ok(());
        }
        let deletes = page.entries.into_iter().map(|(key, _)| WriteOp::Delete { key }).collect();
        Ok(backend.commit(Tree::StateMachine, deletes)?)
    })
}
