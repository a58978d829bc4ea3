//! `MemDisk`: an in-memory `Backend` that behaves like a disk under power loss.
//!
//! It keeps two images: what readers see (every commit) and what has been flushed. `crash` throws
//! away everything not flushed (and snapshot data not synced, `MemSlots`), as a killed machine
//! would. The simulation keeps one `MemDisk` per node across restarts and crashes it on every
//! kill; native tests use it as a fast backend.

use std::sync::{Mutex, MutexGuard};

use super::backend::{
    Backend, BackendError, KeyRange, KeyValue, ScanOrder, SlotStore, Tree, WriteOp,
};
use super::mem_slots::MemSlots;
use super::ordered_map::{self, OrderedMap};

/// One ordered map per `Tree`, indexed by `tree_index`.
type Image = [OrderedMap; 2];

fn tree_index(tree: Tree) -> usize {
    match tree {
        Tree::Log => 0,
        Tree::StateMachine => 1,
    }
}

#[derive(Default)]
struct Images {
    visible: Image,
    durable: Image,
    /// Commits since the last flush, in order, to replay onto `durable`.
    unflushed: Vec<(Tree, Vec<WriteOp>)>,
}

#[derive(Default)]
pub struct MemDisk {
    images: Mutex<Images>,
    slots: MemSlots,
}

impl MemDisk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Power loss: every write that was not flushed is gone.
    pub fn crash(&self) {
        let mut images = self.lock();
        images.visible = images.durable.clone();
        images.unflushed.clear();
        self.slots.crash();
    }

    /// Commits to `tree` not yet flushed; a test can assert that acknowledged writes left none.
    pub fn unflushed_commits(&self, tree: Tree) -> usize {
        self.lock().unflushed.iter().filter(|(of, _)| *of == tree).count()
    }

    fn lock(&self) -> MutexGuard<'_, Images> {
        // A panic while holding the lock leaves the images as consistent as any other instant.
        self.images.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn apply(image: &mut Image, tree: Tree, ops: &[WriteOp]) {
    ordered_map::apply(&mut image[tree_index(tree)], ops.iter().cloned());
}

impl Backend for MemDisk {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.lock().visible[tree_index(tree)].get(key).cloned())
    }

    fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        Ok(ordered_map::scan(&self.lock().visible[tree_index(tree)], range, order, limit))
    }

    fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        let mut images = self.lock();
        apply(&mut images.visible, tree, &ops);
        images.unflushed.push((tree, ops));
        Ok(())
    }

    fn flush(&self, tree: Tree) -> Result<(), BackendError> {
        let mut images = self.lock();
        let (flushed, kept) =
            std::mem::take(&mut images.unflushed).into_iter().partition(|(of, _)| *of == tree);
        images.unflushed = kept;
        for (_, ops) in &flushed {
            apply(&mut images.durable, tree, ops);
        }
        Ok(())
    }

    fn slots(&self) -> &dyn SlotStore {
        &self.slots
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use super::*;

    fn put(key: &[u8], value: &[u8]) -> WriteOp {
        WriteOp::Put { key: key.to_vec(), value: value.to_vec() }
    }

    #[test]
    fn a_crash_loses_exactly_the_unflushed_commits() {
        let disk = MemDisk::new();
        disk.commit(Tree::Log, vec![put(b"a", b"1")]).unwrap();
        disk.commit(Tree::StateMachine, vec![put(b"s", b"1")]).unwrap();
        disk.flush(Tree::Log).unwrap();
        disk.commit(Tree::Log, vec![put(b"b", b"2"), WriteOp::Delete { key: b"a".to_vec() }])
            .unwrap();
        assert_eq!(disk.get(Tree::Log, b"a").unwrap(), None);
        assert_eq!(disk.unflushed_commits(Tree::Log), 1);
        assert_eq!(disk.unflushed_commits(Tree::StateMachine), 1, "a flush syncs its tree only");

        disk.crash();
        assert_eq!(disk.get(Tree::Log, b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(disk.get(Tree::Log, b"b").unwrap(), None);
        assert_eq!(disk.get(Tree::StateMachine, b"s").unwrap(), None);
    }

    #[test]
    fn trees_are_separate_and_scans_respect_range_order_and_limit() {
        let disk = MemDisk::new();
        disk.commit(Tree::Log, vec![put(b"1", b""), put(b"2", b""), put(b"3", b"")]).unwrap();
        disk.commit(Tree::StateMachine, vec![put(b"2", b"sm")]).unwrap();
        let keys = |order, limit| -> Vec<Vec<u8>> {
            let range = (Bound::Excluded(&b"1"[..]), Bound::Unbounded);
            disk.scan(Tree::Log, range, order, limit).unwrap().into_iter().map(|(k, _)| k).collect()
        };
        assert_eq!(keys(ScanOrder::Ascending, 10), vec![b"2".to_vec(), b"3".to_vec()]);
        assert_eq!(keys(ScanOrder::Descending, 1), vec![b"3".to_vec()]);

        disk.commit(
            Tree::Log,
            vec![WriteOp::DeleteRange { from: b"2".to_vec(), to: b"9".to_vec() }],
        )
        .unwrap();
        assert_eq!(keys(ScanOrder::Ascending, 10), Vec::<Vec<u8>>::new());
        assert_eq!(disk.get(Tree::StateMachine, b"2").unwrap(), Some(b"sm".to_vec()));
    }
}
