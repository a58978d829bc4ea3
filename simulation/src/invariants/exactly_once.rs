//! No idempotency key is applied twice: one logical write has at most one effect, and sending it
//! again with its key is answered with its first answer.
//!
//! Every logical redeem has its own user (or a shared user and an order of its own) and every
//! logical create its own marker, so two redemptions of one (user, order), or two coupons with
//! one marker, are a write applied twice. A replay
//! of an acknowledged redeem must come back as that redemption, flagged replayed. A definite
//! answer that only a second application can produce (`order_already_redeemed` for an order
//! used once, `already_rolled_back` for a rollback asked once, `code_already_exists` for a code
//! used once) is one too. Two sends of one key at the same moment (`Duplicate`) must both get
//! the outcome of the one applied first.

use std::collections::BTreeMap;

use super::Evidence;
use crate::workload::spec::is_shared_user;
use crate::workload::{Call, Outcome};

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    for ((user, order), found) in evidence.redemptions_by_request() {
        if found.len() > 1 {
            let ids: Vec<u64> = found.iter().map(|r| r.id).collect();
            problems.push(format!(
                "the single redeem of user {user} (order {order:?}) was applied {} times: {ids:?}",
                found.len()
            ));
        }
    }
    let mut markers: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for coupon in evidence.final_state.coupons.values() {
        if let Some(marker) = &coupon.marker {
            markers.entry(marker).or_default().push(coupon.id);
        }
    }
    for (marker, coupons) in markers.into_iter().filter(|(_, coupons)| coupons.len() > 1) {
        problems.push(format!("create {marker} was applied {} times: {coupons:?}", coupons.len()));
    }
    for op in evidence.ops {
        if let Some(problem) = answer_problem(&op.call, op.outcome.as_ref()) {
            problems.push(problem);
        }
    }
    problems.extend(twin_problems(evidence));
    problems
}

/// A duplicate's definite answer must be its twin's, and the final state's.
fn twin_problems(evidence: &Evidence<'_>) -> Vec<String> {
    let by_request = evidence.redemptions_by_request();
    let mut problems = Vec::new();
    for op in evidence.ops {
        let (Call::Duplicate { user, key, .. }, Some(outcome)) = (&op.call, op.outcome.as_ref())
        else {
            continue;
        };
        let twin = evidence.ops.iter().find(|other| {
            matches!(&other.call, Call::Redeem { key: Some(other_key), .. } if other_key == key)
        });
        let twin_outcome = twin.and_then(|twin| twin.outcome.as_ref());
        let order = match twin.map(|twin| &twin.call) {
            Some(Call::Redeem { order, .. }) => order.as_deref(),
            _ => None,
        };
        let applied: Vec<u64> = by_request
            .get(&(user.as_str(), order))
            .map_or_else(Vec::new, |found| found.iter().map(|r| r.id).collect());
        let consistent = match (outcome, twin_outcome) {
            (Outcome::Unknown { .. }, _) => true,
            (
                Outcome::Redeemed { redemption, .. },
                Some(Outcome::Redeemed { redemption: first, .. }),
            ) => redemption == first && applied == [*redemption],
            (Outcome::Redeemed { redemption, .. }, Some(Outcome::Unknown { .. })) => {
                applied == [*redemption]
            }
            (Outcome::Rejected { code, .. }, Some(Outcome::Rejected { code: first, .. })) => {
                code == first && applied.is_empty()
            }
            (Outcome::Rejected { .. }, Some(Outcome::Unknown { .. })) => applied.is_empty(),
            _ => false,
        };
        if !consistent {
            problems.push(format!(
                "key {key} sent twice at once: answers {outcome:?} and {twin_outcome:?}, \
                 redemptions of user {user}: {applied:?}"
            ));
        }
    }
    problems
}

/// What is wrong with one answer, if anything.
fn answer_problem(call: &Call, outcome: Option<&Outcome>) -> Option<String> {
    let Some(outcome) = outcome else { return Some(format!("{call:?} never returned")) };
    match (call, outcome) {
        (Call::Replay { first_redemption, .. }, Outcome::Redeemed { redemption, replayed, .. })
            if redemption == first_redemption && *replayed =>
        {
            None
        }
        (Call::Replay { .. }, Outcome::Unknown { .. }) => None,
        (Call::Replay { key, first_redemption, .. }, other) => Some(format!(
            "replay of key {key} (first answered with redemption {first_redemption}) got {other:?}"
        )),
        // A rate limit refuses before proposing: nothing happened, nothing is wrong.
        (_, Outcome::Rejected { code, .. }) if code == "rate_limited" => None,
        // Losing the race for the last use (of the coupon, or of its campaign's budget) is the
        // one refusal a redeem may get; a redeem of a shared user may also find that user's uses
        // taken.
        (Call::Redeem { .. } | Call::Duplicate { .. }, Outcome::Rejected { code, .. })
            if code == "usage_limit_reached" || code == "campaign_budget_reached" =>
        {
            None
        }
        (
            Call::Redeem { user, .. } | Call::Duplicate { user, .. },
            Outcome::Rejected { code, .. },
        ) if code == "per_user_limit_reached" && is_shared_user(user) => None,
        (
            Call::Redeem { .. }
            | Call::Duplicate { .. }
            | Call::RollBack { .. }
            | Call::Create { .. },
            Outcome::Rejected { code, .. },
        ) => Some(format!("{call:?} got {code}: impossible for a write applied once")),
        _ => None,
    }
}
