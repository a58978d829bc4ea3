//! Snapshot data as stored: each snapshot in a slot of its own, in chunks keyed by (slot, byte
//! offset), so a snapshot is written, sent, received and installed one chunk at a time and never
//! whole in memory. `SnapshotFile` is openraft's snapshot data: a seekable byte stream over one
//! slot.
//!
//! A slot is leased while a `SnapshotFile` is open on it (a snapshot being built, sent to a
//! follower or received from the leader). After a new snapshot is stored, the chunks of every slot
//! that is neither the stored snapshot's nor leased are removed, so a follower still reading the
//! previous snapshot finishes reading it.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Bound;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use crate::error::{Result, StoreError};
use crate::keyspace::{self, InstallingSnapshot, SnapshotChunks};
use crate::storage::{Backend, ScanOrder, Tree, TreeReader};

/// Which slots exist and which are in use, shared by every handle of one state machine.
pub struct SnapshotSlots {
    backend: Arc<dyn Backend>,
    inner: Mutex<SlotsInner>,
}

#[derive(Default)]
struct SlotsInner {
    /// The next slot to hand out; read from storage on first use (every slot there is below it).
    next: Option<u64>,
    leases: HashMap<u64, usize>,
}

impl SnapshotSlots {
    pub fn new(backend: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(Self { backend, inner: Mutex::default() })
    }

    fn lock(&self) -> MutexGuard<'_, SlotsInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn reader(&self) -> TreeReader<'_> {
        TreeReader { backend: self.backend.as_ref(), tree: Tree::StateMachine }
    }

    /// A new, empty slot, leased to the file returned.
    pub fn create(self: &Arc<Self>) -> Result<SnapshotFile> {
        let slot = {
            let mut inner = self.lock();
            let next = match inner.next {
                Some(next) => next,
                None => self.stored_slots()?.last().map_or(0, |slot| slot + 1),
            };
            inner.next = Some(next + 1);
            *inner.leases.entry(next).or_default() += 1;
            next
        };
        Ok(SnapshotFile::new(self.clone(), slot, 0))
    }

    /// The stored data of `slot`, `length` bytes long, leased to the file returned.
    pub fn open(self: &Arc<Self>, slot: u64, length: u64) -> SnapshotFile {
        *self.lock().leases.entry(slot).or_default() += 1;
        SnapshotFile::new(self.clone(), slot, length)
    }

    fn release(&self, slot: u64) {
        let mut inner = self.lock();
        if let Some(count) = inner.leases.get_mut(&slot) {
            *count -= 1;
            if *count == 0 {
                inner.leases.remove(&slot);
            }
        }
    }

    /// Removes the chunks of every slot but `keep` (the stored snapshot's), the one an interrupted
    /// install replays, and those in use.
    pub fn remove_unused(&self, keep: Option<u64>) -> Result<()> {
        let installing = keyspace::get::<InstallingSnapshot>(&self.reader(), &())?;
        for slot in self.stored_slots()? {
            let in_use = self.lock().leases.contains_key(&slot);
            if !in_use && Some(slot) != keep && Some(slot) != installing {
                self.backend.commit(Tree::StateMachine, vec![delete_chunks_from(slot, 0)])?;
            }
        }
        Ok(())
    }

    /// Every slot with a chunk stored, ascending: one read of one chunk per slot.
    fn stored_slots(&self) -> Result<Vec<u64>> {
        let mut slots = Vec::new();
        let mut from = (0, 0);
        while let Some(((slot, _), _)) = keyspace::scan::<SnapshotChunks>(
            &self.reader(),
            Bound::Included(&from),
            Bound::Unbounded,
            ScanOrder::Ascending,
            1,
        )?
        .pop()
        {
            slots.push(slot);
            match slot.checked_add(1) {
                Some(next) => from = (next, 0),
                None => break,
            }
        }
        Ok(slots)
    }
}

/// Deletes the chunks of `slot` from `offset` on.
fn delete_chunks_from(slot: u64, offset: u64) -> crate::storage::WriteOp {
    keyspace::delete_range::<SnapshotChunks>(
        &(slot, offset),
        slot.checked_add(1).map(|next| (next, 0)),
    )
}

/// One slot's bytes as a file: reads, writes at the end (or again from the start of a chunk
/// already written, as a resent chunk does), and seeks. It holds at most one chunk in memory.
pub struct SnapshotFile {
    slots: Arc<SnapshotSlots>,
    slot: u64,
    length: u64,
    position: u64,
    /// The chunk last read: its offset and bytes.
    chunk: Option<(u64, Vec<u8>)>,
}

impl SnapshotFile {
    fn new(slots: Arc<SnapshotSlots>, slot: u64, length: u64) -> Self {
        Self { slots, slot, length, position: 0, chunk: None }
    }

