//! `StateMachine`: openraft's `RaftStateMachine` over the `StateMachine` tree.
//!
//! Each call to `apply` is one atomic write: the changes of every request in the batch, the
//! idempotency records, the counters and `last_applied` together. A node holds the state in
//! memory (`storage::VolatileState`): the log is synced, and a start restores the stored snapshot
//! and replays the committed entries after it. A snapshot is synced to the device before openraft
//! hears of it, so the log is purged only behind a state that a power cut cannot take back.
//!
//! A snapshot is built from a `BuildView` while apply goes on, and installed in bounded batches
//! (`snapshot`); reads are refused while an install has the state half written.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, ErrorSubject, ErrorVerb, RaftSnapshotBuilder};

use crate::apply::apply_batch;
use crate::blocking::run_blocking;
use crate::error::{storage_error, Result, StoreError};
use crate::keyspace::{self, Meta};
use crate::outcome::AppliedOutcomes;
use crate::snapshot::{self, BuildView, SnapshotFile, SnapshotSlots};
use crate::state_reader::StateReader;
use crate::storage::{Backend, PendingWrites, Tree, TreeReader};
use crate::type_config::{
    Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};

#[derive(Clone)]
pub struct StateMachine {
    backend: Arc<dyn Backend>,
    /// Held while the state is written, and while a snapshot build opens its view.
    write_lock: Arc<Mutex<()>>,
    /// What a running build sees; apply records into it what it changes.
    view: Arc<BuildView>,
    /// Held for the whole of a build or an install: one at a time.
    snapshot_lock: Arc<Mutex<()>>,
    /// Held exclusively while an install replaces the state; readers take it shared.
    install_gate: Arc<RwLock<()>>,
    slots: Arc<SnapshotSlots>,
    snapshots: Arc<SnapshotCounters>,
    /// Entries applied since start whose stamp was ahead of log time by more than
    /// `LOG_TIME_STEP_MAX` (`apply::advance_log_time` clamped it).
    clamped_stamps: Arc<AtomicU64>,
}

/// Snapshots this state machine built and installed since it was opened.
#[derive(Debug, Default)]
struct SnapshotCounters {
    built: AtomicU64,
    installed: AtomicU64,
}

fn lock(mutex: &Mutex<()>) -> MutexGuard<'_, ()> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The state machine's tree as committed, for the writer and for readers alike.
fn state_tree(backend: &Arc<dyn Backend>) -> TreeReader<'_> {
    TreeReader { backend: backend.as_ref(), tree: Tree::StateMachine }
}

/// What `StateHandle::snapshot_activity` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotActivity {
    pub built: u64,
    pub installed: u64,
    /// Size of the stored snapshot (0 when there is none).
    pub stored_bytes: u64,
}

impl StateMachine {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Self {
            slots: SnapshotSlots::new(backend.clone()),
            backend,
            write_lock: Arc::default(),
            view: Arc::default(),
            snapshot_lock: Arc::default(),
            install_gate: Arc::default(),
            snapshots: Arc::default(),
            clamped_stamps: Arc::default(),
        }
    }

    fn committed(&self) -> TreeReader<'_> {
        state_tree(&self.backend)
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.write_lock)
    }

    pub(crate) fn apply_entries(&self, entries: Vec<Entry>) -> Result<Vec<AppliedOutcomes>> {
        let committed = self.committed();
        let mut pending = PendingWrites::new(&committed);
        let mut meta = StateReader::new(&committed).meta()?;
        let stored = (meta.log_time, meta.counters);
        let mut answers = Vec::with_capacity(entries.len());
        for entry in entries {
            assert!(meta.last_applied < Some(entry.log_id), "entries apply once, in log order");
            let responses = match entry.payload {
                EntryPayload::Blank => AppliedOutcomes::default(),
                EntryPayload::Membership(membership) => {
                    meta.membership = StoredMembership::new(Some(entry.log_id), membership);
                    AppliedOutcomes::default()
                }
                EntryPayload::Normal(batch) => {
                    let applied = apply_batch(&batch, entry.log_id.index, &mut meta, &mut pending)?;
                    if batch.stamped_at > meta.log_time && batch.check_bounds().is_ok() {
                        self.clamped_stamps.fetch_add(1, Ordering::Relaxed);
                    }
                    applied
                }
            };
            meta.last_applied = Some(entry.log_id);
            answers.push(responses);
        }
        // What is written never goes behind what was read back: log time, and the id counters (so
        // no id is handed out twice).
        let (log_time, counters) = stored;
        assert!(meta.log_time >= log_time, "log time never moves backwards");
        assert!(meta.counters.next_coupon_id >= counters.next_coupon_id, "coupon ids move on");
        assert!(
            meta.counters.next_redemption_id >= counters.next_redemption_id,
            "redemption ids move on"
        );
        assert!(meta.counters.next_alert_id >= counters.next_alert_id, "alert ids move on");
        assert!(meta.counters.next_audit_id >= counters.next_audit_id, "audit ids move on");
        pending.push(keyspace::put::<Meta>(&(), &meta)?);
        let ops = pending.into_ops();
        let _guard = self.lock();
        self.view.record_before(&committed, &ops)?;
        self.backend.commit(Tree::StateMachine, ops)?;
        Ok(answers)
    }

    fn build(&self) -> Result<Snapshot> {
        let _one_at_a_time = lock(&self.snapshot_lock);
        let state = {
            let _guard = self.lock();
            self.view.start();
            StateReader::new(&self.committed()).meta()
        };
        let written = state.and_then(|state| {
            snapshot::write(&self.slots, &self.view, &self.committed()).map(|file| (state, file))
        });
        // Stopped whatever happened: apply records nothing more for this build.
        self.view.stop();
        let (state, file) = written?;
        let meta = SnapshotMeta {
            last_log_id: state.last_applied,
            last_membership: state.membership,
            snapshot_id: snapshot::snapshot_id(state.last_applied),
        };
        let stored = snapshot::stored_manifest(&self.committed())?;
        // An install replaces the state by the snapshot's, so the state never falls behind it.
        assert!(
            stored.is_none_or(|stored| stored.meta.last_log_id <= meta.last_log_id),
            "a snapshot is never older than the one stored"
        );
        let manifest =
            keyspace::SnapshotManifest { meta: meta.clone(), slot: file.slot(), bytes: file.len() };
        let store = keyspace::put::<keyspace::StoredSnapshotMeta>(&(), &manifest)?;
        self.backend.commit(Tree::StateMachine, vec![store])?;
        self.backend.flush(Tree::StateMachine)?;
        self.slots.remove_unused(Some(manifest.slot))?;
        self.snapshots.built.fetch_add(1, Ordering::Relaxed);
        Ok(Snapshot { meta, snapshot: Box::new(file) })
    }

    /// Replaces the state with the snapshot's and stores the snapshot (`snapshot::install`).
    fn install(&self, meta: &SnapshotMeta, file: SnapshotFile) -> Result<()> {
        let _one_at_a_time = lock(&self.snapshot_lock);
        let slot = file.slot();
        {
            let _no_readers = self.install_gate.write().unwrap_or_else(|e| e.into_inner());
            snapshot::install(self.backend.as_ref(), file, meta)?;
        }
        self.slots.remove_unused(Some(slot))?;
        self.snapshots.installed.fetch_add(1, Ordering::Relaxed);
        assert_eq!(
            StateReader::new(&self.committed()).meta().ok().and_then(|state| state.last_applied),
            meta.last_log_id,
            "a snapshot's state is the state at its last log id"
        );
        Ok(())
    }

    /// A handle for reading the state outside Raft (the node's queries).
    pub fn handle(&self) -> StateHandle {
        StateHandle {
            backend: self.backend.clone(),
            install_gate: self.install_gate.clone(),
            snapshots: self.snapshots.clone(),
            clamped_stamps: self.clamped_stamps.clone(),
        }
    }
}

