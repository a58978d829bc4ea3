//! `VolatileState`: the coupon state in memory, over a backend that keeps what must outlast a
//! power cut.
//!
//! A node's state machine is a function of two things that are synced to its device: the Raft log
//! (at every append, before it is acknowledged) and the stored snapshot (before the log behind it
//! is purged). So the state itself need not be on the device at all. It is an ordered map in
//! memory; a start rebuilds it from the stored snapshot (`recovery::recover`), and openraft
//! replays the committed log after it. Apply then writes nothing to a disk: sled's descent of its
//! tree, its copy of a leaf per written key and the IO pool that writes its buffers were more than
//! half of a node's CPU per redeem, measured with profiles under load (`scripts/BENCHMARKS.md`).
//!
//! Keys of the `StateMachine` tree whose first byte is below `stored_from` live in memory. The
//! others (the stored snapshot's manifest), the whole `Log` tree and snapshot data pass through
//! to the backend below. What it costs: the whole state is held in memory, and a start takes as long as the
//! install of the stored snapshot and the replay of the log after it.

use std::ops::Bound;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::backend::{
    is_empty_range, Backend, BackendError, KeyRange, KeyValue, ScanOrder, SlotStore, Tree, WriteOp,
};
use super::ordered_map::{self, OrderedMap};

pub struct VolatileState {
    stored: Arc<dyn Backend>,
    /// The first byte of the state tree's keys that are stored below, not held here.
    stored_from: u8,
    state: RwLock<OrderedMap>,
}

impl VolatileState {
    /// An empty state over `stored`. State keys that `stored` still holds (a data directory of
    /// the layout that kept the state in sled) are removed from it: they are rebuilt from the
    /// snapshot and the log like any other start's.
    pub fn over(stored: Arc<dyn Backend>, stored_from: u8) -> Result<Self, BackendError> {
        let earlier = WriteOp::DeleteRange { from: Vec::new(), to: vec![stored_from] };
        stored.commit(Tree::StateMachine, vec![earlier])?;
        Ok(Self { stored, stored_from, state: RwLock::default() })
    }

    fn is_held(&self, tree: Tree, key: &[u8]) -> bool {
        tree == Tree::StateMachine && key.first().is_none_or(|first| *first < self.stored_from)
    }

    /// Whether `range` may hold a key of the memory's (below `stored_from`).
    fn reaches_held(&self, range: &KeyRange<'_>) -> bool {
        let boundary = [self.stored_from];
        match range.0 {
            Bound::Included(start) | Bound::Excluded(start) => start < &boundary[..],
            Bound::Unbounded => true,
        }
    }

    /// Whether `range` may hold a key of the backend's (from `stored_from` on).
    fn reaches_stored(&self, range: &KeyRange<'_>) -> bool {
        let boundary = [self.stored_from];
        match range.1 {
            Bound::Included(end) => end >= &boundary[..],
            Bound::Excluded(end) => end > &boundary[..],
            Bound::Unbounded => true,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, OrderedMap> {
        // A panic while holding the lock leaves the map as consistent as any other instant: each
        // commit's operations are applied under one hold of it.
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, OrderedMap> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn scan_held(&self, range: KeyRange<'_>, order: ScanOrder, limit: usize) -> Vec<KeyValue> {
        ordered_map::scan(&self.read(), range, order, limit)
    }
}

impl Backend for VolatileState {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        if self.is_held(tree, key) {
            return Ok(self.read().get(key).cloned());
        }
        self.stored.get(tree, key)
    }

    fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        if tree == Tree::Log {
            return self.stored.scan(tree, range, order, limit);
        }
        if is_empty_range(&range) {
            return Ok(Vec::new());
        }
        // Every held key sorts before every stored one, so the two parts follow each other.
        let (held, stored) = (self.reaches_held(&range), self.reaches_stored(&range));
        let held_part = |limit| if held { self.scan_held(range, order, limit) } else { Vec::new() };
        let stored_part = |limit| match stored {
            true => self.stored.scan(tree, range, order, limit),
            false => Ok(Vec::new()),
        };
        let mut found = match order {
            ScanOrder::Ascending => held_part(limit),
            ScanOrder::Descending => stored_part(limit)?,
        };
        let rest = limit - found.len();
        if rest > 0 {
            found.extend(match order {
                ScanOrder::Ascending => stored_part(rest)?,
                ScanOrder::Descending => held_part(rest),
            });
        }
        Ok(found)
    }

    /// The held part is applied under one hold of the lock, so a reader sees all of it or none;
    /// the stored part is committed first, as one write of the backend's.
    fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        if tree == Tree::Log {
            return self.stored.commit(tree, ops);
        }
        let (held, stored): (Vec<WriteOp>, Vec<WriteOp>) =
            ops.into_iter().partition(|op| match op {
                WriteOp::Put { key, .. } | WriteOp::Delete { key } => self.is_held(tree, key),
                WriteOp::DeleteRange { to, .. } => self.is_held(tree, to),
            });
        let spanning: Vec<WriteOp> = stored
            .iter()
            .filter_map(|op| match op {
                WriteOp::DeleteRange { from, .. } if self.is_held(tree, from) => Some(op.clone()),
                _ => None,
            })
            .collect();
        if !stored.is_empty() {
            self.stored.commit(tree, stored)?;
        }
        ordered_map::apply(&mut self.write(), held.into_iter().chain(spanning));
        Ok(())
    }

