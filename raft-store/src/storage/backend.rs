//! `Backend`: the narrow ordered key-value interface everything in raft-store is stored through.
//!
//! Implementations: a node's `DiskBackend` (the log's files and sled), sled alone (native tests),
//! `MemDisk` (the simulation, where sled cannot run), and `VolatileState`, which holds the coupon
//! state in memory over any of them. Keys and values are raw bytes here; only `keyspace` gives
//! them types.

use std::ops::Bound;

/// The separately ordered key spaces of one node's storage. Writes within one tree can be made
/// atomic together; the Raft log and the state machine never need a write that spans both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tree {
    /// Log entries and the Raft metadata that must change atomically with them.
    Log,
    /// The coupon state, its metadata and the stored snapshot.
    StateMachine,
}

impl Tree {
    pub fn name(self) -> &'static str {
        match self {
            Tree::Log => "raft_log",
            Tree::StateMachine => "state_machine",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOp {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        key: Vec<u8>,
    },
    /// Deletes every key in `[from, to)`.
    DeleteRange {
        from: Vec<u8>,
        to: Vec<u8>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOrder {
    Ascending,
    Descending,
}

/// A key range for `scan`, by borrowed bounds.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

pub type KeyValue = (Vec<u8>, Vec<u8>);

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data that was once durable is damaged: the node must not serve from it.
    #[error("{path}: damaged at byte {offset}: {damage}; the node refuses to start on it (restore this node's data from a replica: remove its data directory and add it back as a new member)")]
    Corrupt { path: std::path::PathBuf, offset: u64, damage: &'static str },
    /// A data directory written by a build that kept the Raft log inside sled.
    #[error("{path}: a data directory of an earlier layout (the Raft log inside sled, no raft-log/); this build cannot read it: remove it and add the node back as a new member")]
    EarlierLayout { path: std::path::PathBuf },
    #[error("a single write of {bytes} bytes is larger than the Raft log accepts")]
    CommitTooLarge { bytes: usize },
    #[error("snapshot slot {slot} written at byte {offset}, past its end at {length}")]
    SlotGap { slot: u64, offset: u64, length: u64 },
}

pub trait Backend: Send + Sync + 'static {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;

    /// At most `limit` entries of `range`, in `order`.
    fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError>;

    /// Applies `ops` in order, atomically: after a crash either all of them are there or none.
    /// Readable at once; not durable until `flush` of the same tree returns.
    fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError>;

    /// Makes every commit to `tree` that returned before this call durable: on the device, by
    /// `fdatasync`, not only in the kernel's cache. Blocking.
    fn flush(&self, tree: Tree) -> Result<(), BackendError>;

    /// Where this backend keeps snapshot data.
    fn slots(&self) -> &dyn SlotStore;
}

/// Snapshot data: one byte string per numbered slot, written at its end or again from an offset,
/// read from anywhere. Like a tree's commits until `flush`, a slot's writes are readable at once
/// and durable only once `sync` of the slot returns.
pub trait SlotStore: Send + Sync {
    /// Every slot written to and not removed, ascending.
    fn list(&self) -> Result<Vec<u64>, BackendError>;

    /// Up to `max` bytes of `slot` from `position`: fewer only at its end, none past it (or for
    /// a slot that does not exist).
    fn read_at(&self, slot: u64, position: u64, max: usize) -> Result<Vec<u8>, BackendError>;

    /// Writes `bytes` at `offset` of `slot` and drops whatever followed: `offset` is at most the
    /// slot's length (a write at 0 creates a slot that does not exist; any other is refused with
    /// `SlotGap` and changes nothing).
    fn write_at(&self, slot: u64, offset: u64, bytes: &[u8]) -> Result<(), BackendError>;

    /// Makes `slot` as written so far durable, its existence included; a slot that does not
    /// exist is an error.
    fn sync(&self, slot: u64) -> Result<(), BackendError>;

    /// Removes `slot`; one that does not exist is no error.
    fn remove(&self, slot: u64) -> Result<(), BackendError>;
}

/// Reads one tree, whatever stands behind it: the backend itself, or pending writes layered on it.
pub trait ReadTree {
    fn tree(&self) -> Tree;
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError>;
    fn scan(
        &self,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError>;
}

/// One tree of a backend, read directly.
pub struct TreeReader<'a> {
    pub backend: &'a dyn Backend,
    pub tree: Tree,
}

impl ReadTree for TreeReader<'_> {
    fn tree(&self) -> Tree {
        self.tree
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.backend.get(self.tree, key)
    }

    fn scan(
        &self,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        self.backend.scan(self.tree, range, order, limit)
    }
}

/// Whether `range` can hold no key at all (ordered maps refuse to iterate such a range).
pub fn is_empty_range(range: &KeyRange<'_>) -> bool {
    match (range.0, range.1) {
        (Bound::Included(start), Bound::Included(end)) => start > end,
        (Bound::Included(start) | Bound::Excluded(start), Bound::Excluded(end))
        | (Bound::Excluded(start), Bound::Included(end)) => start >= end,
        _ => false,
    }
}
