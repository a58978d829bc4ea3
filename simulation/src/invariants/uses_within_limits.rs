//! No coupon's uses, confirmed and held, pass its usage limit, and no campaign's uses pass its
//! budget, at any applied index on any replica.
//!
//! Every node's state is checked each time its state machine commits (`harness::use_probe`:
//! a campaign as its codes count it, against its budget), and apply asserts each coupon's and
//! campaign's limit on every value it writes, in release builds, so a node that would break
//! one stops instead (and the run fails on its panic). At the end the leader's counts are held
//! to the records: a coupon's `held` is its live holds, a campaign's counts its codes' sums.

use std::collections::BTreeMap;

use super::Evidence;
use crate::final_state::FinalHoldState;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let (observed, state) = (evidence.observations, evidence.final_state);
    let mut problems = observed.use_violations.clone();
    if !state.campaigns.is_empty() && observed.use_checks == 0 {
        problems.push("a campaign exists but no node's state was ever checked".to_owned());
    }
    let mut live_holds: BTreeMap<u64, u32> = BTreeMap::new();
    for hold in state.holds.iter().filter(|hold| hold.state == FinalHoldState::Held) {
        *live_holds.entry(hold.coupon).or_default() += 1;
    }
    let mut by_campaign: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for coupon in state.coupons.values() {
        let uses = u64::from(coupon.times_redeemed) + u64::from(coupon.held);
        if uses > u64::from(coupon.usage_limit) {
            problems.push(format!(
                "coupon {} has {} redeemed and {} held of a limit of {}",
                coupon.id, coupon.times_redeemed, coupon.held, coupon.usage_limit
            ));
        }
        let held = live_holds.get(&coupon.id).copied().unwrap_or(0);
        if held != coupon.held {
            problems.push(format!(
                "coupon {} counts {} held but has {held} live holds",
                coupon.id, coupon.held
            ));
        }
        if let Some(campaign) = coupon.campaign {
            let sums = by_campaign.entry(campaign).or_default();
            sums.0 += u64::from(coupon.times_redeemed);
            sums.1 += u64::from(coupon.held);
        }
    }
    for campaign in &state.campaigns {
        let (redeemed, held) = by_campaign.get(&campaign.id).copied().unwrap_or((0, 0));
        if (redeemed, held) != (campaign.times_redeemed, campaign.held) {
            problems.push(format!(
                "campaign {} counts {} redeemed and {} held, its codes {redeemed} and {held}",
                campaign.id, campaign.times_redeemed, campaign.held
            ));
        }
        if campaign.budget.is_some_and(|budget| redeemed + held > u64::from(budget)) {
            problems.push(format!(
                "campaign {} is over its budget {:?}: {redeemed} redeemed and {held} held",
                campaign.id, campaign.budget
            ));
        }
    }
    problems
}
