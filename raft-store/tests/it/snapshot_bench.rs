//! Benchmark of snapshots at scale (ignored: run it in release, see `scripts/BENCHMARKS.md`):
//! what holding a large state, building a snapshot of it, installing it on a new replica and
//! restarting from it cost in memory, time and apply latency.
//!
//! Steps, on a node's storage (`recovery::recover` over a `DiskBackend` in a temporary directory:
//! the state in memory, snapshot data in its files):
//! 1. `SNAPSHOT_BENCH_REDEEMS` redemptions (default 100,000), each with the token every request
//!    carries (its idempotency record), 512 to a log entry (the most one holds), over 100 coupons.
//! 2. The state's bytes by key space, and the process's resident size, per redemption.
//! 3. A snapshot built while entries of 10 redemptions keep being applied: the build's time, the
//!    process's peak RSS above what it was before, and the latency of every apply meanwhile.
//! 4. The snapshot sent in 4 MiB chunks (the node's), as openraft sends it, into a second state
//!    machine, and installed there (a follower's catch-up), while the first goes on applying an
//!    entry of 10 redemptions after each millisecond's sleep: the time, the peak RSS above the
//!    start, and the latency of the sender's applies.
//! 5. The first node's storage opened again, as a start does: the time to restore the state from
//!    the stored snapshot.

use std::time::{Duration, Instant};

use openraft::storage::RaftStateMachine;
use openraft::RaftSnapshotBuilder;
use raft_store::command::{Command, KeyedCommand, RedeemCommand};
use raft_store::domain::{CouponId, UserId};
use raft_store::idempotency::IdempotencyToken;
use raft_store::limits::{REQUESTS_PER_ENTRY_MAX, USAGE_LIMIT_MAX};
use raft_store::outcome::Outcome;
use raft_store::storage::{Backend, ScanOrder, Tree};
use raft_store::type_config::{LogId, Snapshot};
use raft_store::StateMachine;

use crate::support::{create, entry, node_storage, reopen, send_snapshot};

const COUPONS: u64 = 100;
const SETUP_REDEEMS_PER_ENTRY: u64 = REQUESTS_PER_ENTRY_MAX as u64;
const REDEEMS_PER_ENTRY_MEANWHILE: u64 = 10;
/// During the send, an entry after each sleep of this (about 440 entries and 4,400 redeems a
/// second here, what a cluster commits): the sender's own load, which a send must not hold up,
/// without growing its state much beside the state sent.
const SEND_PACE: Duration = Duration::from_millis(1);
const SENT_CHUNK_BYTES: usize = 4 * 1024 * 1024;

fn redeem(serial: u64) -> KeyedCommand {
    let command = Command::Redeem(RedeemCommand {
        coupon_id: CouponId(serial % COUPONS + 1),
        user_id: UserId::parse(&format!("user-{serial}")).expect("user"),
        order_id: None,
        order_amount: None,
        currency: None,
    });
    // A batch of its own per redeem: one record per redeem, as a client's keys keep.
    let token = IdempotencyToken::node_assigned(u128::from(serial).to_be_bytes(), 0);
    KeyedCommand { idempotency: Some(token), actor: None, command }
}

/// The process's resident set size now and at its peak since the last `reset_peak_rss`, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        let line = status.lines().find(|line| line.starts_with(name)).expect("field");
        let kib: f64 = line.split_whitespace().nth(1).expect("value").parse().expect("number");
        kib / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Linux resets the peak RSS to the current one when "5" is written to `clear_refs`.
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

fn report_state_bytes(backend: &dyn Backend, redeems: u64) {
    let mut by_prefix = std::collections::BTreeMap::<u8, (u64, u64)>::new();
    let mut from: Vec<u8> = Vec::new();
    loop {
        let range = (std::ops::Bound::Excluded(&from[..]), std::ops::Bound::Unbounded);
        let page = backend
            .scan(Tree::StateMachine, range, ScanOrder::Ascending, 10_000)
            .expect("scan the state");
        let Some((last, _)) = page.last() else { break };
        from = last.clone();
        for (key, value) in &page {
            let slot = by_prefix.entry(key[0]).or_default();
            slot.0 += 1;
            slot.1 += (key.len() + value.len()) as u64;
        }
    }
    let total: u64 = by_prefix.values().map(|(_, bytes)| bytes).sum();
    println!("stored keys and values: {:.0} bytes per redemption", total as f64 / redeems as f64);
    for (prefix, (keys, bytes)) in by_prefix {
        println!(
            "  key space 0x{prefix:02X}: {keys:>9} keys, {:>7.1} bytes per redemption",
            bytes as f64 / redeems as f64
        );
    }
}

/// Step 1: the state machine after `redeems` redemptions; the last log index applied.
async fn fill(state: &mut StateMachine, redeems: u64) -> u64 {
    let coupons =
        (0..COUPONS).map(|coupon| create(&format!("BENCH-{coupon}"), USAGE_LIMIT_MAX)).collect();
    state.apply(vec![entry(1, 1, coupons)]).await.expect("apply");
    let mut index = 1;
    let started = Instant::now();
    for first in (0..redeems).step_by(SETUP_REDEEMS_PER_ENTRY as usize) {
        let last = (first + SETUP_REDEEMS_PER_ENTRY).min(redeems);
        index += 1;
        let requests = (first..last).map(redeem).collect();
        let answers = state.apply(vec![entry(1, index, requests)]).await.expect("apply");
        let redeemed = answers[0]
            .0
            .iter()
            .filter(|answer| matches!(answer.outcome, Outcome::Redeemed { .. }))
            .count();
        assert_eq!(redeemed as u64, last - first, "every redeem of entry {index} applied");
    }
    println!("{redeems} redemptions applied in {:.1} s", started.elapsed().as_secs_f64());
    index
}

