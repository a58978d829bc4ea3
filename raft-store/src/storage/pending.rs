//! `PendingWrites`: writes not yet committed, layered over a tree, so that a batch of commands
//! reads its own earlier writes and is then committed as one atomic write.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::backend::{
    is_empty_range, BackendError, KeyRange, KeyValue, ReadTree, ScanOrder, Tree, WriteOp,
};

pub struct PendingWrites<'a> {
    base: &'a dyn ReadTree,
    /// `None` marks a deletion.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> PendingWrites<'a> {
    pub fn new(base: &'a dyn ReadTree) -> Self {
        Self { base, writes: BTreeMap::new() }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    pub fn push(&mut self, op: WriteOp) {
        match op {
            WriteOp::Put { key, value } => self.put(key, value),
            WriteOp::Delete { key } => self.delete(key),
            WriteOp::DeleteRange { .. } => {
                unreachable!("pending writes take single-key operations only")
            }
        }
    }

    /// The writes, ready for `Backend::commit`.
    pub fn into_ops(self) -> Vec<WriteOp> {
        let op = |(key, value): (Vec<u8>, Option<Vec<u8>>)| match value {
            Some(value) => WriteOp::Put { key, value },
            None => WriteOp::Delete { key },
        };
        self.writes.into_iter().map(op).collect()
    }
}

impl ReadTree for PendingWrites<'_> {
    fn tree(&self) -> Tree {
        self.base.tree()
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.base.get(key),
        }
    }

    /// Merges the base's entries with the pending ones, in order, reading only as far as the
    /// page needs: the base in pages of what is still missing (a pending deletion hides one base
    /// entry, so a page may take another round), the pending writes one at a time. A scan of a
    /// few keys costs a few keys however many writes are pending in its range: a batch of a
    /// thousand commands that scans an index after each of them must not re-read every write the
    /// batch made there.
    fn scan(
        &self,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        if is_empty_range(&range) {
            return Ok(Vec::new());
        }
        let in_range = self.writes.range::<[u8], _>(range);
        let pending: Box<dyn Iterator<Item = PendingEntry<'_>>> = match order {
            ScanOrder::Ascending => Box::new(in_range),
            ScanOrder::Descending => Box::new(in_range.rev()),
        };
        let mut pending = pending.peekable();
        let mut merged = Vec::new();
        let mut last_base: Option<Vec<u8>> = None;
        while merged.len() < limit {
            let want = limit - merged.len();
            let base_range = match (&last_base, order) {
                (None, _) => range,
                (Some(last), ScanOrder::Ascending) => (Bound::Excluded(last.as_slice()), range.1),
                (Some(last), ScanOrder::Descending) => (range.0, Bound::Excluded(last.as_slice())),
            };
            let base = self.base.scan(base_range, order, want)?;
            let exhausted = base.len() < want;
            for (key, value) in base {
                take_pending(&mut pending, &mut merged, limit, |pending| match order {
                    ScanOrder::Ascending => pending < key.as_slice(),
                    ScanOrder::Descending => pending > key.as_slice(),
                });
                if merged.len() >= limit {
                    break;
                }
                match pending.next_if(|(pending, _)| pending.as_slice() == key.as_slice()) {
                    Some((_, Some(newer))) => merged.push((key.clone(), newer.clone())),
                    Some((_, None)) => {}
                    None => merged.push((key.clone(), value)),
                }
                last_base = Some(key);
            }
            if exhausted {
                take_pending(&mut pending, &mut merged, limit, |_| true);
                break;
            }
        }
        merged.truncate(limit);
        Ok(merged)
    }
}

type PendingEntry<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

