//! `SlotFiles`: snapshot data on a node's device, one plain file per slot (`slot-<n>` in the
//! node's `snapshots/`).
//!
//! A snapshot is written once, front to back, and read front to back (sent to a follower, or
//! restored at a start), so a file is all it needs. When snapshot data was kept in sled, every
//! chunk also stayed in sled's cache and log: building a snapshot of five million redemptions
//! (1.6 GB) took 2.7 GB of memory above the state, and sled's final sync wrote it all at once while
//! apply waited behind it. Here the bytes go to the kernel's page cache, and a build syncs its file
//! as it grows (`snapshot::write`), so the sync that makes a snapshot durable has little left.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::backend::{BackendError, SlotStore};
use super::device_sync::{sync_data, sync_dir};

const FILE_PREFIX: &str = "slot-";

pub struct SlotFiles {
    dir: PathBuf,
}

impl SlotFiles {
    /// The slots in `dir`, created if it is missing; its name is made durable in its parent on
    /// every open (an open cut short after the creation syncs it the next time).
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        std::fs::create_dir_all(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(Self { dir: dir.to_owned() })
    }

    fn path(&self, slot: u64) -> PathBuf {
        self.dir.join(format!("{FILE_PREFIX}{slot}"))
    }
}

/// The slot a file name stands for: only the names `path` makes.
fn slot_of(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(FILE_PREFIX)?;
    let slot: u64 = digits.parse().ok()?;
    (digits == slot.to_string()).then_some(slot)
}

/// A file that does not exist, as no file.
fn absent_as_none(opened: io::Result<File>) -> io::Result<Option<File>> {
    match opened {
        Ok(file) => Ok(Some(file)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
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
        let Some(file) = absent_as_none(File::open(self.path(slot)))? else {
            return Ok(Vec::new());
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
        // Only a write at the start may create the file, so a refused write leaves none behind.
        let opened = OpenOptions::new()
            .write(true)
            .create(offset == 0)
            .truncate(false)
            .open(self.path(slot));
        let file = absent_as_none(opened)?;
        let length = match &file {
            Some(file) => file.metadata()?.len(),
            None => 0,
        };
        let Some(file) = file.filter(|_| offset <= length) else {
            return Err(BackendError::SlotGap { slot, offset, length });
        };
        if offset < length {
            file.set_len(offset)?;
        }
        file.write_all_at(bytes, offset)?;
        Ok(())
    }

    /// The file's data, then the directory that names it.
    fn sync(&self, slot: u64) -> Result<(), BackendError> {
        sync_data(&File::open(self.path(slot))?)?;
        sync_dir(&self.dir)?;
        Ok(())
    }

    /// A removal need not be durable: a slot that comes back after a cut is no snapshot's, and
    /// the next snapshot stored removes it again.
    fn remove(&self, slot: u64) -> Result<(), BackendError> {
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
        assert!(files.write_at(4, 1, b"gap").is_err());
        assert!(files.sync(4).is_err(), "a refused write creates no slot");

        files.sync(3).unwrap();
        for other in ["notes.txt", "slot-07", "slot-+7"] {
            std::fs::write(dir.path().join("snapshots").join(other), b"not a slot").unwrap();
        }
        assert_eq!(files.list().unwrap(), vec![1, 3]);
        files.remove(1).unwrap();
        files.remove(1).unwrap();
        assert_eq!(files.list().unwrap(), vec![3]);
        drop(files);
        let reopened = SlotFiles::open(&dir.path().join("snapshots")).unwrap();
        assert_eq!(reopened.read_at(3, 0, 100).unwrap(), b"hey");
    }
}