/// Reads of the applied state, for queries that do not go through the log.
#[derive(Clone)]
pub struct StateHandle {
    backend: Arc<dyn Backend>,
    install_gate: Arc<RwLock<()>>,
    snapshots: Arc<SnapshotCounters>,
    clamped_stamps: Arc<AtomicU64>,
}

impl StateHandle {
    fn committed(&self) -> TreeReader<'_> {
        state_tree(&self.backend)
    }

    /// Runs `query` on the applied state; refused (`StoreError::Installing`) while a snapshot
    /// install has the state half written, rather than waiting for it.
    pub fn read<T>(&self, query: impl FnOnce(&StateReader<'_>) -> Result<T>) -> Result<T> {
        let _not_installing = self.install_gate.try_read().map_err(|_| StoreError::Installing)?;
        query(&StateReader::new(&self.committed()))
    }

    /// Entries applied since start whose leader stamp was clamped to `LOG_TIME_STEP_MAX`.
    pub fn clamped_stamps(&self) -> u64 {
        self.clamped_stamps.load(Ordering::Relaxed)
    }

    /// Snapshots built and installed since start, and the stored snapshot's size.
    pub fn snapshot_activity(&self) -> SnapshotActivity {
        let stored_bytes = snapshot::stored_manifest(&self.committed())
            .ok()
            .flatten()
            .map_or(0, |manifest| manifest.bytes);
        SnapshotActivity {
            built: self.snapshots.built.load(Ordering::Relaxed),
            installed: self.snapshots.installed.load(Ordering::Relaxed),
            stored_bytes,
        }
    }

    /// SHA-256 of the whole state, to compare replicas at the same applied log id.
    pub fn digest(&self) -> Result<[u8; 32]> {
        let _not_installing = self.install_gate.try_read().map_err(|_| StoreError::Installing)?;
        keyspace::state_digest(&self.committed())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let this = self.clone();
        run_blocking(move || this.build())
            .await
            .map_err(storage_error(ErrorSubject::Snapshot(None), ErrorVerb::Write))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let state = StateReader::new(&self.committed())
            .meta()
            .map_err(storage_error(ErrorSubject::StateMachine, ErrorVerb::Read))?;
        Ok((state.last_applied, state.membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<AppliedOutcomes>, StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        self.apply_entries(entries.into_iter().collect())
            .map_err(storage_error(ErrorSubject::StateMachine, ErrorVerb::Write))
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<SnapshotFile>, StorageError> {
        let slots = self.slots.clone();
        let file = run_blocking(move || slots.create())
            .await
            .map_err(storage_error(ErrorSubject::Snapshot(None), ErrorVerb::Write))?;
        Ok(Box::new(file))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        data: Box<SnapshotFile>,
    ) -> Result<(), StorageError> {
        let this = self.clone();
        let meta = meta.clone();
        run_blocking(move || this.install(&meta, *data))
            .await
            .map_err(storage_error(ErrorSubject::Snapshot(None), ErrorVerb::Write))
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        snapshot::load(&self.slots, &self.committed())
            .map_err(storage_error(ErrorSubject::Snapshot(None), ErrorVerb::Read))
    }
}
