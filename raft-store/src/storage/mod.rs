//! Where bytes are kept: the `Backend` seam; a node's `DiskBackend` (the Raft log and snapshot
//! data on files of their own, the stored snapshot's manifest in sled); `VolatileState`, the
//! coupon state in memory over either (see its module for why); the in-memory disk of the
//! simulation; pending writes layered over a tree.
//!
//! **Why the Raft log has files of its own.** Every acknowledged write must be on the device of a
//! majority, so the log is synced (`fdatasync`) at every append. Two ways were built and measured
//! with `scripts/bench.sh --json` (spread, three nodes on two cores), in alternating runs:
//! - the log in sled, each flush followed by an `fdatasync` of every file sled keeps
//!   (`SledBackend::flush`): median 1,082 redeems/s;
//! - the log in `FileLog`, one frame written and synced per flush, the coupon state in sled synced
//!   only at snapshots: median 1,637 redeems/s, 1.5x (the non-durable build before both: 1,920).
//!
//! (A loaded sitting: three runs each, the machine busy with builds.) sled's flush writes its
//! whole IO buffer through a thread pool and the sync then covers every file it has; the file log
//! writes one sequential frame and syncs one file. The file log is kept. sled first stayed for
//! the coupon state and now keeps only the stored snapshot: the state is in memory. TiKV's
//! `raft-engine` was not measured: it is built for many Raft groups and takes entries as protobuf
//! messages (its `MessageExt`), so openraft's entries would need a protobuf wrapper, where the
//! file log is about 500 lines of code with tests of every torn and damaged case.

mod backend;
mod device_sync;
mod disk_backend;
mod file_log;
mod mem_disk;
mod mem_slots;
mod ordered_map;
mod pending;
mod sled_backend;
mod slot_files;
mod volatile_state;

pub use backend::{
    is_empty_range, Backend, BackendError, KeyRange, KeyValue, ReadTree, ScanOrder, SlotStore,
    Tree, TreeReader, WriteOp,
};
pub use disk_backend::DiskBackend;
pub use file_log::FileLog;
pub use mem_disk::MemDisk;
pub use pending::PendingWrites;
pub use sled_backend::SledBackend;
pub use volatile_state::VolatileState;
