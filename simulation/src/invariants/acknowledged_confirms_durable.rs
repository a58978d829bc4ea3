//! No acknowledged hold, confirm or release is lost: every hold a client saw placed is in the
//! final state on its coupon and user; every confirm it saw acknowledged left the hold confirmed
//! into that redemption, which is there and live (the workload never rolls it back); every
//! release it saw acknowledged left the hold ended (released, or expired if the release came
//! after its expiry).

use std::collections::BTreeMap;

use super::Evidence;
use crate::final_state::{FinalHold, FinalHoldState, FinalRedemption};
use crate::workload::{Call, Outcome};

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let holds: BTreeMap<u64, &FinalHold> =
        evidence.final_state.holds.iter().map(|hold| (hold.id, hold)).collect();
    let redemptions: BTreeMap<u64, &FinalRedemption> =
        evidence.final_state.redemptions.iter().map(|r| (r.id, r)).collect();
    let mut problems = Vec::new();
    for op in evidence.ops {
        let found = |hold: &u64| holds.get(hold).copied();
        match (&op.call, op.outcome.as_ref()) {
            (Call::PlaceHold { coupon, user, .. }, Some(Outcome::HoldPlaced { hold, .. })) => {
                let intact = found(hold).is_some_and(|h| h.coupon == *coupon && h.user == *user);
                if !intact {
                    problems.push(format!(
                        "acknowledged hold {hold} (coupon {coupon}, user {user}) is {:?}",
                        found(hold)
                    ));
                }
            }
            (Call::ConfirmHold { hold, .. }, Some(Outcome::Redeemed { redemption, .. })) => {
                let confirmed = found(hold).is_some_and(|h| {
                    matches!(h.state, FinalHoldState::Confirmed { redemption: r, .. } if r == *redemption)
                });
                let made = redemptions.get(redemption).filter(|r| !r.rolled_back);
                let of_hold = made.is_some_and(|r| found(hold).is_some_and(|h| h.user == r.user));
                if !confirmed || !of_hold {
                    problems.push(format!(
                        "the acknowledged confirm of hold {hold} into redemption {redemption} is \
                         lost: the hold is {:?}, the redemption {made:?}",
                        found(hold)
                    ));
                }
            }
            (Call::ReleaseHold { hold }, Some(Outcome::HoldEnded)) => {
                let ended = found(hold).is_some_and(|h| {
                    matches!(h.state, FinalHoldState::Released | FinalHoldState::Expired)
                });
                if !ended {
                    problems.push(format!(
                        "the acknowledged release of hold {hold} is lost: {:?}",
                        found(hold)
                    ));
                }
            }
            _ => {}
        }
    }
    problems
}
