//! Where bytes are kept: the `Backend` seam, its sled and in-memory implementations, and pending
//! writes layered over a tree.

mod backend;
mod mem_disk;
mod pending;
mod sled_backend;

pub use backend::{
    is_empty_range, Backend, BackendError, KeyRange, KeyValue, ReadTree, ScanOrder, Tree,
    TreeReader, WriteOp,
};
pub use mem_disk::MemDisk;
pub use pending::PendingWrites;
pub use sled_backend::SledBackend;
