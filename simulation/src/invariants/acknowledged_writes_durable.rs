//! No acknowledged write is lost: every redemption, rollback and coupon creation a client saw
//! acknowledged is in the final state, as acknowledged.

use std::collections::{BTreeMap, BTreeSet};

use super::Evidence;
use crate::final_state::FinalRedemption;
use crate::workload::{Call, Outcome};

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let redemptions: BTreeMap<u64, &FinalRedemption> =
        evidence.final_state.redemptions.iter().map(|r| (r.id, r)).collect();
    let rollbacks_asked: BTreeSet<u64> = evidence
        .ops
        .iter()
        .filter_map(|op| match op.call {
            Call::RollBack { redemption, .. } => Some(redemption),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    for op in evidence.ops {
        match (&op.call, op.outcome.as_ref()) {
            (Call::Redeem { coupon, user, .. }, Some(Outcome::Redeemed { redemption, .. })) => {
                match redemptions.get(redemption) {
                    None => problems.push(format!(
                        "acknowledged redemption {redemption} (coupon {coupon}, user {user}, \
                         answered at {:?} ns) is missing",
                        op.returned_ns
                    )),
                    Some(found) if found.coupon != *coupon || found.user != *user => {
                        problems.push(format!(
                            "redemption {redemption} was acknowledged for coupon {coupon} user \
                             {user} but is {found:?}"
                        ));
                    }
                    Some(found) if found.rolled_back && !rollbacks_asked.contains(redemption) => {
                        problems.push(format!("redemption {redemption} is rolled back unasked"));
                    }
                    Some(_) => {}
                }
            }
            (Call::RollBack { redemption, .. }, Some(Outcome::RolledBack))
                if !redemptions.get(redemption).is_some_and(|found| found.rolled_back) =>
            {
                problems.push(format!("acknowledged rollback of redemption {redemption} is lost"));
            }
            (Call::Create { marker, usage_limit, .. }, Some(Outcome::Created { coupon })) => {
                let found = evidence.final_state.coupons.get(coupon);
                let intact = found.is_some_and(|found| {
                    found.marker.as_deref() == Some(marker) && found.usage_limit == *usage_limit
                });
                if !intact {
                    problems.push(format!("acknowledged coupon {coupon} ({marker}) is {found:?}"));
                }
            }
            _ => {}
        }
    }
    problems
}
