//! Where bytes are kept: the `Backend` seam; a node's `DiskBackend` (the Raft log on its own
//! files, the coupon state in sled); the in-memory disk of the simulation; pending writes layered
//! over a tree.

mod backend;
mod device_sync;
mod disk_backend;
mod file_log;
mod mem_disk;
mod pending;
mod sled_backend;

pub use backend::{
    is_empty_range, Backend, BackendError, KeyRange, KeyValue, ReadTree, ScanOrder, Tree,
    TreeReader, WriteOp,
};
pub use disk_backend::DiskBackend;
pub use file_log::FileLog;
pub use mem_disk::MemDisk;
pub use pending::PendingWrites;
pub use sled_backend::SledBackend;
