//! `Observer`: watches every running node's Raft metrics and log for openraft's own invariants.
//!
//! - Election safety: which leader wrote each committed entry (openraft 0.9 orders leaders by
//!   (term, node id), so one term may elect several; at most one of them may commit), and every
//!   node's vote, which must never go backwards, not even across a crash.
//! - Committed entries are never lost or replaced: every log entry a node has applied is
//!   committed, so the (index, leader) pairs read from applied prefixes of every node's log must
//!   agree, across nodes and across crashes and restarts.
//!
//! - When each leader was elected and first committed writes (`Elections`), and log time as every
//!   node's state reports it (`LogTimes`).
//!
//! Each node runs its own watch loop in its own madsim task, so a kill stops it with the node.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use openraft::{EntryPayload, RaftMetrics, ServerState};
use raft_store::keyspace::{self, LogEntries};
use raft_store::storage::{MemDisk, ScanOrder, Tree, TreeReader};
use raft_store::type_config::Vote;
use raft_store::{NodeId, NodeInfo, Raft, StateHandle};
use serde::Serialize;

use super::elections::Elections;
use super::log_times::LogTimes;

/// The first node that applied a log index, and the leader (term, node) that wrote the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CommittedEntry {
    pub term: u64,
    pub leader: NodeId,
    pub first_seen_on: NodeId,
}

/// What the observer saw; the invariants judge it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Observations {
    /// Nodes that reported themselves leader, by term. Only for the failure report: openraft 0.9
    /// may elect two leaders in one term, so `one_leader_per_term` judges `committed` instead.
    pub leaders_by_term: BTreeMap<u64, BTreeSet<NodeId>>,
    /// Committed log entries by index.
    pub committed: BTreeMap<u64, CommittedEntry>,
    /// Applied entries whose leader disagreed with the first one seen at that index.
    pub replaced_entries: Vec<String>,
    /// The highest vote each node has reported.
    pub votes: BTreeMap<NodeId, Vote>,
    /// Votes a node reported below one it had reported before.
    pub vote_regressions: Vec<String>,
    /// Nodes whose Raft stopped without the harness killing them, or that failed to start.
    pub node_failures: Vec<String>,
    pub elections: Elections,
    pub log_times: LogTimes,
    /// States each node's state machine committed, checked by `use_probe`.
    pub use_checks: u64,
    /// What those checks found, by node (the first few).
    pub use_violations: Vec<String>,
}

/// Use violations kept for the report; one is enough to fail a run.
const USE_VIOLATIONS_KEPT: usize = 20;

#[derive(Clone, Default)]
pub struct Observer(Arc<Mutex<Observations>>);

impl Observer {
    pub fn snapshot(&self) -> Observations {
        self.lock().clone()
    }

    /// One check of node `id`'s committed state (`use_probe`), and what it found.
    pub fn note_use_check(&self, id: NodeId, found: Vec<String>) {
        let mut seen = self.lock();
        seen.use_checks += 1;
        let room = USE_VIOLATIONS_KEPT.saturating_sub(seen.use_violations.len());
        seen.use_violations
            .extend(found.into_iter().take(room).map(|why| format!("node {id}: {why}")));
    }

    pub fn node_failed(&self, id: NodeId, why: String) {
        self.lock().node_failures.push(format!("node {id}: {why}"));
    }

    /// Follows node `id` until its Raft stops (or the node is killed, which drops this future).
    pub async fn watch(&self, id: NodeId, raft: Raft, state: StateHandle, disk: Arc<MemDisk>) {
        let mut metrics = raft.metrics();
        let mut scanned_to: Option<u64> = None;
        loop {
            let current = metrics.borrow_and_update().clone();
            if let Err(fatal) = &current.running_state {
                self.node_failed(id, format!("raft stopped: {fatal}"));
                return;
            }
            self.record(id, &current, &disk, &mut scanned_to);
            self.record_log_time(id, &state);
            if metrics.changed().await.is_err() {
                self.node_failed(id, "raft's metrics channel closed".to_owned());
                return;
            }
        }
    }

