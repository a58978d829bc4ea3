//! `PendingWrites`: writes not yet committed, layered over a tree, so that a batch of commands
//! reads its own earlier writes and is then committed as one atomic write.

use std::collections::BTreeMap;

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

    /// Merges the base's entries with the pending ones. Each pending key can hide at most one
    /// base entry, so asking the base for `limit` more than there are pending keys in the range
    /// is enough to fill the page.
    fn scan(
        &self,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        if is_empty_range(&range) {
            return Ok(Vec::new());
        }
        let pending: Vec<_> = self.writes.range::<[u8], _>(range).collect();
        if pending.is_empty() {
            return self.base.scan(range, order, limit);
        }
        let base_limit = limit.saturating_add(pending.len());
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan(range, order, base_limit)?.into_iter().collect();
        for (key, value) in pending {
            match value {
                Some(value) => merged.insert(key.clone(), value.clone()),
                None => merged.remove(key),
            };
        }
        Ok(match order {
            ScanOrder::Ascending => merged.into_iter().take(limit).collect(),
            ScanOrder::Descending => merged.into_iter().rev().take(limit).collect(),
        })
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
}
