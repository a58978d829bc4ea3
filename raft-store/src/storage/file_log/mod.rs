//! `FileLog`: the Raft log's tree (entries, vote, committed and purged ids) on files of its own,
//! laid out for a log rather than for a B-tree.
//!
//! A commit is encoded into the pending frame and indexed in memory at once, so it is readable
//! the moment it returns. `flush` writes the pending frame at the end of the newest segment in one
//! `write` and makes it durable with one `fdatasync`, under a lock that keeps a second frame from
//! being written before the first is synced: so after a power cut only the last frame can be
//! torn, and recovery tells a torn tail (cut off: never acknowledged) from lost synced data (the
//! node refuses to start). The in-memory index maps each live key to where its value lies, in the
//! pending frame or in a segment, and values are read back from there.
//!
//! Segments roll over at `LOG_SEGMENT_BYTES_MAX`. The oldest segments are removed once few of
//! their values are still live (a purge of the log leaves them almost empty): the live ones are
//! first written again into the newest segment and synced. Only a prefix of the segments is ever
//! removed, oldest first, so no removal can bring back a key that a later segment had deleted.

mod frame;
mod segment;

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use frame::{decode_ops, encode_op, header, DecodedOp, ValueSpan, FRAME_HEADER_BYTES};
use segment::SegmentEnd;

use super::backend::{is_empty_range, BackendError, KeyRange, KeyValue, ScanOrder, WriteOp};
use super::device_sync::{sync_data, sync_dir};
use crate::limits::{
    LOG_COMMIT_BYTES_MAX, LOG_PENDING_BYTES_MAX, LOG_SEGMENT_BYTES_MAX,
    LOG_SEGMENT_LIVE_BYTES_TO_MOVE_MAX,
};

pub struct FileLog {
    dir: PathBuf,
    state: Mutex<State>,
    /// Held from a frame's write until its sync returns.
    one_frame_at_a_time: Mutex<()>,
}

struct Segment {
    file: Arc<File>,
    len: u64,
    /// Bytes of keys and values whose current version lies in this segment.
    live_bytes: u64,
}

#[derive(Clone, Copy, Debug)]
enum Location {
    Pending(ValueSpan),
    Written { segment: u64, offset: u64, len: usize },
}

struct State {
    index: BTreeMap<Vec<u8>, Location>,
    segments: BTreeMap<u64, Segment>,
    /// The next frame: a header placeholder, then the encoded ops of every commit since the last
    /// flush. `ValueSpan`s of pending puts count from its first byte.
    pending: Vec<u8>,
    pending_keys: Vec<Vec<u8>>,
    /// Set when a write or sync failed: what the device holds is then unknown, so nothing more is
    /// written or acknowledged until the node restarts and recovers from the files.
    failed: bool,
}