    fn record(
        &self,
        id: NodeId,
        metrics: &RaftMetrics<NodeId, NodeInfo>,
        disk: &MemDisk,
        scanned_to: &mut Option<u64>,
    ) {
        let mut seen = self.lock();
        let now_ns = now_ns();
        if metrics.state == ServerState::Leader {
            seen.leaders_by_term.entry(metrics.current_term).or_default().insert(id);
            seen.elections.note_leading(metrics.current_term, id, now_ns);
        }
        seen.note_vote(id, metrics.vote);
        let Some(applied) = metrics.last_applied else { return };
        seen.note_committed(id, applied.index, applied.leader_id);
        if scanned_to.is_some_and(|scanned| scanned >= applied.index) {
            return;
        }
        let from = scanned_to.map_or(Bound::Unbounded, Bound::Excluded);
        let reader = TreeReader { backend: disk, tree: Tree::Log };
        let entries = keyspace::scan::<LogEntries>(
            &reader,
            from.as_ref(),
            Bound::Included(&applied.index),
            ScanOrder::Ascending,
            usize::MAX,
        );
        match entries {
            Ok(entries) => {
                for (index, entry) in entries {
                    let leader = entry.log_id.leader_id;
                    seen.note_committed(id, index, leader);
                    let write = matches!(
                        &entry.payload,
                        EntryPayload::Normal(batch) if !batch.requests.is_empty()
                    );
                    let writer = (leader.term, leader.node_id);
                    seen.elections.note_applied(writer, id, write, now_ns);
                }
            }
            Err(error) => seen.node_failures.push(format!("node {id}: log unreadable: {error}")),
        }
        *scanned_to = Some(applied.index);
    }

    /// Log time after the last entry node `id`'s state applied, against the true time of day.
    fn record_log_time(&self, id: NodeId, state: &StateHandle) {
        let Ok(meta) = state.read(|reader| reader.meta()) else { return };
        let Some(applied) = meta.last_applied else { return };
        let now_ms = chrono::Utc::now().timestamp_millis();
        self.lock().log_times.note(id, applied.index, meta.log_time.unix_millis(), now_ms);
    }

    fn lock(&self) -> MutexGuard<'_, Observations> {
        // Observations are plain data, valid whatever a panicking holder left behind.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Observations {
    fn note_committed(&mut self, node: NodeId, index: u64, leader: openraft::LeaderId<NodeId>) {
        let (term, leader) = (leader.term, leader.node_id);
        let seen = CommittedEntry { term, leader, first_seen_on: node };
        let first = *self.committed.entry(index).or_insert(seen);
        if (first.term, first.leader) != (term, leader) {
            self.replaced_entries.push(format!(
                "index {index}: node {} applied the entry of leader T{}-N{}, node {node} that of \
                 T{term}-N{leader}",
                first.first_seen_on, first.term, first.leader
            ));
        }
    }

    /// A node's vote only grows: its term and candidate are flushed before they are acted on, so
    /// not even a crash may take them back. The initial vote (term 0), before a node has loaded or
    /// cast any, is skipped. The `committed` flag is not compared: a node reads its vote back
    /// uncommitted at start (the log store's `read_vote`), so a leader that restarts must win its
    /// leadership again before it serves; that drops no promise made to any candidate.
    fn note_vote(&mut self, node: NodeId, vote: Vote) {
        if vote.leader_id.term == 0 {
            return;
        }
        let compared = |highest: &Vote| vote.leader_id.partial_cmp(&highest.leader_id);
        match self.votes.get(&node).map(|highest| (compared(highest), *highest)) {
            Some((Some(Ordering::Less), highest)) => self
                .vote_regressions
                .push(format!("node {node} reported vote {vote} after {highest}")),
            Some((Some(Ordering::Equal), _)) => {}
            _ => {
                self.votes.insert(node, vote);
            }
        }
    }
}

/// Simulated time since the run began.
fn now_ns() -> u64 {
    let elapsed = madsim::time::TimeHandle::current().elapsed();
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}