/// Where the entries applied during a build or a send have got to.
struct Load {
    index: u64,
    serial: u64,
}

/// Applies entries of `REDEEMS_PER_ENTRY_MEANWHILE` redeems to `state` until `task` is done, one
/// after another or one per `pace`: the task's result, and a line on the applies meanwhile.
async fn apply_while<T>(
    state: &mut StateMachine,
    load: &mut Load,
    pace: Option<Duration>,
    task: tokio::task::JoinHandle<T>,
) -> (T, String) {
    let mut latencies = Vec::new();
    while !task.is_finished() {
        if let Some(pace) = pace {
            tokio::time::sleep(pace).await;
        }
        let last = load.serial + REDEEMS_PER_ENTRY_MEANWHILE;
        let requests = (load.serial..last).map(redeem).collect();
        load.serial = last;
        load.index += 1;
        let applying = Instant::now();
        state.apply(vec![entry(1, load.index, requests)]).await.expect("apply");
        latencies.push(applying.elapsed());
    }
    let done = task.await.expect("the task applied beside");
    latencies.sort();
    let report = match latencies.is_empty() {
        true => "no applies meanwhile".to_owned(),
        false => format!(
            "{} applies meanwhile: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        ),
    };
    (done, report)
}

/// Step 3: a snapshot built while entries go on being applied.
async fn build_while_applying(state: &mut StateMachine, load: &mut Load) -> Snapshot {
    let (rss_before, _) = rss_mib();
    reset_peak_rss();
    let mut builder = state.get_snapshot_builder().await;
    let started = Instant::now();
    let build = tokio::spawn(async move { builder.build_snapshot().await.expect("build") });
    let (snapshot, applies) = apply_while(state, load, None, build).await;
    let build_s = started.elapsed().as_secs_f64();
    let (_, build_peak) = rss_mib();
    println!(
        "build: {build_s:.1} s, peak RSS {:.0} MiB above the {rss_before:.0} MiB before; {applies}",
        build_peak - rss_before,
    );
    snapshot
}

/// Step 4: `snapshot` sent to a new replica and installed there, while `state` goes on applying.
async fn send_and_install(
    state: &mut StateMachine,
    load: &mut Load,
    snapshot: Snapshot,
) -> (StateMachine, tempfile::TempDir) {
    let (rss_before, _) = rss_mib();
    reset_peak_rss();
    let started = Instant::now();
    let bytes = snapshot.snapshot.len();
    let catch_up = tokio::spawn(async move {
        let target_dir = tempfile::tempdir().expect("tempdir");
        let mut target = StateMachine::new(node_storage(&target_dir));
        let received = send_snapshot(snapshot.snapshot, &mut target, SENT_CHUNK_BYTES, false).await;
        target.install_snapshot(&snapshot.meta, received).await.expect("install");
        (target, target_dir)
    });
    let (replica, applies) = apply_while(state, load, Some(SEND_PACE), catch_up).await;
    let (_, install_peak) = rss_mib();
    println!(
        "send and install of {:.0} MiB: {:.1} s, peak RSS {:.0} MiB above the {rss_before:.0} MiB \
         before; on the sender, {applies}",
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64(),
        install_peak - rss_before,
    );
    replica
}

fn applied(state: &StateMachine) -> Option<LogId> {
    state.handle().read(|s| s.meta()).expect("meta").last_applied
}

/// Step 5: the storage of `dir` opened again and its state restored; the state's last log id.
async fn restart(dir: &tempfile::TempDir) -> Option<LogId> {
    let started = Instant::now();
    let stored = reopen(dir, raft_store::storage::DiskBackend::open).await;
    let backend = raft_store::recovery::recover(stored).expect("recover").backend().clone();
    let (rss, _) = rss_mib();
    println!(
        "restart: the state restored from the stored snapshot in {:.1} s; resident {rss:.0} MiB",
        started.elapsed().as_secs_f64()
    );
    applied(&StateMachine::new(backend))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run in release, see scripts/BENCHMARKS.md"]
async fn snapshots_of_a_large_state_build_and_install_in_bounded_memory() {
    let redeems: u64 = std::env::var("SNAPSHOT_BENCH_REDEEMS")
        .map_or(100_000, |redeems| redeems.trim().parse().expect("a count"));
    let dir = tempfile::tempdir().expect("tempdir");
    let (rss_empty, _) = rss_mib();
    let backend = node_storage(&dir);
    let mut state = StateMachine::new(backend.clone());
    let index = fill(&mut state, redeems).await;
    report_state_bytes(backend.as_ref(), redeems);
    let (rss_full, _) = rss_mib();
    let per_redemption = (rss_full - rss_empty) * 1_048_576.0 / redeems as f64;
    println!("resident: {rss_full:.0} MiB, {per_redemption:.0} bytes per redemption");

    let mut load = Load { index, serial: redeems };
    let snapshot = build_while_applying(&mut state, &mut load).await;
    let meta = snapshot.meta.clone();
    let (target, target_dir) = send_and_install(&mut state, &mut load, snapshot).await;
    assert_eq!(applied(&target), meta.last_log_id, "the install reached the snapshot");
    assert!(applied(&state) >= meta.last_log_id);
    drop((target, target_dir, state, backend));
    assert_eq!(restart(&dir).await, meta.last_log_id, "a start restores the stored snapshot");
}
