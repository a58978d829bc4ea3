//! No coupon is over its limit, and its use count is its live redemptions.

use std::collections::BTreeMap;

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut live: BTreeMap<u64, u32> = BTreeMap::new();
    for redemption in evidence.final_state.redemptions.iter().filter(|r| !r.rolled_back) {
        *live.entry(redemption.coupon).or_default() += 1;
    }
    let mut problems = Vec::new();
    for coupon in evidence.final_state.coupons.values() {
        let counted = live.get(&coupon.id).copied().unwrap_or(0);
        if coupon.times_redeemed > coupon.usage_limit || counted > coupon.usage_limit {
            problems.push(format!(
                "coupon {} is over its limit {}: times_redeemed {}, live redemptions {counted}",
                coupon.id, coupon.usage_limit, coupon.times_redeemed
            ));
        }
        if counted != coupon.times_redeemed {
            problems.push(format!(
                "coupon {} counts {} uses but has {counted} live redemptions",
                coupon.id, coupon.times_redeemed
            ));
        }
    }
    problems
}
