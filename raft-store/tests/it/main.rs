//! raft-store's integration tests: the storage contract on a node's disk backend (the Raft log's
//! own files and sled) and on the memory disk, sled's commits, and what survives a reopen.

mod code_job_bench;
mod durability;
mod file_log;
mod listing_bench;
mod sled_commits;
mod snapshot_bench;
mod snapshots;
mod storage_suite;
mod support;