/// Moves the pending puts that `comes_first` admits (in scan order) into `merged`, until it
/// holds `limit`; their deletions are dropped (nothing of the base is under them here).
fn take_pending<'a>(
    pending: &mut std::iter::Peekable<Box<dyn Iterator<Item = PendingEntry<'a>> + 'a>>,
    merged: &mut Vec<KeyValue>,
    limit: usize,
    comes_first: impl Fn(&[u8]) -> bool,
) {
    while merged.len() < limit {
        let Some((key, value)) = pending.next_if(|(key, _)| comes_first(key)) else { return };
        if let Some(value) = value {
            merged.push((key.clone(), value.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use super::*;
    use crate::storage::{Backend, MemDisk, TreeReader};

    #[test]
    fn pending_writes_shadow_the_base_in_gets_and_scans() {
        let disk = MemDisk::new();
        let base: Vec<WriteOp> =
            (1u8..=5).map(|k| WriteOp::Put { key: vec![k], value: vec![k] }).collect();
        disk.commit(Tree::StateMachine, base).unwrap();
        let reader = TreeReader { backend: &disk, tree: Tree::StateMachine };
        let mut pending = PendingWrites::new(&reader);
        pending.delete(vec![1]);
        pending.delete(vec![2]);
        pending.put(vec![3], vec![33]);
        pending.put(vec![9], vec![9]);

        assert_eq!(pending.get(&[1]).unwrap(), None);
        assert_eq!(pending.get(&[3]).unwrap(), Some(vec![33]));
        assert_eq!(pending.get(&[4]).unwrap(), Some(vec![4]));

        let all = (Bound::Unbounded, Bound::Unbounded);
        let first_two = pending.scan(all, ScanOrder::Ascending, 2).unwrap();
        assert_eq!(first_two, vec![(vec![3], vec![33]), (vec![4], vec![4])]);
        let last = pending.scan(all, ScanOrder::Descending, 1).unwrap();
        assert_eq!(last, vec![(vec![9], vec![9])]);

        let ops = pending.into_ops();
        assert_eq!(ops.len(), 4);
        disk.commit(Tree::StateMachine, ops).unwrap();
        assert_eq!(disk.get(Tree::StateMachine, &[1]).unwrap(), None);
        assert_eq!(disk.get(Tree::StateMachine, &[9]).unwrap(), Some(vec![9]));
    }

    /// Every scan (each range, order and limit) answers what the committed writes would: the
    /// lazy merge against the whole base and the whole batch of writes, merged by a map.
    #[test]
    fn a_scan_answers_as_the_writes_committed_would() {
        let mut seed = 7u64;
        let mut next = move |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        for _ in 0..40 {
            let disk = MemDisk::new();
            let base: Vec<WriteOp> = (0..next(40))
                .map(|_| WriteOp::Put { key: vec![next(64) as u8], value: vec![1] })
                .collect();
            disk.commit(Tree::StateMachine, base).unwrap();
            let reader = TreeReader { backend: &disk, tree: Tree::StateMachine };
            let mut pending = PendingWrites::new(&reader);
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = disk
                .scan(
                    Tree::StateMachine,
                    (Bound::Unbounded, Bound::Unbounded),
                    ScanOrder::Ascending,
                    usize::MAX,
                )
                .unwrap()
                .into_iter()
                .collect();
            for _ in 0..next(60) {
                let key = vec![next(64) as u8];
                if next(2) == 0 {
                    pending.delete(key.clone());
                    model.remove(&key);
                } else {
                    pending.put(key.clone(), vec![2]);
                    model.insert(key, vec![2]);
                }
            }
            for _ in 0..20 {
                let (low, high) = (vec![next(64) as u8], vec![next(64) as u8]);
                if low > high {
                    continue;
                }
                let range = (Bound::Included(low.as_slice()), Bound::Excluded(high.as_slice()));
                let limit = next(12) as usize;
                let in_range = model.range::<[u8], _>(range).map(|(k, v)| (k.clone(), v.clone()));
                let ascending: Vec<_> = in_range.clone().take(limit).collect();
                let descending: Vec<_> = in_range.rev().take(limit).collect();
                assert_eq!(pending.scan(range, ScanOrder::Ascending, limit).unwrap(), ascending);
                assert_eq!(pending.scan(range, ScanOrder::Descending, limit).unwrap(), descending);
            }
        }
    }
}
