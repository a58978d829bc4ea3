//! No user holds more live redemptions of a coupon than its per-user limit, however many of that
//! user's redeems raced, retried or were replayed through other nodes.

use std::collections::BTreeMap;

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut live: BTreeMap<(u64, &str), u32> = BTreeMap::new();
    for redemption in evidence.final_state.redemptions.iter().filter(|r| !r.rolled_back) {
        *live.entry((redemption.coupon, redemption.user.as_str())).or_default() += 1;
    }
    let mut problems = Vec::new();
    for ((coupon_id, user), count) in live {
        let coupon = evidence.final_state.coupons.get(&coupon_id);
        let Some(limit) = coupon.and_then(|coupon| coupon.per_user_limit) else { continue };
        if count > limit {
            problems.push(format!(
                "user {user} holds {count} live redemptions of coupon {coupon_id}, whose per-user \
                 limit is {limit}"
            ));
        }
    }
    problems
}
