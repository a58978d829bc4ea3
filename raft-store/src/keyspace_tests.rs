use std::ops::Bound;

use super::*;
use crate::domain::fixtures::at;
use crate::storage::{Backend, MemDisk, TreeReader};

fn sm(disk: &MemDisk) -> TreeReader<'_> {
    TreeReader { backend: disk, tree: Tree::StateMachine }
}

#[test]
fn integer_keys_sort_numerically_and_timestamps_chronologically() {
    let disk = MemDisk::new();
    let ops: Vec<_> = [256u64, 1, 65_536, 2]
        .iter()
        .map(|i| put::<LogEntriesProbe>(&CouponId(*i), &()).unwrap())
        .collect();
    disk.commit(Tree::StateMachine, ops).unwrap();
    let keys: Vec<u64> = scan::<LogEntriesProbe>(
        &sm(&disk),
        Bound::Unbounded,
        Bound::Unbounded,
        ScanOrder::Ascending,
        10,
    )
    .unwrap()
    .into_iter()
    .map(|(id, ())| id.0)
    .collect();
    assert_eq!(keys, vec![1, 2, 256, 65_536]);

    let mut encoded: Vec<Vec<u8>> = [at(5), at(-5), at(0)]
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            t.encode(&mut out);
            out
        })
        .collect();
    encoded.sort();
    let decoded: Vec<_> = encoded.iter().map(|bytes| Timestamp::decode(bytes).unwrap()).collect();
    assert_eq!(decoded, vec![at(-5), at(0), at(5)]);
}

key_space!(/// A probe space for this test only.
    LogEntriesProbe in StateMachine at 0x3F: CouponId => ());

#[test]
fn composite_keys_round_trip_and_malformed_keys_are_refused() {
    let key = (CouponId(7), UserId::parse("user-1").unwrap());
    let mut bytes = Vec::new();
    key.encode(&mut bytes);
    assert_eq!(<(CouponId, UserId)>::decode(&bytes), Some(key));
    assert_eq!(<(CouponId, UserId)>::decode(&bytes[..5]), None);
    assert_eq!(u64::decode(&[1, 2, 3]), None);
}

#[test]
fn values_of_another_encoding_version_are_refused() {
    let disk = MemDisk::new();
    disk.commit(
        Tree::StateMachine,
        vec![WriteOp::Put {
            key: vec![Coupons::PREFIX, 0, 0, 0, 0, 0, 0, 0, 1],
            value: vec![9, 0],
        }],
    )
    .unwrap();
    let error = get::<Coupons>(&sm(&disk), &CouponId(1)).unwrap_err();
    assert!(
        matches!(error, StoreError::EncodingVersion { found: 9, expected: ENCODING_VERSION, .. }),
        "{error}"
    );
}

#[test]
fn range_deletes_stay_inside_their_space_and_bounds() {
    let disk = MemDisk::new();
    let mut ops: Vec<_> = (1u64..=5)
        .map(|i| {
            put::<Coupons>(
                &CouponId(i),
                &crate::domain::fixtures::coupon(crate::domain::fixtures::terms()),
            )
            .unwrap()
        })
        .collect();
    ops.push(put::<Redemptions>(&RedemptionId(1), &redemption()).unwrap());
    disk.commit(Tree::StateMachine, ops).unwrap();
    disk.commit(
        Tree::StateMachine,
        vec![delete_through::<Coupons>(&CouponId(2)), delete_from::<Coupons>(Some(&CouponId(5)))],
    )
    .unwrap();
    let left: Vec<u64> =
        scan::<Coupons>(&sm(&disk), Bound::Unbounded, Bound::Unbounded, ScanOrder::Ascending, 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id.0)
            .collect();
    assert_eq!(left, vec![3, 4]);
    assert!(get::<Redemptions>(&sm(&disk), &RedemptionId(1)).unwrap().is_some());
}

#[test]
fn a_state_image_replaces_the_state_but_not_the_stored_snapshot() {
    let source = MemDisk::new();
    source
        .commit(
            Tree::StateMachine,
            vec![put::<Redemptions>(&RedemptionId(1), &redemption()).unwrap()],
        )
        .unwrap();
    let image = read_state_image(&sm(&source)).unwrap();

    let target = MemDisk::new();
    let chunk = put::<SnapshotChunks>(&0, &vec![1, 2, 3]).unwrap();
    target
        .commit(
            Tree::StateMachine,
            vec![put::<Redemptions>(&RedemptionId(2), &redemption()).unwrap(), chunk],
        )
        .unwrap();
    target.commit(Tree::StateMachine, replace_state_ops(image)).unwrap();
    assert!(get::<Redemptions>(&sm(&target), &RedemptionId(2)).unwrap().is_none());
    assert!(get::<Redemptions>(&sm(&target), &RedemptionId(1)).unwrap().is_some());
    assert_eq!(get::<SnapshotChunks>(&sm(&target), &0).unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(state_digest(&sm(&source)).unwrap(), {
        let copy = MemDisk::new();
        copy.commit(Tree::StateMachine, replace_state_ops(read_state_image(&sm(&target)).unwrap()))
            .unwrap();
        state_digest(&sm(&copy)).unwrap()
    });
}

fn redemption() -> Redemption {
    Redemption {
        id: RedemptionId(1),
        coupon_id: CouponId(1),
        user_id: UserId::parse("u").unwrap(),
        order_id: None,
        order_amount: None,
        currency: None,
        redeemed_at: at(1),
        discount_amount: None,
        rolled_back_at: None,
    }
}
