//! Snapshot data of the layout that kept it in the state tree (`SnapshotChunks`: values of up to
//! a chunk, by slot and byte offset, in sled), moved to the backend's slots at a start, so a node
//! upgraded in place keeps its stored snapshot and its log purged behind it.
//!
//! The stored snapshot's chunks are written to its slot in order and synced before any chunk is
//! removed; a cut in between leaves the chunks, and the next start moves them again from byte 0.
//! The chunks of every other slot (snapshots being built, sent or received then) are dropped.

use std::ops::Bound;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, SnapshotChunks};
use crate::storage::{Backend, ScanOrder, Tree, TreeReader};

use super::stored_manifest;

/// Chunks read at a time: at most this many chunks of `SNAPSHOT_STORED_CHUNK_BYTES` in memory.
const CHUNKS_PER_READ: usize = 8;

/// Moves the stored snapshot's data out of the state tree, if that is where it is.
pub fn move_to_slots(backend: &dyn Backend) -> Result<()> {
    let reader = TreeReader { backend, tree: Tree::StateMachine };
    let any_chunk = |from: (u64, u64), to: Bound<&(u64, u64)>, limit| {
        keyspace::scan::<SnapshotChunks>(
            &reader,
            Bound::Included(&from),
            to,
            ScanOrder::Ascending,
            limit,
        )
    };
    if any_chunk((0, 0), Bound::Unbounded, 1)?.is_empty() {
        return Ok(());
    }
    if let Some(manifest) = stored_manifest(&reader)? {
        let slot = manifest.slot;
        let end = slot.checked_add(1).map(|next| (next, 0));
        let to = end.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
        let mut written = 0;
        while written < manifest.bytes {
            let chunks = any_chunk((slot, written), to, CHUNKS_PER_READ)?;
            if chunks.is_empty() {
                break;
            }
            for ((_, offset), bytes) in chunks {
                if offset != written {
                    return Err(StoreError::Snapshot("a stored snapshot's chunks leave a gap"));
                }
                backend.slots().write_at(slot, offset, &bytes)?;
                written += bytes.len() as u64;
            }
        }
        if written < manifest.bytes {
            return Err(StoreError::Snapshot(
                "a stored snapshot is shorter than its manifest says",
            ));
        }
        backend.slots().sync(slot)?;
        tracing::info!(slot, bytes = written, "the stored snapshot's data moved to its own file");
    }
    let every_chunk = keyspace::delete_range::<SnapshotChunks>(&(0, 0), None);
    backend.commit(Tree::StateMachine, vec![every_chunk])?;
    backend.flush(Tree::StateMachine)?;
    Ok(())
}
