//! raft-store's integration tests: the storage contract on real sled and on the memory disk.

mod durability;
mod sled_commits;
mod storage_suite;
mod support;
