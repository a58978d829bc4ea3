//! A (coupon, order) pair is redeemed at most once: no two live redemptions share one.

use std::collections::BTreeMap;

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut live: BTreeMap<(u64, &str), Vec<u64>> = BTreeMap::new();
    for redemption in evidence.final_state.redemptions.iter().filter(|r| !r.rolled_back) {
        if let Some(order) = &redemption.order {
            live.entry((redemption.coupon, order)).or_default().push(redemption.id);
        }
    }
    live.into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((coupon, order), ids)| {
            format!("coupon {coupon} order {order} has {} live redemptions: {ids:?}", ids.len())
        })
        .collect()
}