    pub fn slot(&self) -> u64 {
        self.slot
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Another file on the same slot, at its start (its own lease and position).
    pub fn reopen(&self) -> Self {
        self.slots.open(self.slot, self.length)
    }

    fn read_at_position(&mut self, into: &mut [u8]) -> Result<usize> {
        if self.position >= self.length || into.is_empty() {
            return Ok(0);
        }
        let position = self.position;
        let cached = self.chunk.as_ref().is_some_and(|(offset, bytes)| {
            (*offset..*offset + bytes.len() as u64).contains(&position)
        });
        if !cached {
            let reader = self.slots.reader();
            let found = keyspace::scan::<SnapshotChunks>(
                &reader,
                Bound::Included(&(self.slot, 0)),
                Bound::Included(&(self.slot, position)),
                ScanOrder::Descending,
                1,
            )?
            .pop();
            let Some(((_, offset), bytes)) = found else {
                return Err(StoreError::Snapshot("a stored snapshot is missing a chunk"));
            };
            if offset + bytes.len() as u64 <= position {
                return Err(StoreError::Snapshot("a stored snapshot is missing a chunk"));
            }
            self.chunk = Some((offset, bytes));
        }
        let (offset, bytes) = self.chunk.as_ref().expect("the chunk holding the position");
        let from = (position - offset) as usize;
        let available = (bytes.len() - from).min((self.length - position) as usize);
        let count = available.min(into.len());
        into[..count].copy_from_slice(&bytes[from..from + count]);
        self.position += count as u64;
        Ok(count)
    }

    /// Stores `bytes` as one chunk at the position: the end, or the start of a chunk already
    /// written, whose data from there on is replaced.
    fn write_at_position(&mut self, bytes: &[u8]) -> Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        let key = (self.slot, self.position);
        let mut ops = Vec::with_capacity(2);
        if self.position < self.length {
            if keyspace::get::<SnapshotChunks>(&self.slots.reader(), &key)?.is_none() {
                return Err(StoreError::Snapshot("a snapshot rewritten from inside a chunk"));
            }
            ops.push(delete_chunks_from(self.slot, self.position));
        } else if self.position > self.length {
            return Err(StoreError::Snapshot("a snapshot written with a gap"));
        }
        ops.push(keyspace::put::<SnapshotChunks>(&key, &bytes.to_vec())?);
        self.slots.backend.commit(Tree::StateMachine, ops)?;
        self.chunk = None;
        self.position += bytes.len() as u64;
        self.length = self.position;
        Ok(bytes.len())
    }

    fn seek_to(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.length.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        self.position = target;
        Ok(target)
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        self.slots.release(self.slot);
    }
}

fn io_error(error: StoreError) -> std::io::Error {
    std::io::Error::other(error)
}

impl Read for SnapshotFile {
    fn read(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        self.read_at_position(into).map_err(io_error)
    }
}

impl Write for SnapshotFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_at_position(bytes).map_err(io_error)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for SnapshotFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.seek_to(to)
    }
}

// openraft sends and receives snapshots through tokio's traits. Each call is one read or write of
// one stored chunk, done at once: the backend's calls are short, and openraft runs them on the
// state machine's own task (a follower's receive) or a replication task (a leader's send).
impl tokio::io::AsyncRead for SnapshotFile {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let count = this.read_at_position(buf.initialize_unfilled()).map_err(io_error)?;
        buf.advance(count);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for SnapshotFile {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().write_at_position(bytes).map_err(io_error))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncSeek for SnapshotFile {
    fn start_seek(self: Pin<&mut Self>, to: SeekFrom) -> std::io::Result<()> {
        self.get_mut().seek_to(to).map(drop)
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        Poll::Ready(Ok(self.position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemDisk;

    fn slots() -> Arc<SnapshotSlots> {
        SnapshotSlots::new(Arc::new(MemDisk::new()))
    }

    fn read_all(file: &mut SnapshotFile) -> Vec<u8> {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn a_file_reads_back_what_was_written_across_chunks() {
        let slots = slots();
        let mut file = slots.create().unwrap();
        file.write_all(b"hello ").unwrap();
        file.write_all(b"chunked ").unwrap();
        file.write_all(b"world").unwrap();
        assert_eq!(read_all(&mut file), b"hello chunked world");
        file.seek(SeekFrom::Start(8)).unwrap();
        let mut middle = [0; 7];
        file.read_exact(&mut middle).unwrap();
        assert_eq!(&middle, b"unked w");
        assert_eq!(file.seek(SeekFrom::End(0)).unwrap(), 19);
        assert_eq!(read_all(&mut file.reopen()), b"hello chunked world");
    }

    #[test]
    fn a_resent_chunk_replaces_the_data_from_its_start() {
        let slots = slots();
        let mut file = slots.create().unwrap();
        file.write_all(b"first ").unwrap();
        file.write_all(b"second").unwrap();
        file.seek(SeekFrom::Start(6)).unwrap();
        file.write_all(b"again").unwrap();
        assert_eq!(read_all(&mut file), b"first again");
        file.seek(SeekFrom::Start(3)).unwrap();
        assert!(file.write_all(b"inside").is_err(), "a rewrite from inside a chunk");
        file.seek(SeekFrom::Start(40)).unwrap();
        assert!(file.write_all(b"gap").is_err(), "a write past the end");
    }

    #[test]
    fn unused_slots_are_removed_and_leased_ones_kept() {
        let slots = slots();
        let (mut kept, mut leased, mut dropped) =
            (slots.create().unwrap(), slots.create().unwrap(), slots.create().unwrap());
        for file in [&mut kept, &mut leased, &mut dropped] {
            file.write_all(b"data").unwrap();
        }
        let (kept_slot, leased_slot, dropped_slot) = (kept.slot(), leased.slot(), dropped.slot());
        drop((kept, dropped));
        slots.remove_unused(Some(kept_slot)).unwrap();
        assert_eq!(slots.stored_slots().unwrap(), vec![kept_slot, leased_slot]);
        assert!(dropped_slot > leased_slot);
        drop(leased);
        slots.remove_unused(Some(kept_slot)).unwrap();
        assert_eq!(slots.stored_slots().unwrap(), vec![kept_slot]);
        assert!(slots.create().unwrap().slot() > dropped_slot, "a slot is never handed out twice");
    }
}
