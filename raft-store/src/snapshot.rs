//! Snapshots: the state proper (every key space a replica needs: coupons, codes, redemptions and
//! their indexes, idempotency records, alerts, counters, membership, last applied) encoded as one
//! versioned blob, and stored in chunks beside the state it was taken from.

use std::io::Cursor;
use std::ops::Bound;

use crate::error::{Result, StoreError};
use crate::keyspace::{self, SnapshotChunks, SnapshotManifest, StateImage, StoredSnapshotMeta};
use crate::limits::SNAPSHOT_STORED_CHUNK_BYTES;
use crate::storage::{ReadTree, ScanOrder, WriteOp};
use crate::type_config::{LogId, Snapshot, SnapshotMeta};

/// First byte of every snapshot blob; a node refuses a snapshot of another format.
pub const SNAPSHOT_FORMAT_VERSION: u8 = 2;

pub fn encode(image: &StateImage) -> Result<Vec<u8>> {
    let mut data = vec![SNAPSHOT_FORMAT_VERSION];
    bincode::serialize_into(&mut data, image)?;
    Ok(data)
}

pub fn decode(data: &[u8]) -> Result<StateImage> {
    match data.split_first() {
        Some((&SNAPSHOT_FORMAT_VERSION, body)) => Ok(bincode::deserialize(body)?),
        Some(_) => Err(StoreError::Snapshot("unknown snapshot format version")),
        None => Err(StoreError::Snapshot("empty snapshot")),
    }
}

/// The same state at the same log id has the same id on every node.
pub fn snapshot_id(last_log_id: Option<LogId>) -> String {
    match last_log_id {
        Some(log_id) => {
            format!("{}-{}-{}", log_id.leader_id.term, log_id.leader_id.node_id, log_id.index)
        }
        None => "empty".to_owned(),
    }
}

/// Writes that replace the stored snapshot with this one.
pub fn store_ops(meta: &SnapshotMeta, data: &[u8]) -> Result<Vec<WriteOp>> {
    let chunks: Vec<&[u8]> = data.chunks(SNAPSHOT_STORED_CHUNK_BYTES).collect();
    let chunk_count =
        u32::try_from(chunks.len()).map_err(|_| StoreError::Snapshot("too many chunks"))?;
    let manifest =
        SnapshotManifest { meta: meta.clone(), chunks: chunk_count, bytes: data.len() as u64 };
    let mut ops = vec![keyspace::delete_from::<SnapshotChunks>(None)];
    for (index, chunk) in (0u32..).zip(chunks) {
        ops.push(keyspace::put::<SnapshotChunks>(&index, &chunk.to_vec())?);
    }
    ops.push(keyspace::put::<StoredSnapshotMeta>(&(), &manifest)?);
    Ok(ops)
}

pub fn stored_manifest(reader: &dyn ReadTree) -> Result<Option<SnapshotManifest>> {
    keyspace::get::<StoredSnapshotMeta>(reader, &())
}

/// The stored snapshot, reassembled.
pub fn load(reader: &dyn ReadTree) -> Result<Option<Snapshot>> {
    let Some(manifest) = stored_manifest(reader)? else {
        return Ok(None);
    };
    let chunks = keyspace::scan::<SnapshotChunks>(
        reader,
        Bound::Unbounded,
        Bound::Unbounded,
        ScanOrder::Ascending,
        usize::MAX,
    )?;
    if chunks.len() != manifest.chunks as usize {
        return Err(StoreError::Snapshot("stored snapshot is missing chunks"));
    }
    let mut data = Vec::with_capacity(usize::try_from(manifest.bytes).unwrap_or(0));
    for (_, chunk) in chunks {
        data.extend_from_slice(&chunk);
    }
    if data.len() as u64 != manifest.bytes {
        return Err(StoreError::Snapshot("stored snapshot has the wrong length"));
    }
    Ok(Some(Snapshot { meta: manifest.meta, snapshot: Box::new(Cursor::new(data)) }))
}
