//! `LogStore`: openraft's `RaftLogStorage` over the `Log` tree.
//!
//! Durable before acknowledged: an append, a vote, a truncate and a purge return only once they
//! are on the device (`Backend::flush`, an `fdatasync`), one sync per batch openraft hands over.
//!
//! An append is synced before it *returns*, not only before its callback: openraft 0.9's leader
//! counts its own log as matching the moment `append` returns (`raft_core.rs`, the
//! `AppendInputEntries` command calls `update_local_progress` right after it), so an append that
//! returned unsynced could be committed by the leader and one follower and then lost with the
//! leader's power, leaving a single copy.

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

    /// Syncs the log, off the async worker threads.
    async fn flush(&self) -> Result<()> {
        let backend = self.backend.clone();
        run_blocking(move || Ok(backend.flush(Tree::Log)?)).await
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

    /// Appends `entries` and returns once they are on the device.
    async fn append_durably(&self, entries: Vec<Entry>) -> Result<()> {
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

    /// Deliberately broken build for the simulation's and the power-loss test's detection: appends
    /// are acknowledged from memory, so a crash can lose entries a majority has acknowledged.
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

    /// openraft reads the vote only when the node starts. A vote read back is never a committed
    /// one: a node that led before its restart must win an election again, and with it a new
    /// entry of its term, before it serves. openraft 0.9 would otherwise resume leadership at once
    /// (`Engine::startup`) with the commit index it had stored, which lags the one it had
    /// acknowledged (the committed id is not synced), and answer linearizable reads from a state
    /// without writes it had acknowledged. Voting stays safe: the vote for the same leader in the
    /// same term still refuses every other candidate of that term.
    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        let stored = keyspace::get::<Votes>(&self.reader(), &())
            .map_err(storage_error(ErrorSubject::Vote, ErrorVerb::Read))?;
        Ok(stored.map(|vote| Vote { committed: false, ..vote }))
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
        match self.append_durably(entries).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;

    fn blank(index: u64) -> Entry {
        let log_id = LogId::new(openraft::CommittedLeaderId::new(1, 1), index);
        Entry { log_id, payload: openraft::EntryPayload::Blank }
    }

    /// Goal: an append is on the device when it returns, before any callback (openraft's leader
    /// counts its own log from that moment): a crash right after it keeps the entries.
    #[tokio::test]
    async fn an_append_is_durable_when_it_returns() {
        let disk = Arc::new(MemDisk::new());
        let store = LogStore::new(disk.clone());
        store.append_durably(vec![blank(1), blank(2)]).await.expect("append");
        assert_eq!(disk.unflushed_commits(Tree::Log), 0);
        disk.crash();
        let entries = store.entries(Bound::Unbounded, Bound::Unbounded).expect("read");
        assert_eq!(entries.iter().map(|entry| entry.log_id.index).collect::<Vec<_>>(), [1, 2]);
    }
}
