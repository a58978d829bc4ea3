//! `MemSlots`: snapshot data in memory that behaves like files in a directory under power loss.
//! A slot's bytes are durable once it is synced; the directory (which slots exist, removals
//! included) is durable once any slot is synced, as an `fsync` of the directory makes it. A slot
//! named by then but never synced comes back empty. `MemDisk` holds one.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::backend::{BackendError, SlotStore};

#[derive(Default)]
struct Images {
    visible: BTreeMap<u64, Vec<u8>>,
    durable: BTreeMap<u64, Vec<u8>>,
}

#[derive(Default)]
pub struct MemSlots {
    images: Mutex<Images>,
}

impl MemSlots {
    /// Power loss: the slots as last synced.
    pub fn crash(&self) {
        let mut images = self.lock();
        images.visible = images.durable.clone();
    }

    fn lock(&self) -> MutexGuard<'_, Images> {
        // A panic while holding the lock leaves the images as consistent as any other instant.
        self.images.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SlotStore for MemSlots {
    fn list(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.lock().visible.keys().copied().collect())
    }

    fn read_at(&self, slot: u64, position: u64, max: usize) -> Result<Vec<u8>, BackendError> {
        let images = self.lock();
        let Some(bytes) = images.visible.get(&slot) else {
            return Ok(Vec::new());
        };
        let from = usize::try_from(position).unwrap_or(usize::MAX).min(bytes.len());
        Ok(bytes[from..bytes.len().min(from.saturating_add(max))].to_vec())
    }

    fn write_at(&self, slot: u64, offset: u64, bytes: &[u8]) -> Result<(), BackendError> {
        let mut images = self.lock();
        let length = images.visible.get(&slot).map_or(0, |data| data.len() as u64);
        if offset > length {
            return Err(BackendError::SlotGap { slot, offset, length });
        }
        let data = images.visible.entry(slot).or_default();
        data.truncate(offset as usize);
        data.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&self, slot: u64) -> Result<(), BackendError> {
        let mut images = self.lock();
        let Some(data) = images.visible.get(&slot).cloned() else {
            return Err(std::io::Error::from(std::io::ErrorKind::NotFound).into());
        };
        let Images { visible, durable } = &mut *images;
        durable.retain(|named, _| visible.contains_key(named));
        for named in visible.keys() {
            durable.entry(*named).or_default();
        }
        durable.insert(slot, data);
        Ok(())
    }

    fn remove(&self, slot: u64) -> Result<(), BackendError> {
        self.lock().visible.remove(&slot);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_keeps_each_slot_as_last_synced_and_the_directory_as_at_the_last_sync() {
        let slots = MemSlots::default();
        slots.write_at(1, 0, b"synced").unwrap();
        slots.write_at(2, 0, b"named at the sync, never synced").unwrap();
        slots.write_at(3, 0, b"removed before the sync").unwrap();
        slots.sync(3).unwrap();
        slots.remove(3).unwrap();
        slots.sync(1).unwrap();
        slots.write_at(1, 6, b" and not").unwrap();
        slots.write_at(4, 0, b"after every sync").unwrap();
        slots.remove(1).unwrap();
        slots.write_at(1, 0, b"again").unwrap();
        assert_eq!(slots.read_at(1, 0, 100).unwrap(), b"again");
        assert_eq!(slots.read_at(4, 6, 3).unwrap(), b"eve");
        assert!(slots.write_at(5, 1, b"gap").is_err());
        assert!(slots.sync(5).is_err(), "a refused write creates no slot");
        slots.crash();
        assert_eq!(slots.list().unwrap(), vec![1, 2]);
        assert_eq!(slots.read_at(1, 0, 100).unwrap(), b"synced");
        assert_eq!(slots.read_at(2, 0, 100).unwrap(), b"");
    }
}