    /// The held state needs no sync: the stored snapshot and the log stand for it.
    fn flush(&self, tree: Tree) -> Result<(), BackendError> {
        self.stored.flush(tree)
    }

    fn slots(&self) -> &dyn SlotStore {
        self.stored.slots()
    }
}

#[cfg(test)]
mod tests {
    use super::super::MemDisk;
    use super::*;

    const STORED_FROM: u8 = 0x40;

    fn put(key: &[u8], value: &[u8]) -> WriteOp {
        WriteOp::Put { key: key.to_vec(), value: value.to_vec() }
    }

    fn keys(found: Vec<KeyValue>) -> Vec<Vec<u8>> {
        found.into_iter().map(|(key, _)| key).collect()
    }

    #[test]
    fn state_keys_stay_in_memory_and_the_rest_reaches_the_backend() {
        let disk = Arc::new(MemDisk::new());
        let state = VolatileState::over(disk.clone(), STORED_FROM).unwrap();
        state
            .commit(Tree::StateMachine, vec![put(&[0x02, 1], b"coupon"), put(&[0x40], b"snap")])
            .unwrap();
        state.commit(Tree::Log, vec![put(&[0x02, 1], b"entry")]).unwrap();

        assert_eq!(state.get(Tree::StateMachine, &[0x02, 1]).unwrap(), Some(b"coupon".to_vec()));
        assert_eq!(disk.get(Tree::StateMachine, &[0x02, 1]).unwrap(), None, "held in memory only");
        assert_eq!(disk.get(Tree::StateMachine, &[0x40]).unwrap(), Some(b"snap".to_vec()));
        assert_eq!(state.get(Tree::Log, &[0x02, 1]).unwrap(), Some(b"entry".to_vec()));
    }

    #[test]
    fn a_scan_over_both_parts_keeps_key_order_and_its_limit() {
        let disk = Arc::new(MemDisk::new());
        let state = VolatileState::over(disk, STORED_FROM).unwrap();
        let all = [&[0x01][..], &[0x3F, 9], &[0x40], &[0x41, 2]];
        state.commit(Tree::StateMachine, all.iter().map(|key| put(key, b"")).collect()).unwrap();
        let scan = |range: KeyRange<'_>, order, limit| {
            keys(state.scan(Tree::StateMachine, range, order, limit).unwrap())
        };
        let everything = (Bound::Unbounded, Bound::Unbounded);
        assert_eq!(scan(everything, ScanOrder::Ascending, 10), all.map(<[u8]>::to_vec));
        assert_eq!(
            scan(everything, ScanOrder::Ascending, 3),
            all[..3].iter().map(|k| k.to_vec()).collect::<Vec<_>>()
        );
        assert_eq!(
            scan(everything, ScanOrder::Descending, 3),
            vec![vec![0x41, 2], vec![0x40], vec![0x3F, 9]]
        );
        let held_only = (Bound::Included(&[0x3F][..]), Bound::Excluded(&[0x40][..]));
        assert_eq!(scan(held_only, ScanOrder::Ascending, 10), vec![vec![0x3F, 9]]);
        let stored_only = (Bound::Included(&[0x40][..]), Bound::Unbounded);
        assert_eq!(scan(stored_only, ScanOrder::Descending, 10), vec![vec![0x41, 2], vec![0x40]]);
    }

    #[test]
    fn a_range_deletion_reaches_both_parts() {
        let disk = Arc::new(MemDisk::new());
        let state = VolatileState::over(disk.clone(), STORED_FROM).unwrap();
        let all = [&[0x01][..], &[0x3F, 9], &[0x40], &[0x41, 2]];
        state.commit(Tree::StateMachine, all.iter().map(|key| put(key, b"")).collect()).unwrap();
        let across = WriteOp::DeleteRange { from: vec![0x3F], to: vec![0x41] };
        state.commit(Tree::StateMachine, vec![across]).unwrap();
        let everything = (Bound::Unbounded, Bound::Unbounded);
        let left = state.scan(Tree::StateMachine, everything, ScanOrder::Ascending, 10).unwrap();
        assert_eq!(keys(left), vec![vec![0x01], vec![0x41, 2]]);
    }

    #[test]
    fn state_keys_an_earlier_layout_stored_are_dropped_and_the_snapshot_kept() {
        let disk = Arc::new(MemDisk::new());
        disk.commit(Tree::StateMachine, vec![put(&[0x02, 1], b"old"), put(&[0x40], b"snap")])
            .unwrap();
        let state = VolatileState::over(disk.clone(), STORED_FROM).unwrap();
        assert_eq!(disk.get(Tree::StateMachine, &[0x02, 1]).unwrap(), None);
        assert_eq!(state.get(Tree::StateMachine, &[0x02, 1]).unwrap(), None);
        assert_eq!(state.get(Tree::StateMachine, &[0x40]).unwrap(), Some(b"snap".to_vec()));
    }
}
