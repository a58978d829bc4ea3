//! Snapshots as streams: a build taken while apply goes on is the state at its log id, a damaged
//! snapshot is refused before the state is touched, and a node that starts serves the stored
//! snapshot's state.

use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::RaftSnapshotBuilder;
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

/// A snapshot of `state_through(6)`, sent to a state machine on a new `MemDisk` that had applied
/// entry 1, and installed there; the source and the disk.
async fn installed_on_mem_disk() -> (StateMachine, Arc<raft_store::storage::MemDisk>) {
    let mut source = state_through(6).await;
    let snapshot = source.get_snapshot_builder().await.build_snapshot().await.expect("build");
    let disk = mem_disk();
    let mut target = StateMachine::new(disk.clone());
    target.apply(vec![entry_at(1)]).await.expect("apply");
    let received = send_snapshot(snapshot.snapshot, &mut target, 4096, false).await;
    target.install_snapshot(&snapshot.meta, received).await.expect("install");
    (source, disk)
}

/// Goal: a node that starts (after a crash in the middle of an install, or any other stop) serves
/// the stored snapshot's state, whatever its backend held of the state before. Steps: install a
/// snapshot; leave the state half written on the disk as an earlier layout's crash could; crash
/// it; recover; the state's digest is the snapshot source's, and the disk holds no state key.
#[tokio::test]
async fn a_start_restores_the_stored_snapshot() {
    let (source, disk) = installed_on_mem_disk().await;
    let backend: Arc<dyn Backend> = disk.clone();

    let half_written = vec![
        raft_store::storage::WriteOp::DeleteRange { from: vec![0x02], to: vec![0x05] },
        raft_store::storage::WriteOp::Put { key: vec![0x02, 0xFF], value: vec![1] },
    ];
    backend.commit(Tree::StateMachine, half_written).unwrap();
    backend.flush(Tree::StateMachine).unwrap();
    disk.crash();

    let recovered =
        raft_store::recovery::recover(backend.clone()).expect("recover").backend().clone();
    let restarted = StateMachine::new(recovered);
    assert_eq!(restarted.handle().digest().unwrap(), source.handle().digest().unwrap());
    let stored_state = disk.scan(
        Tree::StateMachine,
        (std::ops::Bound::Unbounded, std::ops::Bound::Excluded(&[0x40][..])),
        raft_store::storage::ScanOrder::Ascending,
        1,
    );
    assert_eq!(stored_state.unwrap(), Vec::new(), "the state is held in memory only");
}

/// Goal: a snapshot this node built is on the device before openraft hears of it, so the log
/// behind it can go. Steps: apply entries on a node's storage over a `MemDisk`; build a snapshot;
/// cut the power (nothing unsynced survives, the state in memory neither); recover. The state is
/// the one the snapshot was built at.
#[tokio::test]
async fn a_built_snapshot_survives_a_power_cut() {
    let disk = mem_disk();
    let backend: Arc<dyn Backend> = disk.clone();
    let storage =
        raft_store::recovery::recover(backend.clone()).expect("recover").backend().clone();
    let mut state = StateMachine::new(storage);
    for index in 1..=30 {
        state.apply(vec![entry_at(index)]).await.expect("apply");
    }
    let built = state.handle().digest().unwrap();
    let snapshot = state.get_snapshot_builder().await.build_snapshot().await.expect("build");
    assert_eq!(snapshot.meta.last_log_id.map(|log_id| log_id.index), Some(30));
    drop((snapshot, state));
    disk.crash();

    let recovered = raft_store::recovery::recover(backend).expect("the stored snapshot restores");
    assert_eq!(StateMachine::new(recovered.backend().clone()).handle().digest().unwrap(), built);
}

