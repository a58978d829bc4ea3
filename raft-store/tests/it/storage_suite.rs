//! openraft's own storage test suite, against a node's disk backend and against the memory disk.
//! Goal: the log store and state machine meet openraft's contract on both backends.

use openraft::testing::{StoreBuilder, Suite};
use raft_store::type_config::StorageError;
use raft_store::{LogStore, StateMachine, TypeConfig};

use crate::support::{mem_disk, open_disk, stores};

struct DiskStores;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for DiskStores {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (log, state) = stores(open_disk(&dir));
        Ok((dir, log, state))
    }
}

struct MemDiskStores;

impl StoreBuilder<TypeConfig, LogStore, StateMachine> for MemDiskStores {
    async fn build(&self) -> Result<((), LogStore, StateMachine), StorageError> {
        let (log, state) = stores(mem_disk());
        Ok(((), log, state))
    }
}

#[test]
fn openraft_suite_passes_on_the_disk_backend() {
    Suite::test_all(DiskStores).expect("openraft storage suite on the disk backend");
}

#[test]
fn openraft_suite_passes_on_the_memory_disk() {
    Suite::test_all(MemDiskStores).expect("openraft storage suite on MemDisk");
}
