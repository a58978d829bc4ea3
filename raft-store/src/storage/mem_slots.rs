//! `MemSlots`: snapshot data in memory that behaves like files under power loss: `crash` keeps
//! each slot as it was at its last sync, and drops slots never synced. `MemDisk` holds one.

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
    /// Power loss: every slot back to its last sync.
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
        let data = images.visible.entry(slot).or_default();
        let length = data.len() as u64;
        if offset > length {
            return Err(BackendError::SlotGap { slot, offset, length });
        }
        data.truncate(offset as usize);
        data.extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&self, slot: u64) -> Result<(), BackendError> {
        let mut images = self.lock();
        let data = images.visible.entry(slot).or_default().clone();
        images.durable.insert(slot, data);
        Ok(())
    }

    fn remove(&self, slot: u64) -> Result<(), BackendError> {
        let mut images = self.lock();
        images.visible.remove(&slot);
        images.durable.remove(&slot);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_keeps_each_slot_as_last_synced() {
        let slots = MemSlots::default();
        slots.write_at(1, 0, b"synced").unwrap();
        slots.sync(1).unwrap();
        slots.write_at(1, 6, b" and not").unwrap();
        slots.write_at(2, 0, b"never synced").unwrap();
        assert_eq!(slots.read_at(1, 0, 100).unwrap(), b"synced and not");
        assert_eq!(slots.read_at(1, 7, 3).unwrap(), b"and");
        assert!(slots.write_at(2, 20, b"gap").is_err());
        slots.crash();
        assert_eq!(slots.list().unwrap(), vec![1]);
        assert_eq!(slots.read_at(1, 0, 100).unwrap(), b"synced");
        assert_eq!(slots.read_at(2, 0, 100).unwrap(), b"");
    }
}
