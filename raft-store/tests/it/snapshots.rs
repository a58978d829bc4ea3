//! Snapshots as streams: a build taken while apply goes on is the state at its log id, a damaged
//! snapshot is refused before the state is touched, and an install a crash interrupted is
//! finished when the node starts.

use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::RaftSnapshotBuilder;
use raft_store::keyspace::{self, InstallingSnapshot};
use raft_store::storage::{Backend, Tree};
use raft_store::type_config::Entry;
use raft_store::StateMachine;

use crate::support::*;

const COUPONS: u64 = 20;

/// Entry `index` (from 2 on) redeems every coupon once for a user of its own; entry 1 creates them.
fn entry_at(index: u64) -> Entry {
    if index == 1 {
        let coupons =
            (0..COUPONS).map(|coupon| create(&format!("SNAP-{coupon}"), 10_000)).collect();
        return entry(1, 1, coupons);
    }
    let redeems = (1..=COUPONS).map(|coupon| redeem(coupon, &format!("user-{index}"))).collect();
    entry(1, index, redeems)
}

async fn state_through(last: u64) -> StateMachine {
    let mut state = StateMachine::new(mem_disk());
    for index in 1..=last {
        state.apply(vec![entry_at(index)]).await.expect("apply");
    }
    state
}

/// Goal: a snapshot built while entries keep being applied holds exactly the state at its last
/// log id, neither a write of the entries after it nor one missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_built_during_apply_is_the_state_at_its_log_id() {
    // Enough entries that the build reads many pages while apply changes keys on every one.
    let before_build = 300;
    let mut source = state_through(before_build).await;
    let mut builder = source.get_snapshot_builder().await;
    let build = tokio::spawn(async move { builder.build_snapshot().await.expect("build") });
    let (mut index, mut during_build) = (before_build, 0);
    while !build.is_finished() || index < before_build + 20 {
        during_build += u32::from(!build.is_finished());
        index += 1;
        source.apply(vec![entry_at(index)]).await.expect("apply");
    }
    assert!(during_build > 0, "no entry was applied while the snapshot was being built");
    let snapshot = build.await.expect("the build task");
    let at = snapshot.meta.last_log_id.expect("a log id").index;
    assert!(at >= before_build && at < index, "the build ran while {index} entries applied");

    let mut target = StateMachine::new(mem_disk());
    let received = send_snapshot(snapshot.snapshot, &mut target, 64 * 1024, true).await;
    target.install_snapshot(&snapshot.meta, received).await.expect("install");
    let reference = state_through(at).await;
    assert_eq!(target.handle().digest().unwrap(), reference.handle().digest().unwrap());
    assert_ne!(source.handle().digest().unwrap(), reference.handle().digest().unwrap());
}

/// Goal: a snapshot with any byte changed is refused, and the state it would have replaced is
/// left as it was.
#[tokio::test]
async fn a_damaged_snapshot_is_refused_and_changes_nothing() {
    let source = state_through(5).await;
    let snapshot = source.clone().build_snapshot().await.expect("build");
    let length = snapshot.snapshot.len();
    let data = read_all(snapshot.snapshot).await;
    let mut target = state_through(2).await;
    let before = target.handle().digest().unwrap();
    for at in [0, 1, length / 2, length - 33, length - 1] {
        let mut damaged = data.clone();
        damaged[at as usize] ^= 0x01;
        let received = receive(&mut target, &damaged).await;
        let refused = target.install_snapshot(&snapshot.meta, received).await;
        assert!(refused.is_err(), "a snapshot with byte {at} changed was installed");
        assert_eq!(target.handle().digest().unwrap(), before, "the refused install left the state");
    }
    assert_eq!(target.applied_state().await.unwrap().0, Some(log_id(1, 2)));
}

/// Goal: a node that crashed while an install had the state half written finishes it when it
/// starts, from the stored snapshot, and serves the snapshot's state.
#[tokio::test]
async fn an_interrupted_install_is_finished_at_start() {
    let mut source = state_through(6).await;
    let snapshot = source.get_snapshot_builder().await.build_snapshot().await.expect("build");
    let disk = mem_disk();
    let backend: Arc<dyn Backend> = disk.clone();
    let mut target = StateMachine::new(backend.clone());
    target.apply(vec![entry_at(1)]).await.expect("apply");
    let received = send_snapshot(snapshot.snapshot, &mut target, 4096, false).await;
    target.install_snapshot(&snapshot.meta, received).await.expect("install");
    let manifest = raft_store::snapshot::stored_manifest(&state_tree(&backend)).unwrap().unwrap();

    // What a crash in the middle leaves: the mark set, part of the state gone, some of another.
    let half_written = vec![
        keyspace::put::<InstallingSnapshot>(&(), &manifest.slot).unwrap(),
        raft_store::storage::WriteOp::DeleteRange { from: vec![0x02], to: vec![0x05] },
        raft_store::storage::WriteOp::Put { key: vec![0x02, 0xFF], value: vec![1] },
    ];
    backend.commit(Tree::StateMachine, half_written).unwrap();
    backend.flush(Tree::StateMachine).unwrap();
    disk.crash();

    raft_store::recovery::recover(&backend).expect("recover");
    let restarted = StateMachine::new(backend.clone());
    assert_eq!(restarted.handle().digest().unwrap(), source.handle().digest().unwrap());
    assert_eq!(keyspace::get::<InstallingSnapshot>(&state_tree(&backend), &()).unwrap(), None);
}

fn state_tree(backend: &Arc<dyn Backend>) -> raft_store::storage::TreeReader<'_> {
    raft_store::storage::TreeReader { backend: backend.as_ref(), tree: Tree::StateMachine }
}

async fn read_all(mut file: Box<raft_store::snapshot::SnapshotFile>) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    file.seek(std::io::SeekFrom::Start(0)).await.expect("seek");
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).await.expect("read");
    bytes
}

async fn receive(
    target: &mut StateMachine,
    bytes: &[u8],
) -> Box<raft_store::snapshot::SnapshotFile> {
    use tokio::io::AsyncWriteExt;
    let mut received = target.begin_receiving_snapshot().await.expect("begin receiving");
    received.write_all(bytes).await.expect("write");
    received
}
