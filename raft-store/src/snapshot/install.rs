//! Installing a received snapshot in bounded memory, safe against a crash at any point.
//!
//! The state of a large snapshot cannot be replaced in one atomic write without holding it all,
//! so the install is made redoable instead:
//! 1. the received data is checked end to end (format, order, count, digest, and that it is the
//!    state at the snapshot's last log id) before anything of the state is touched;
//! 2. one write stores it as the node's snapshot and marks the install as begun, synced;
//! 3. the state is cleared and written again from the snapshot, a bounded batch at a time;
//! 4. one write removes the mark, synced.
//!
//! A node that starts with the mark set (a crash during 3) redoes 3 and 4 from the stored
//! snapshot before anything reads the state (`finish_interrupted`).

use std::io::BufReader;
use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, InstallingSnapshot, Meta, SnapshotManifest, StoredSnapshotMeta};
use crate::limits::{
    SNAPSHOT_INSTALL_BATCH_BYTES, SNAPSHOT_INSTALL_FLUSH_BYTES, SNAPSHOT_STORED_CHUNK_BYTES,
};
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
    let state_meta: StateMeta =
        state_meta.ok_or(StoreError::Snapshot("a snapshot without the state's metadata"))?;
    if state_meta.last_applied != meta.last_log_id {
        return Err(StoreError::Snapshot("a snapshot's state is not at its last log id"));
    }
    Ok(())
}

/// Installs the snapshot received into `file` as this node's state and stored snapshot.
pub fn install(backend: &dyn Backend, file: SnapshotFile, meta: &SnapshotMeta) -> Result<()> {
    verify(&file, meta)?;
    let manifest = SnapshotManifest { meta: meta.clone(), slot: file.slot(), bytes: file.len() };
    backend.commit(
        Tree::StateMachine,
        vec![
            keyspace::put::<StoredSnapshotMeta>(&(), &manifest)?,
            keyspace::put::<InstallingSnapshot>(&(), &file.slot())?,
        ],
    )?;
    backend.flush(Tree::StateMachine)?;
    replace_state(backend, &file)
}

/// Finishes an install that a crash interrupted, if there was one; `true` if there was.
pub fn finish_interrupted(backend: &Arc<dyn Backend>) -> Result<bool> {
    let reader = TreeReader { backend: backend.as_ref(), tree: Tree::StateMachine };
    let Some(slot) = keyspace::get::<InstallingSnapshot>(&reader, &())? else {
        return Ok(false);
    };
    let manifest = keyspace::get::<StoredSnapshotMeta>(&reader, &())?
        .filter(|manifest| manifest.slot == slot)
        .ok_or(StoreError::Snapshot("an interrupted install without its stored snapshot"))?;
    let file = SnapshotSlots::new(backend.clone()).open(slot, manifest.bytes);
    replace_state(backend.as_ref(), &file)?;
    Ok(true)
}

/// Steps 3 and 4: the state cleared, written again from `file`, and the mark removed.
fn replace_state(backend: &dyn Backend, file: &SnapshotFile) -> Result<()> {
    clear_state(backend)?;
    let mut records = decoder(file)?;
    let (mut batch, mut batch_bytes, mut unflushed_bytes) = (Vec::new(), 0, 0);
    while let Some((key, value)) = records.next_record()? {
        batch_bytes += key.len() + value.len();
        batch.push(WriteOp::Put { key, value });
        if batch_bytes >= SNAPSHOT_INSTALL_BATCH_BYTES {
            backend.commit(Tree::StateMachine, std::mem::take(&mut batch))?;
            unflushed_bytes += batch_bytes;
            batch_bytes = 0;
        }
        // sled keeps every page written since its last flush in memory: a million redemptions
        // installed without one took 3 GB more at the peak, with one every 32 MiB 0.9 GB.
        if unflushed_bytes >= SNAPSHOT_INSTALL_FLUSH_BYTES {
            backend.flush(Tree::StateMachine)?;
            unflushed_bytes = 0;
        }
    }
    batch.push(keyspace::delete::<InstallingSnapshot>(&()));
    backend.commit(Tree::StateMachine, batch)?;
    backend.flush(Tree::StateMachine)?;
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
