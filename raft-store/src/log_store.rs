//! `LogStore`: openraft's `RaftLogStorage` over the `Log` tree.
//!
//! Durable before acknowledged: an append or a vote is flushed (fsync) before openraft hears that
//! it is done. Truncate and purge are single atomic writes. Entries are appended in the batches
//! openraft hands over, one flush per batch.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, RaftLogReader};

use crate::blocking::run_blocking;
use crate::error::{storage_error, Result};
use crate::keyspace::{self, Committed, LastPurged, LogEntries, Votes};
use crate::storage::{Backend, ScanOrder, Tree, TreeReader, WriteOp};
use crate::type_config::{Entry, LogId, StorageError, TypeConfig, Vote};

#[derive(Clone)]
pub struct LogStore {
    backend: Arc<dyn Backend>,
}

impl LogStore {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Self { backend }
    }

    fn reader(&self) -> TreeReader<'_> {
        TreeReader { backend: self.backend.as_ref(), tree: Tree::Log }
    }

    fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        Ok(self.backend.commit(Tree::Log, ops)?)
    }

    /// fsync, off the async worker threads: sled's flush blocks.
    async fn flush(&self) -> Result<()> {
        let backend = self.backend.clone();
        run_blocking(move || Ok(backend.flush()?)).await
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

    async fn append_entries(&self, entries: Vec<Entry>) -> Result<()> {
        let mut ops = Vec::with_capacity(entries.len());
        for entry in &entries {
            ops.push(keyspace::put::<LogEntries>(&entry.log_id.index, entry)?);
        }
        self.commit(ops)?;
        self.flush_appended().await
    }

    #[cfg(not(feature = "broken-ack-before-flush"))]
    async fn flush_appended(&self) -> Result<()> {
        self.flush().await
    }

    /// Deliberately broken build for the simulation's detection test: appends are acknowledged
    /// from memory, so a crash can lose entries a majority has acknowledged.
    #[cfg(feature = "broken-ack-before-flush")]
    async fn flush_appended(&self) -> Result<()> {
        Ok(())
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
        match self.append_entries(entries).await {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
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