/// Goal: a start refuses a damaged stored snapshot rather than serve a state built from it.
/// Steps: install a snapshot; change one byte in the middle of its stored data; recover fails.
/// With the byte left as it was, the same recovery succeeds.
#[tokio::test]
async fn a_damaged_stored_snapshot_stops_the_start() {
    let (_, disk) = installed_on_mem_disk().await;
    let backend: Arc<dyn Backend> = disk;
    assert!(raft_store::recovery::recover(backend.clone()).is_ok(), "the intact snapshot restores");

    let (slot, bytes) = stored_slot(backend.as_ref());
    let middle = bytes / 2;
    let mut byte = backend.slots().read_at(slot, middle, 1).unwrap();
    byte[0] ^= 0x01;
    let rest = backend.slots().read_at(slot, middle + 1, bytes as usize).unwrap();
    backend.slots().write_at(slot, middle, &[byte, rest].concat()).unwrap();
    assert_eq!(backend.slots().read_at(slot, 0, usize::MAX).unwrap().len() as u64, bytes);
    assert!(raft_store::recovery::recover(backend).is_err(), "a damaged snapshot was restored");
}

/// The stored snapshot's slot and length.
fn stored_slot(backend: &dyn Backend) -> (u64, u64) {
    let reader = raft_store::storage::TreeReader { backend, tree: Tree::StateMachine };
    let manifest = raft_store::snapshot::stored_manifest(&reader).unwrap().expect("stored");
    (manifest.slot, manifest.bytes)
}

/// Goal: a node upgraded in place keeps the snapshot that the layout before stored in chunks in
/// its state tree, also when a cut interrupted the move before.
/// Steps: install a snapshot; put its data back as that layout had it (chunks by slot and offset,
/// the slot gone) and leave the slot half moved, as a cut could; crash; recover. The state is the
/// source's, the data is in its slot, and no chunk is left in the tree.
#[tokio::test]
async fn a_snapshot_stored_in_the_state_tree_moves_to_its_slot() {
    use raft_store::keyspace::{self, SnapshotChunks};
    let (source, disk) = installed_on_mem_disk().await;
    let backend: Arc<dyn Backend> = disk.clone();
    let (slot, bytes) = stored_slot(backend.as_ref());
    let data = backend.slots().read_at(slot, 0, usize::MAX).unwrap();
    let chunks = data
        .chunks(1000)
        .enumerate()
        .map(|(n, chunk)| {
            keyspace::put::<SnapshotChunks>(&(slot, n as u64 * 1000), &chunk.to_vec())
        })
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert!(chunks.len() > 2, "the snapshot spans several chunks");
    let stray = keyspace::put::<SnapshotChunks>(&(slot + 1, 0), &b"a build of then".to_vec());
    backend
        .commit(Tree::StateMachine, chunks.into_iter().chain([stray.unwrap()]).collect())
        .unwrap();
    backend.flush(Tree::StateMachine).unwrap();
    backend.slots().remove(slot).unwrap();
    backend.slots().write_at(slot, 0, &data[..data.len() / 2]).unwrap();
    backend.slots().write_at(slot, data.len() as u64 / 2, b"torn").unwrap();
    backend.slots().sync(slot).unwrap();
    disk.crash();

    let recovered =
        raft_store::recovery::recover(backend.clone()).expect("recover").backend().clone();
    assert_eq!(
        StateMachine::new(recovered).handle().digest().unwrap(),
        source.handle().digest().unwrap()
    );
    assert_eq!(backend.slots().read_at(slot, 0, usize::MAX).unwrap(), data);
    assert_eq!(stored_slot(backend.as_ref()), (slot, bytes));
    disk.crash();
    let reader =
        raft_store::storage::TreeReader { backend: backend.as_ref(), tree: Tree::StateMachine };
    let left = keyspace::scan::<SnapshotChunks>(
        &reader,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        raft_store::storage::ScanOrder::Ascending,
        1,
    );
    assert_eq!(left.unwrap(), Vec::new(), "every chunk is gone from the tree, durably");
    assert_eq!(backend.slots().read_at(slot, 0, usize::MAX).unwrap(), data, "the slot, durably");
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
