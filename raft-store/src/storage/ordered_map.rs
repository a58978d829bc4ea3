//! An ordered map of keys to values in memory, read and written as a `Backend`'s tree is: the one
//! shape both `MemDisk`'s images and `VolatileState`'s state are kept in.

use std::collections::BTreeMap;

use super::backend::{is_empty_range, KeyRange, KeyValue, ScanOrder, WriteOp};

pub type OrderedMap = BTreeMap<Vec<u8>, Vec<u8>>;

/// Applies `ops` to `map` in order.
pub fn apply(map: &mut OrderedMap, ops: impl IntoIterator<Item = WriteOp>) {
    for op in ops {
        match op {
            WriteOp::Put { key, value } => {
                map.insert(key, value);
            }
            WriteOp::Delete { key } => {
                map.remove(&key);
            }
            WriteOp::DeleteRange { from, to } if from < to => {
                let mut doomed = map.split_off(&from);
                let mut kept_above = doomed.split_off(&to);
                map.append(&mut kept_above);
            }
            WriteOp::DeleteRange { .. } => {}
        }
    }
}

/// At most `limit` entries of `range`, in `order`.
pub fn scan(
    map: &OrderedMap,
    range: KeyRange<'_>,
    order: ScanOrder,
    limit: usize,
) -> Vec<KeyValue> {
    if is_empty_range(&range) {
        return Vec::new();
    }
    let in_range = map.range::<[u8], _>(range);
    let pair = |(key, value): (&Vec<u8>, &Vec<u8>)| (key.clone(), value.clone());
    match order {
        ScanOrder::Ascending => in_range.take(limit).map(pair).collect(),
        ScanOrder::Descending => in_range.rev().take(limit).map(pair).collect(),
    }
}
