//! `DiskBackend`: a node's storage on its data directory. The Raft log (entries, vote, committed
//! and purged ids) is a `FileLog` in `raft-log/`, synced on every flush the log store asks for:
//! every append before it is acknowledged, every vote, truncate and purge. Snapshot data is in
//! plain files in `snapshots/` (`SlotFiles`). The state machine's tree is sled in `state/`, synced
//! when a snapshot is built or installed. A node keeps only the stored snapshot's manifest there:
//! it holds the coupon state itself in memory (`VolatileState`, over this backend), and the log
//! is purged only behind a snapshot that is on the device.

use std::path::Path;

use super::backend::{
    Backend, BackendError, KeyRange, KeyValue, ScanOrder, SlotStore, Tree, WriteOp,
};
use super::file_log::FileLog;
use super::sled_backend::SledBackend;
use super::slot_files::SlotFiles;

pub struct DiskBackend {
    log: FileLog,
    state: SledBackend,
    snapshots: SlotFiles,
}

/// The sled database of the layout before the log had files of its own.
const EARLIER_LAYOUT_MARKER: &str = "db";

impl DiskBackend {
    pub fn open(data_dir: &Path) -> Result<Self, BackendError> {
        if data_dir.join(EARLIER_LAYOUT_MARKER).exists() {
            return Err(BackendError::EarlierLayout { path: data_dir.to_owned() });
        }
        Ok(Self {
            log: FileLog::open(&data_dir.join("raft-log"))?,
            state: SledBackend::open(&data_dir.join("state"))?,
            snapshots: SlotFiles::open(&data_dir.join("snapshots"))?,
        })
    }
}

impl Backend for DiskBackend {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        match tree {
            Tree::Log => self.log.get(key),
            Tree::StateMachine => self.state.get(tree, key),
        }
    }

    fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        match tree {
            Tree::Log => self.log.scan(range, order, limit),
            Tree::StateMachine => self.state.scan(tree, range, order, limit),
        }
    }

    fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        match tree {
            Tree::Log => self.log.commit(ops),
            Tree::StateMachine => self.state.commit(tree, ops),
        }
    }

    fn flush(&self, tree: Tree) -> Result<(), BackendError> {
        match tree {
            Tree::Log => self.log.flush(),
            Tree::StateMachine => self.state.flush(tree),
        }
    }

    fn slots(&self) -> &dyn SlotStore {
        &self.snapshots
    }
}
