//! `LogStore`: openraft's `RaftLogStorage` over the `Log` tree.
//!
//! Durable before acknowledged: openraft hears that an append is done only once it is on the
//! device (`Backend::flush`, an `fdatasync`); a vote, a truncate and a purge return only once
//! they are. An append returns as soon as its entries are readable, and one task syncs and
//! acknowledges the appends in order, all those waiting when a sync starts sharing it, so Raft
//! goes on replicating while the device works.

use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, RaftLogReader};
use tokio::sync::mpsc;

use crate::blocking::run_blocking;
use crate::error::{storage_error, Result};
use crate::keyspace::{self, Committed, LastPurged, LogEntries, Votes};
use crate::limits::APPENDS_AWAITING_SYNC_MAX;
use crate::storage::{Backend, ScanOrder, Tree, TreeReader, WriteOp};
use crate::type_config::{Entry, LogId, StorageError, TypeConfig, Vote};

#[derive(Clone)]
pub struct LogStore {
    backend: Arc<dyn Backend>,
    /// Appends waiting for their sync, in append order.
    #[cfg_attr(feature = "broken-ack-before-flush", allow(dead_code))]
    awaiting_sync: mpsc::Sender<LogFlushed<TypeConfig>>,
}

impl LogStore {
    /// Also starts the task that syncs appends; it ends when the last clone of the store goes.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        let (awaiting_sync, queue) = mpsc::channel(APPENDS_AWAITING_SYNC_MAX);
        tokio::spawn(acknowledge_when_durable(backend.clone(), queue));
        Self { backend, awaiting_sync }
    }

    fn reader(&self) -> TreeReader<'_> {
        TreeReader { backend: self.backend.as_ref(), tree: Tree::Log }
    }

    fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        Ok(self.backend.commit(Tree::Log, ops)?)
    }

    /// Syncs the log, off the async worker threads.
    async fn flush(&self) -> Result<()> {
        sync_log(self.backend.clone()).await
    }

    fn entries(&self, from: Bound<u64>, to: Bound<u64>) -> Result<Vec<Entry>> {
        let entries = keyspace::scan::<LogEntries>(
            &self.reader(),
            from.as_ref(),
            to.as_ref(),
            ScanOrder::Ascending,
            usize::MAX,
        )?;
        Ok(entries.into_iter().map(|(_, entry)| entry).collect())
    }

    fn log_state(&self) -> Result<LogState<TypeConfig>> {
        let last_purged_log_id = keyspace::get::<LastPurged>(&self.reader(), &())?;
        let last = keyspace::scan::<LogEntries>(
            &self.reader(),
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Descending,
            1,
        )?;
        let last_log_id = last.first().map(|(_, entry)| entry.log_id).or(last_purged_log_id);
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    fn append_entries(&self, entries: Vec<Entry>) -> Result<()> {
        let mut ops = Vec::with_capacity(entries.len());
        for entry in &entries {
            ops.push(keyspace::put::<LogEntries>(&entry.log_id.index, entry)?);
        }
        self.commit(ops)
    }

    #[cfg(not(feature = "broken-ack-before-flush"))]
    async fn acknowledge_when_synced(&self, callback: LogFlushed<TypeConfig>) {
        if let Err(mpsc::error::SendError(callback)) = self.awaiting_sync.send(callback).await {
            callback.log_io_completed(Err(io::Error::other("the log's sync task has stopped")));
        }
    }

    /// Deliberately broken build for the simulation's and the power-loss test's detection: appends
    /// are acknowledged from memory, so a crash can lose entries a majority has acknowledged.
    #[cfg(feature = "broken-ack-before-flush")]
    async fn acknowledge_when_synced(&self, callback: LogFlushed<TypeConfig>) {
        callback.log_io_completed(Ok(()));
    }
}

async fn sync_log(backend: Arc<dyn Backend>) -> Result<()> {
    run_blocking(move || Ok(backend.flush(Tree::Log)?)).await
}

/// Syncs the log for every append that waits and tells openraft, in append order; every append
/// queued when a sync starts is covered by it (group commit).
async fn acknowledge_when_durable(
    backend: Arc<dyn Backend>,
    mut queue: mpsc::Receiver<LogFlushed<TypeConfig>>,
) {
    let mut waiting = Vec::with_capacity(APPENDS_AWAITING_SYNC_MAX);
    while queue.recv_many(&mut waiting, APPENDS_AWAITING_SYNC_MAX).await > 0 {
        let synced = sync_log(backend.clone()).await;
        for callback in waiting.drain(..) {
            let result = match &synced {
                Ok(()) => Ok(()),
                Err(error) => Err(io::Error::other(error.to_string())),
            };
            callback.log_io_completed(result);
        }
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        self.entries(range.start_bound().cloned(), range.end_bound().cloned())
            .map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Read))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        self.log_state().map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Read))
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let write = async {
            self.commit(vec![keyspace::put::<Votes>(&(), vote)?])?;
            self.flush().await
        };
        write.await.map_err(storage_error(ErrorSubject::Vote, ErrorVerb::Write))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        keyspace::get::<Votes>(&self.reader(), &())
            .map_err(storage_error(ErrorSubject::Vote, ErrorVerb::Read))
    }

    /// Not flushed: a committed id lost in a crash only means re-learning it from the leader.
    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let op = match committed {
            Some(log_id) => keyspace::put::<Committed>(&(), &log_id),
            None => Ok(keyspace::delete::<Committed>(&())),
        };
        op.and_then(|op| self.commit(vec![op]))
            .map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Write))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        keyspace::get::<Committed>(&self.reader(), &())
            .map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Read))
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        match self.append_entries(entries) {
            Ok(()) => {
                self.acknowledge_when_synced(callback).await;
                Ok(())
            }
            Err(error) => {
                callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
                Err(error.into_storage_error(ErrorSubject::Logs, ErrorVerb::Write))
            }
        }
    }

    /// Removes `log_id` and every entry after it, in one write.
    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let write = async {
            self.commit(vec![keyspace::delete_from::<LogEntries>(Some(&log_id.index))])?;
            self.flush().await
        };
        write.await.map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Delete))
    }

    /// Removes every entry up to `log_id` and records it as purged, in one write. openraft purges
    /// only what a snapshot covers, and a snapshot is flushed together with the state it holds,
    /// so the state machine never restarts behind the start of the log.
    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let write = async {
            let ops = vec![
                keyspace::delete_through::<LogEntries>(&log_id.index),
                keyspace::put::<LastPurged>(&(), &log_id)?,
            ];
            self.commit(ops)?;
            self.flush().await
        };
        write.await.map_err(storage_error(ErrorSubject::Logs, ErrorVerb::Delete))
    }
}
