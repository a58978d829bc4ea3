//! Syncs to the device: the only calls that make bytes survive a power cut. A `write`, a close,
//! or sled 0.34's `flush` (`sync_file_range`) leave them in a cache the cut empties.

use std::fs::File;
use std::io;
use std::path::Path;

/// `fdatasync`: the file's data and the metadata needed to read it back (its length).
#[cfg(not(feature = "broken-flush-without-sync"))]
pub fn sync_data(file: &File) -> io::Result<()> {
    file.sync_data()
}

/// Deliberately broken build for the power-loss test: bytes reach the kernel's cache and no
/// further, the way sled's own flush left them, so a power cut loses acknowledged writes.
#[cfg(feature = "broken-flush-without-sync")]
pub fn sync_data(_file: &File) -> io::Result<()> {
    Ok(())
}

/// `fsync` of a directory: the names created, renamed or removed in it.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    sync_data(&File::open(dir)?)
}

/// Syncs every regular file in `dir` and in its subdirectories one level down, then the
/// directories themselves: for a store (sled) whose own flush stops short of the device.
pub fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_file() {
            sync_file(&entry.path())?;
        } else if kind.is_dir() {
            for inner in std::fs::read_dir(entry.path())? {
                let inner = inner?;
                if inner.file_type()?.is_file() {
                    sync_file(&inner.path())?;
                }
            }
            sync_dir(&entry.path())?;
        }
    }
    sync_dir(dir)
}

/// A file the store removed after it was listed (sled drops a blob file once its value is
/// replaced) holds nothing to keep; its removal is made durable by the directory's sync.
fn sync_file(path: &Path) -> io::Result<()> {
    match File::open(path) {
        Ok(file) => sync_data(&file),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sled removes blob files while it runs: one gone between the listing and the sync is not an
    /// error (it failed every flush, so every snapshot build, of a state with large values).
    #[test]
    fn a_file_removed_before_its_sync_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kept"), b"data").unwrap();
        assert!(sync_file(&dir.path().join("removed")).is_ok());
        assert!(sync_file(&dir.path().join("kept")).is_ok());
        assert!(sync_tree(dir.path()).is_ok());
    }
}
