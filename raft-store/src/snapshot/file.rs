//! Snapshot data as stored: each snapshot in a slot of its own in the backend's `SlotStore` (a
//! node's: one file per slot), so a snapshot is written, sent, received and installed a read or
//! write at a time and never whole in memory. `SnapshotSlots` is the `SlotAccess` that
//! `crate::snapshot_data::SnapshotFile` (openraft's snapshot data) reads and writes.
//!
//! A slot is leased while a `SnapshotFile` is open on it (a snapshot being built, sent to a
//! follower or received from the leader). After a new snapshot is stored, every slot that is
//! neither the stored snapshot's nor leased is removed, so a follower still reading the previous
//! snapshot finishes reading it. Removing slots excludes opening the stored snapshot
//! (`without_removals`) and creating a slot: otherwise a removal could come between reading the
//! manifest, or creating the slot, and the lease, and the snapshot would be gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::snapshot_data::{SlotAccess, SnapshotFile};
use crate::storage::Backend;

/// Which slots exist and which are in use, shared by every handle of one state machine.
pub struct SnapshotSlots {
    backend: Arc<dyn Backend>,
    inner: Mutex<SlotsInner>,
    /// Held while slots are removed, while the stored snapshot is looked up and leased, and while a
    /// new slot is created and leased.
    removals: Mutex<()>,
}

#[derive(Default)]
struct SlotsInner {
    /// The next slot to hand out; read from storage on first use (every slot there is below it).
    next: Option<u64>,
    leases: HashMap<u64, usize>,
}

impl SnapshotSlots {
    pub fn new(backend: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(Self { backend, inner: Mutex::default(), removals: Mutex::default() })
    }

    fn lock(&self) -> MutexGuard<'_, SlotsInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `open` (a look-up of the stored snapshot and the lease of its slot) while no slot is
    /// removed.
    pub fn without_removals<T>(&self, open: impl FnOnce() -> T) -> T {
        let _no_removals = self.removals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open()
    }

    /// A new, empty slot (created in the store, so an empty snapshot exists too), leased to the
    /// file returned.
    pub fn create(self: &Arc<Self>) -> Result<SnapshotFile> {
        // No removal between the slot's creation and its lease.
        let _no_removals = self.removals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = {
            let mut inner = self.lock();
            let next = match inner.next {
                Some(next) => next,
                None => self.backend.slots().list()?.last().map_or(0, |slot| slot + 1),
            };
            inner.next = Some(next + 1);
            next
        };
        self.backend.slots().write_at(slot, 0, &[])?;
        Ok(SnapshotFile::open(self.clone(), slot, 0))
    }

    /// The stored data of `slot`, `length` bytes long, leased to the file returned.
    pub fn open(self: &Arc<Self>, slot: u64, length: u64) -> SnapshotFile {
        SnapshotFile::open(self.clone(), slot, length)
    }

    /// Makes `slot` as written so far durable.
    pub fn sync(&self, slot: u64) -> Result<()> {
        Ok(self.backend.slots().sync(slot)?)
    }

    /// Removes every slot but `keep` (the stored snapshot's) and those in use.
    pub fn remove_unused(&self, keep: Option<u64>) -> Result<()> {
        let _no_opening = self.removals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for slot in self.backend.slots().list()? {
            let in_use = self.lock().leases.contains_key(&slot);
            if !in_use && Some(slot) != keep {
                self.backend.slots().remove(slot)?;
            }
        }
        Ok(())
    }
}

impl SlotAccess for SnapshotSlots {
    fn read_at(&self, slot: u64, position: u64, max: usize) -> std::io::Result<Vec<u8>> {
        self.backend.slots().read_at(slot, position, max).map_err(std::io::Error::other)
    }

    fn write_at(&self, slot: u64, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.backend.slots().write_at(slot, offset, bytes).map_err(std::io::Error::other)
    }

    fn lease(&self, slot: u64) {
        *self.lock().leases.entry(slot).or_default() += 1;
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
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};

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
        file.seek(SeekFrom::Start(40)).unwrap();
        assert!(file.write_all(b"gap").is_err(), "a write past the end");
        assert_eq!(read_all(&mut file), b"first again");
    }

    #[test]
    fn a_slot_shorter_than_its_length_reads_as_damaged() {
        let slots = slots();
        let mut file = slots.create().unwrap();
        file.write_all(b"short").unwrap();
        let mut claimed_longer = slots.open(file.slot(), 9);
        let mut bytes = Vec::new();
        let error = claimed_longer.read_to_end(&mut bytes).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
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
        assert_eq!(slots.backend.slots().list().unwrap(), vec![kept_slot, leased_slot]);
        assert!(dropped_slot > leased_slot);
        drop(leased);
        slots.remove_unused(Some(kept_slot)).unwrap();
        assert_eq!(slots.backend.slots().list().unwrap(), vec![kept_slot]);
        assert!(slots.create().unwrap().slot() > dropped_slot, "a slot is never handed out twice");
    }
}