fn empty_frame() -> Vec<u8> {
    vec![0; FRAME_HEADER_BYTES]
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock sets `failed` first, or leaves nothing half-written.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn encoded_len(op: &WriteOp) -> usize {
    match op {
        WriteOp::Put { key, value } => 9 + key.len() + value.len(),
        WriteOp::Delete { key } => 5 + key.len(),
        WriteOp::DeleteRange { from, to } => 9 + from.len() + to.len(),
    }
}

impl FileLog {
    /// Opens the log in `dir`, creating it when it is new, and recovers it from whatever a crash
    /// left: a torn last frame is cut off; damage anywhere else is refused.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent)?;
            }
        }
        let mut state = State {
            index: BTreeMap::new(),
            segments: BTreeMap::new(),
            pending: empty_frame(),
            pending_keys: Vec::new(),
            failed: false,
        };
        let seqs = segment::list(dir)?;
        for (position, &seq) in seqs.iter().enumerate() {
            state.recover_segment(dir, seq, position + 1 == seqs.len())?;
        }
        if state.segments.is_empty() {
            state.add_segment(segment::create(dir, 1)?, 1);
        }
        Ok(Self {
            dir: dir.to_owned(),
            state: Mutex::new(state),
            one_frame_at_a_time: Mutex::new(()),
        })
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, BackendError> {
        let state = lock(&self.state);
        if state.failed {
            return Err(BackendError::Io(io::Error::other(
                "an earlier write or sync of the Raft log failed; restart the node to recover",
            )));
        }
        Ok(state)
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let state = self.state()?;
        match state.index.get(key) {
            Some(&location) => Ok(Some(state.read(location)?)),
            None => Ok(None),
        }
    }

    pub fn scan(
        &self,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        if is_empty_range(&range) {
            return Ok(Vec::new());
        }
        let state = self.state()?;
        let in_range = state.index.range::<[u8], _>(range);
        let located: Vec<(&Vec<u8>, &Location)> = match order {
            ScanOrder::Ascending => in_range.take(limit).collect(),
            ScanOrder::Descending => in_range.rev().take(limit).collect(),
        };
        let mut pairs = Vec::with_capacity(located.len());
        for (key, &location) in located {
            pairs.push((key.clone(), state.read(location)?));
        }
        Ok(pairs)
    }

    /// Adds `ops` to the pending frame, all of them, so they reach the device together.
    pub fn commit(&self, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        let bytes: usize = ops.iter().map(encoded_len).sum();
        if bytes > LOG_COMMIT_BYTES_MAX {
            return Err(BackendError::CommitTooLarge { bytes });
        }
        if self.state()?.pending.len() + bytes > LOG_PENDING_BYTES_MAX {
            self.flush()?;
        }
        let mut state = self.state()?;
        for op in &ops {
            let span = encode_op(&mut state.pending, op);
            match (op, span) {
                (WriteOp::Put { key, .. }, Some(span)) => {
                    state.set(key.clone(), Location::Pending(span));
                    state.pending_keys.push(key.clone());
                }
                (WriteOp::Delete { key }, _) => state.remove(key),
                (WriteOp::DeleteRange { from, to }, _) => state.remove_range(from, to),
                (WriteOp::Put { .. }, None) => unreachable!("encoding a put yields its span"),
            }
        }
        Ok(())
    }

    /// Makes every commit that returned before this call durable: writes the pending frame and
    /// syncs it; a flush that finds nothing pending returns at once, since every frame written
    /// before it was synced before the lock it waited for was released.
    pub fn flush(&self) -> Result<(), BackendError> {
        let _serial = lock(&self.one_frame_at_a_time);
        if let Some(file) = self.state()?.write_pending()? {
            self.sync(&file)?;
        }
        self.roll_over()
    }

    fn sync(&self, file: &File) -> Result<(), BackendError> {
        sync_data(file).map_err(|error| {
            lock(&self.state).failed = true;
            BackendError::Io(error)
        })
    }

    /// Starts a new segment once the newest is full, and removes the oldest segments whose few
    /// live values it moved into the new one. Called with `one_frame_at_a_time` held.
    fn roll_over(&self) -> Result<(), BackendError> {
        let mut state = self.state()?;
        let (&newest, last) = state.segments.last_key_value().expect("a log has a segment");
        if last.len < LOG_SEGMENT_BYTES_MAX {
            return Ok(());
        }
        let next = newest + 1;
        let file = segment::create(&self.dir, next).inspect_err(|_| state.failed = true)?;
        state.add_segment(file, next);
        let retired: Vec<u64> = state
            .segments
            .iter()
            .take_while(|(&seq, segment)| {
                seq != next && segment.live_bytes <= LOG_SEGMENT_LIVE_BYTES_TO_MOVE_MAX
            })
            .map(|(&seq, _)| seq)
            .collect();
        if retired.is_empty() {
            return Ok(());
        }
        state.move_live_values(&retired)?;
        if let Some(file) = state.write_pending()? {
            drop(state);
            self.sync(&file)?;
            state = self.state()?;
        }
        for seq in retired {
            let removed = state.segments.remove(&seq).expect("a retired segment exists");
            assert_eq!(removed.live_bytes, 0, "a segment is removed only once nothing lives in it");
            std::fs::remove_file(segment::segment_path(&self.dir, seq))?;
            // Oldest first, each removal durable before the next: a crash never leaves an older
            // segment behind without the newer ones whose deletions it needs.
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}

impl State {
    fn add_segment(&mut self, file: File, seq: u64) {
        let len = segment::SEGMENT_HEADER.len() as u64;
        self.segments.insert(seq, Segment { file: Arc::new(file), len, live_bytes: 0 });
    }

    fn recover_segment(&mut self, dir: &Path, seq: u64, newest: bool) -> Result<(), BackendError> {
        let (file, bytes) = segment::open(dir, seq)?;
        self.add_segment(file, seq);
        let end = segment::scan(&bytes, newest, |payload_offset, payload| {
            self.replay(seq, payload_offset, payload)
        });
        let len = match end {
            Ok(SegmentEnd::Clean) => bytes.len() as u64,
            Ok(SegmentEnd::TornTail { at }) => {
                tracing::warn!(
                    segment = %segment::segment_path(dir, seq).display(),
                    at,
                    torn_bytes = bytes.len() as u64 - at,
                    "the Raft log's last frame was torn by a crash; it was never acknowledged and is cut off"
                );
                segment::cut_torn_tail(&self.segments[&seq].file, at)?
            }
            Err((damage, offset)) => {
                return Err(BackendError::Corrupt {
                    path: segment::segment_path(dir, seq),
                    offset,
                    damage: damage.describe(),
                })
            }
        };
        self.segments.get_mut(&seq).expect("just added").len = len;
        Ok(())
    }

    /// Replays one recovered frame into the index; false when its ops do not decode.
    fn replay(&mut self, seq: u64, payload_offset: u64, payload: &[u8]) -> bool {
        let Some(ops) = decode_ops(payload) else {
            return false;
        };
        for op in ops {
            match op {
                DecodedOp::Put { key, value } => {
                    let offset = payload_offset + value.offset as u64;
                    let location = Location::Written { segment: seq, offset, len: value.len };
                    self.set(key.to_vec(), location);
                }
                DecodedOp::Delete { key } => self.remove(key),
                DecodedOp::DeleteRange { from, to } => self.remove_range(from, to),
            }
        }
        true
    }

    fn set(&mut self, key: Vec<u8>, location: Location) {
        let key_len = key.len();
        if let Location::Written { segment, len, .. } = location {
            self.count_live(segment, key_len + len);
        }
        if let Some(old) = self.index.insert(key, location) {
            self.release(old, key_len);
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some(old) = self.index.remove(key) {
            self.release(old, key.len());
        }
    }

    fn remove_range(&mut self, from: &[u8], to: &[u8]) {
        if from >= to {
            return;
        }
        let doomed: Vec<Vec<u8>> = self
            .index
            .range::<[u8], _>((std::ops::Bound::Included(from), std::ops::Bound::Excluded(to)))
            .map(|(key, _)| key.clone())
            .collect();
        for key in doomed {
            self.remove(&key);
        }
    }

    fn count_live(&mut self, segment: u64, bytes: usize) {
        let segment = self.segments.get_mut(&segment).expect("a value lies in a known segment");
        segment.live_bytes += bytes as u64;
    }

    fn release(&mut self, old: Location, key_len: usize) {
        if let Location::Written { segment, len, .. } = old {
            let segment = self.segments.get_mut(&segment).expect("a value lies in a known segment");
            let bytes = (key_len + len) as u64;
            assert!(segment.live_bytes >= bytes, "live bytes count every live value once");
            segment.live_bytes -= bytes;
        }
    }

    fn read(&self, location: Location) -> io::Result<Vec<u8>> {
        match location {
            Location::Pending(span) => {
                Ok(self.pending[span.offset..span.offset + span.len].to_vec())
            }
            Location::Written { segment, offset, len } => {
                let mut value = vec![0; len];
                self.segments[&segment].file.read_exact_at(&mut value, offset)?;
                Ok(value)
            }
        }
    }

    /// Writes the pending frame at the end of the newest segment; the caller syncs the file.
    fn write_pending(&mut self) -> Result<Option<Arc<File>>, BackendError> {
        if self.pending.len() == FRAME_HEADER_BYTES {
            return Ok(None);
        }
        let frame_header = header(&self.pending[FRAME_HEADER_BYTES..]);
        self.pending[..FRAME_HEADER_BYTES].copy_from_slice(&frame_header);
        let (&seq, newest) = self.segments.last_key_value().expect("a log has a segment");
        let (file, frame_offset) = (newest.file.clone(), newest.len);
        if let Err(error) = file.write_all_at(&self.pending, frame_offset) {
            self.failed = true;
            return Err(error.into());
        }
        let frame_len = self.pending.len() as u64;
        self.segments.get_mut(&seq).expect("newest").len += frame_len;
        for key in std::mem::take(&mut self.pending_keys) {
            if let Some(Location::Pending(span)) = self.index.get(&key).copied() {
                let offset = frame_offset + span.offset as u64;
                self.set(key, Location::Written { segment: seq, offset, len: span.len });
            }
        }
        self.pending = empty_frame();
        Ok(Some(file))
    }

    /// Puts the live values of `segments` into the pending frame, so they can be removed.
    fn move_live_values(&mut self, segments: &[u64]) -> Result<(), BackendError> {
        let moving: Vec<(Vec<u8>, Location)> = self
            .index
            .iter()
            .filter(|(_, location)| {
                matches!(location, Location::Written { segment, .. } if segments.contains(segment))
            })
            .map(|(key, &location)| (key.clone(), location))
            .collect();
        for (key, location) in moving {
            let value = self.read(location)?;
            let put = WriteOp::Put { key: key.clone(), value };
            let span = encode_op(&mut self.pending, &put).expect("a put yields its span");
            self.set(key.clone(), Location::Pending(span));
            self.pending_keys.push(key);
        }
        Ok(())
    }
}
