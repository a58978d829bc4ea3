//! `SledBackend`: one sled database with one sled tree per `Tree`, read and written as a
//! `Backend`'s trees are. In a node (`DiskBackend`) it holds the stored snapshot's manifest: the
//! Raft log has its own files (`FileLog`), snapshot data too (`SlotFiles`), and the coupon state
//! is in memory (`VolatileState`).
//!
//! sled 0.34's own `flush` ends in `sync_file_range`, which reaches the kernel's cache but neither
//! the file's metadata nor the device (spacejam/sled#1452), and its blob files are never synced.
//! So a flush here is sled's flush followed by an `fdatasync` of every file sled keeps and an
//! `fsync` of its directories.

use std::path::{Path, PathBuf};

use super::backend::{is_empty_range, BackendError, KeyRange, KeyValue, ScanOrder, Tree, WriteOp};
use super::device_sync::sync_tree;

/// sled's page cache; the working set of a coupon cluster is small, and the OS caches the rest.
const CACHE_BYTES: u64 = 256 * 1024 * 1024;

pub struct SledBackend {
    path: PathBuf,
    db: sled::Db,
    trees: [sled::Tree; 2],
}

impl SledBackend {
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let trees = [db.open_tree(Tree::Log.name())?, db.open_tree(Tree::StateMachine.name())?];
        Ok(Self { path: path.to_owned(), db, trees })
    }

    fn tree(&self, tree: Tree) -> &sled::Tree {
        match tree {
            Tree::Log => &self.trees[0],
            Tree::StateMachine => &self.trees[1],
        }
    }
}

/// `Backend`'s tree operations, with the same contracts.
impl SledBackend {
    pub fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.tree(tree).get(key)?.map(|value| value.to_vec()))
    }

    pub fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        if is_empty_range(&range) {
            return Ok(Vec::new());
        }
        let iter = self.tree(tree).range::<&[u8], _>(range);
        let pairs: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = match order {
            ScanOrder::Ascending => Box::new(iter),
            ScanOrder::Descending => Box::new(iter.rev()),
        };
        pairs
            .take(limit)
            .map(|pair| pair.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(BackendError::from))
            .collect()
    }

    pub fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        let tree = self.tree(tree);
        // A lone put or delete is atomic by itself, so it skips sled's batch: to log a batch's
        // manifest, sled seals and writes its IO buffer before and after it (two synced writes,
        // each waking sled's whole IO thread pool). Every one-entry log append and every
        // committed-id update paid that: 5.6 disk writes per log entry on a follower, now 3.
        match <[WriteOp; 1]>::try_from(ops) {
            Ok([WriteOp::Put { key, value }]) => {
                tree.insert(key, value)?;
            }
            Ok([WriteOp::Delete { key }]) => {
                tree.remove(key)?;
            }
            Ok([range]) => apply_as_batch(tree, vec![range])?,
            Err(ops) => apply_as_batch(tree, ops)?,
        }
        Ok(())
    }

    /// Both trees live in one sled log, so a flush of either makes both durable.
    pub fn flush(&self, _tree: Tree) -> Result<(), BackendError> {
        self.db.flush()?;
        sync_tree(&self.path)?;
        Ok(())
    }
}

fn apply_as_batch(tree: &sled::Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
    let mut batch = sled::Batch::default();
    let mut writes = 0_usize;
    for op in ops {
        match op {
            WriteOp::Put { key, value } => {
                batch.insert(key, value);
                writes += 1;
            }
            WriteOp::Delete { key } => {
                batch.remove(key);
                writes += 1;
            }
            // The writers of a tree are serialised (openraft's log IO, the state machine's
            // lock), so no key can appear in the range between this scan and the batch.
            WriteOp::DeleteRange { from, to } if from < to => {
                for key in tree.range(from..to).keys() {
                    batch.remove(key?);
                    writes += 1;
                }
            }
            WriteOp::DeleteRange { .. } => {}
        }
    }
    // An empty batch (a range that held nothing) would still cost sled's two synced writes.
    if writes > 0 {
        tree.apply_batch(batch)?;
    }
    Ok(())
}
