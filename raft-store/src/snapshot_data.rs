//! `SnapshotFile`: openraft's snapshot data, one slot of snapshot data seen as a seekable file.
//! It reads, writes at the end (or again from an earlier offset, as a resent chunk does) and
//! seeks, holding at most one read of `SNAPSHOT_STORED_CHUNK_BYTES` in memory. Where the slots
//! are kept is a `SlotAccess` (`snapshot::SnapshotSlots`): this module sits below the key spaces,
//! since openraft's type configuration names this type.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::limits::SNAPSHOT_STORED_CHUNK_BYTES;

/// Snapshot data by slot, with leases on slots in use.
pub trait SlotAccess: Send + Sync + 'static {
    /// Up to `max` bytes of `slot` from `position`; fewer only at its end.
    fn read_at(&self, slot: u64, position: u64, max: usize) -> io::Result<Vec<u8>>;
    /// Writes `bytes` at `offset` of `slot` and drops whatever followed.
    fn write_at(&self, slot: u64, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// One more user of `slot`: its data is kept until every lease is released.
    fn lease(&self, slot: u64);
    fn release(&self, slot: u64);
}

/// One slot's bytes as a file.
pub struct SnapshotFile {
    store: Arc<dyn SlotAccess>,
    slot: u64,
    length: u64,
    position: u64,
    /// The bytes last read, and their offset.
    chunk: Option<(u64, Vec<u8>)>,
}

impl SnapshotFile {
    /// The first `length` bytes of `slot`, under a lease of their own.
    pub fn open(store: Arc<dyn SlotAccess>, slot: u64, length: u64) -> Self {
        store.lease(slot);
        Self { store, slot, length, position: 0, chunk: None }
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
        Self::open(self.store.clone(), self.slot, self.length)
    }

    fn read_at_position(&mut self, into: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.length || into.is_empty() {
            return Ok(0);
        }
        let position = self.position;
        let cached = self.chunk.as_ref().is_some_and(|(offset, bytes)| {
            (*offset..*offset + bytes.len() as u64).contains(&position)
        });
        if !cached {
            let bytes = self.store.read_at(self.slot, position, SNAPSHOT_STORED_CHUNK_BYTES)?;
            if bytes.is_empty() {
                return Err(damaged("a stored snapshot is shorter than its manifest says"));
            }
            self.chunk = Some((position, bytes));
        }
        let (offset, bytes) = self.chunk.as_ref().expect("the chunk holding the position");
        let from = (position - offset) as usize;
        let available = (bytes.len() - from).min((self.length - position) as usize);
        let count = available.min(into.len());
        into[..count].copy_from_slice(&bytes[from..from + count]);
        self.position += count as u64;
        Ok(count)
    }

    /// Writes `bytes` at the position: the end, or an earlier offset, from which the data
    /// written before is replaced.
    fn write_at_position(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.position > self.length {
            return Err(damaged("a snapshot written with a gap"));
        }
        self.store.write_at(self.slot, self.position, bytes)?;
        self.chunk = None;
        self.position += bytes.len() as u64;
        self.length = self.position;
        Ok(bytes.len())
    }

    fn seek_to(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.length.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.position = target;
        Ok(target)
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        self.store.release(self.slot);
    }
}

fn damaged(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Read for SnapshotFile {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        self.read_at_position(into)
    }
}

impl Write for SnapshotFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_at_position(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for SnapshotFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.seek_to(to)
    }
}

// openraft sends and receives snapshots through tokio's traits. Each call is one read or write,
// done at once: the backend's calls are short, and openraft runs them on the
// state machine's own task (a follower's receive) or a replication task (a leader's send).
impl tokio::io::AsyncRead for SnapshotFile {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let count = this.read_at_position(buf.initialize_unfilled())?;
        buf.advance(count);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for SnapshotFile {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().write_at_position(bytes))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncSeek for SnapshotFile {
    fn start_seek(self: Pin<&mut Self>, to: SeekFrom) -> io::Result<()> {
        self.get_mut().seek_to(to).map(drop)
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.position))
    }
}
