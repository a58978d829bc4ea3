//! `SlotFiles`: snapshot data on a node's device, one plain file per slot (`slot-<n>` in the
//! node's `snapshots/`).
//!
//! A snapshot is written once, front to back, and read front to back (sent to a follower, or
//! restored at a start), so a file is all it needs. Kept in sled, as before, every chunk also
//! stayed in sled's cache and log: building a snapshot of five million redemptions (1.6 GB) took
//! 2.7 GB of memory above the state, and sled's final sync wrote it all at once while apply
//! waited behind it. Here the bytes go to the kernel's page cache, and a file being written is
//! synced every `SLOT_SYNC_STEP_BYTES`, so the sync that makes a snapshot durable has at most that
//! much left to write.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::backend::{BackendError, SlotStore};
use super::device_sync::{sync_data, sync_dir};

/// A slot's file is synced each time this much more of it is written.
const SLOT_SYNC_STEP_BYTES: u64 = 32 * 1024 * 1024;

const FILE_PREFIX: &str = "slot-";

pub struct SlotFiles {
    dir: PathBuf,
    /// Bytes written to each slot since its last sync.
    unsynced: Mutex<HashMap<u64, u64>>,
}

impl SlotFiles {
    /// The slots in `dir`, created (and its name made durable in its parent) if it is missing.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        if !dir.is_dir() {
            std::fs::create_dir_all(dir)?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent)?;
            }
        }
        Ok(Self { dir: dir.to_owned(), unsynced: Mutex::default() })
    }

    fn path(&self, slot: u64) -> PathBuf {
        self.dir.join(format!("{FILE_PREFIX}{slot}"))
    }

    /// The slot's file, created empty if it does not exist; what it holds is kept.
    fn open_for_writing(&self, slot: u64) -> io::Result<File> {
        OpenOptions::new().create(true).write(true).truncate(false).open(self.path(slot))
    }

    fn unsynced(&self) -> MutexGuard<'_, HashMap<u64, u64>> {
        self.unsynced.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn slot_of(name: &str) -> Option<u64> {
    name.strip_prefix(FILE_PREFIX)?.parse().ok()
}

impl SlotStore for SlotFiles {
    /// Files of other names (none is ever written here) are left alone.
    fn list(&self) -> Result<Vec<u64>, BackendError> {
        let mut slots = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            if let Some(slot) = entry?.file_name().to_str().and_then(slot_of) {
                slots.push(slot);
            }
        }
        slots.sort_unstable();
        Ok(slots)
    }

    fn read_at(&self, slot: u64, position: u64, max: usize) -> Result<Vec<u8>, BackendError> {
        let file = match File::open(self.path(slot)) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let available = file.metadata()?.len().saturating_sub(position);
        let wanted = usize::try_from(available).unwrap_or(usize::MAX).min(max);
        let mut bytes = vec![0; wanted];
        let mut filled = 0;
        while filled < wanted {
            match file.read_at(&mut bytes[filled..], position + filled as u64) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
        bytes.truncate(filled);
        Ok(bytes)
    }

    fn write_at(&self, slot: u64, offset: u64, bytes: &[u8]) -> Result<(), BackendError> {
        let file = self.open_for_writing(slot)?;
        let length = file.metadata()?.len();
        if offset > length {
            return Err(BackendError::SlotGap { slot, offset, length });
        }
        if offset < length {
            file.set_len(offset)?;
        }
        file.write_all_at(bytes, offset)?;
        let mut unsynced = self.unsynced();
        let written = unsynced.entry(slot).or_default();
        *written += bytes.len() as u64;
        if *written >= SLOT_SYNC_STEP_BYTES {
            *written = 0;
            drop(unsynced);
            sync_data(&file)?;
        }
        Ok(())
    }

    /// The file's data, then the directory that names it (a slot never written is created empty).
    fn sync(&self, slot: u64) -> Result<(), BackendError> {
        sync_data(&self.open_for_writing(slot)?)?;
        sync_dir(&self.dir)?;
        self.unsynced().remove(&slot);
        Ok(())
    }

    /// A removal need not be durable: a slot that comes back after a cut is no snapshot's, and
    /// the next snapshot stored removes it again.
    fn remove(&self, slot: u64) -> Result<(), BackendError> {
        self.unsynced().remove(&slot);
        match std::fs::remove_file(self.path(slot)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_read_back_what_was_written_and_a_rewrite_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let files = SlotFiles::open(&dir.path().join("snapshots")).unwrap();
        files.write_at(3, 0, b"hello ").unwrap();
        files.write_at(3, 6, b"world").unwrap();
        files.write_at(1, 0, b"other").unwrap();
        assert_eq!(files.read_at(3, 0, 100).unwrap(), b"hello world");
        assert_eq!(files.read_at(3, 6, 3).unwrap(), b"wor");
        assert_eq!(files.read_at(3, 11, 3).unwrap(), b"");
        assert_eq!(files.read_at(9, 0, 3).unwrap(), b"", "a slot never written reads empty");

        files.write_at(3, 2, b"y").unwrap();
        assert_eq!(files.read_at(3, 0, 100).unwrap(), b"hey");
        assert!(matches!(
            files.write_at(3, 5, b"gap"),
            Err(BackendError::SlotGap { slot: 3, offset: 5, length: 3 })
        ));
        assert_eq!(files.read_at(3, 0, 100).unwrap(), b"hey", "a refused write changes nothing");

        files.sync(3).unwrap();
        std::fs::write(dir.path().join("snapshots/notes.txt"), b"not a slot").unwrap();
        assert_eq!(files.list().unwrap(), vec![1, 3]);
        files.remove(1).unwrap();
        files.remove(1).unwrap();
        assert_eq!(files.list().unwrap(), vec![3]);
        drop(files);
        let reopened = SlotFiles::open(&dir.path().join("snapshots")).unwrap();
        assert_eq!(reopened.read_at(3, 0, 100).unwrap(), b"hey");
    }
}
