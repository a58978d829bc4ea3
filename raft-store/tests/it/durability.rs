//! What survives a restart: reopening the same data directory (the log's files and sled), and a
//! simulated power loss on the memory disk. Goal: the log, the vote, the state machine and the snapshot come back, and a
//! crash loses only what was never acknowledged as durable.

use std::sync::Arc;

use openraft::storage::{RaftLogStorage, RaftLogStorageExt, RaftStateMachine};
use openraft::{RaftLogReader, RaftSnapshotBuilder};
use raft_store::domain::CouponId;
use raft_store::outcome::Outcome;
use raft_store::storage::{Backend, DiskBackend};
use raft_store::type_config::Vote;
use raft_store::{LogStore, StateMachine};

use crate::support::*;

/// Appends entries 1..=3 (create a coupon, redeem it twice), applies them, votes.
async fn populate(log: &mut LogStore, state: &mut StateMachine) {
    let entries = vec![
        entry(1, 1, vec![create("REOPEN", 10)]),
        entry(1, 2, vec![redeem(1, "a"), redeem(1, "b")]),
        entry(1, 3, vec![redeem(1, "c")]),
    ];
    log.blocking_append(entries.clone()).await.expect("append");
    log.save_vote(&Vote::new(1, 1)).await.expect("vote");
    let answers = state.apply(entries).await.expect("apply");
    assert!(matches!(answers[1].0[1].outcome, Outcome::Redeemed { .. }));
}

async fn times_redeemed(state: &StateMachine) -> u32 {
    state.handle().read(|s| s.coupon(CouponId(1))).expect("read").expect("coupon").times_redeemed
}

#[tokio::test]
async fn a_reopened_disk_backend_has_its_log_vote_state_and_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot_before = {
        let (mut log, mut state) = stores(open_disk(&dir));
        populate(&mut log, &mut state).await;
        let built = state.get_snapshot_builder().await.build_snapshot().await.expect("snapshot");
        log.purge(log_id(1, 2)).await.expect("purge");
        built.meta
    };
    let (mut log, mut state) = stores(reopen(&dir, DiskBackend::open).await);
    assert_eq!(log.read_vote().await.unwrap(), Some(Vote::new(1, 1)));
    let log_state = log.get_log_state().await.unwrap();
    assert_eq!(log_state.last_purged_log_id, Some(log_id(1, 2)));
    assert_eq!(log_state.last_log_id, Some(log_id(1, 3)));
    assert_eq!(log.try_get_log_entries(3..4).await.unwrap().len(), 1);
    assert!(log.try_get_log_entries(1..3).await.unwrap().is_empty(), "purged entries are gone");
    assert_eq!(state.applied_state().await.unwrap().0, Some(log_id(1, 3)));
    assert_eq!(times_redeemed(&state).await, 3);
    let snapshot = state.get_current_snapshot().await.unwrap().expect("stored snapshot");
    assert_eq!(snapshot.meta, snapshot_before);
}

#[tokio::test]
async fn a_snapshot_installed_elsewhere_reproduces_the_state() {
    let (mut source_log, mut source) = stores(mem_disk());
    populate(&mut source_log, &mut source).await;
    let snapshot = source.get_snapshot_builder().await.build_snapshot().await.unwrap();

    let (_, mut target) = stores(mem_disk());
    target.apply(vec![entry(1, 1, vec![create("OTHER", 1)])]).await.unwrap();
    let received = send_snapshot(snapshot.snapshot, &mut target, 7, true).await;
    target.install_snapshot(&snapshot.meta, received).await.unwrap();

    assert_eq!(target.handle().digest().unwrap(), source.handle().digest().unwrap());
    assert_eq!(target.applied_state().await.unwrap().0, Some(log_id(1, 3)));
    let current =
        target.get_current_snapshot().await.unwrap().expect("installed snapshot is stored");
    assert_eq!(current.meta, snapshot.meta);
}

#[tokio::test]
async fn a_power_loss_keeps_the_flushed_log_and_loses_only_unflushed_state() {
    let disk = mem_disk();
    let backend: Arc<dyn Backend> = disk.clone();
    let (mut log, mut state) = stores(backend.clone());
    populate(&mut log, &mut state).await;
    assert_eq!(times_redeemed(&state).await, 3);

    disk.crash();
    let (mut log, mut state) = stores(backend);
    let (applied, _) = state.applied_state().await.unwrap();
    assert!(applied < Some(log_id(1, 3)), "apply is not flushed, so the crash lost it");
    assert_eq!(
        log.get_log_state().await.unwrap().last_log_id,
        Some(log_id(1, 3)),
        "appends were flushed"
    );
    assert_eq!(log.read_vote().await.unwrap(), Some(Vote::new(1, 1)));

    // Replaying the durable log rebuilds the same state: apply is deterministic.
    let replay = log.try_get_log_entries(applied.map_or(1, |a| a.index + 1)..4).await.unwrap();
    state.apply(replay).await.unwrap();
    assert_eq!(times_redeemed(&state).await, 3);
}

/// Goal: a node whose state machine lost what a purged log no longer holds refuses to start.
/// The snapshot's sync makes this impossible; the test takes the sync away to show the check.
#[tokio::test]
async fn a_state_behind_the_purged_log_is_refused() {
    let disk = mem_disk();
    let backend: Arc<dyn Backend> = disk.clone();
    let (mut log, mut state) = stores(backend.clone());
    populate(&mut log, &mut state).await;
    raft_store::recovery::check_state_covers_log(backend.as_ref()).expect("a healthy store");

    log.purge(log_id(1, 2)).await.expect("purge without a synced snapshot behind it");
    disk.crash();
    let refused = raft_store::recovery::check_state_covers_log(backend.as_ref());
    assert!(
        matches!(refused, Err(raft_store::StoreError::StateBehindPurgedLog { purged: 2, .. })),
        "{refused:?}"
    );
}

/// Goal: a data directory of the layout before the Raft log had its own files is refused with a
/// message that says so, instead of starting an empty log beside the old state.
#[test]
fn a_data_directory_of_the_earlier_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(raft_store::storage::SledBackend::open(dir.path()).expect("an old-layout sled directory"));
    match DiskBackend::open(dir.path()) {
        Err(raft_store::storage::BackendError::EarlierLayout { path }) => {
            assert_eq!(path, dir.path())
        }
        Err(other) => panic!("expected the earlier-layout refusal, got {other}"),
        Ok(_) => panic!("an earlier layout must not open"),
    }
}
