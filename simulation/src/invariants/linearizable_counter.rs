//! Per coupon, the history of redeems, rollbacks and linearizable reads is linearizable against
//! "a counter with a limit" (`checker::CounterWithLimit`).
//!
//! Operations with an unknown outcome are never taken as failed. The final state says whether
//! they happened: an unanswered redeem whose (unique) user and order hold a redemption took a use
//! at some point between its invocation and the final read; one that holds none took nothing and
//! is left out, as are reads without an answer. A refusal for the per-user limit took nothing and
//! says nothing about the count (`per_user_limit` judges it). The final state itself enters as a last read.

use std::collections::BTreeMap;

use super::Evidence;
use crate::checker::{self, CounterOp, CounterState, CounterWithLimit, Timed, Verdict};
use crate::workload::{Call, Op, Outcome};

/// Steps the search may take per coupon before it counts as undecided (a failure).
const SEARCH_BUDGET: u64 = 20_000_000;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    for coupon in evidence.pool {
        let Some(last) = evidence.final_state.coupons.get(&coupon.id) else {
            problems.push(format!("coupon {} is missing from the final state", coupon.id));
            continue;
        };
        let mut history = coupon_history(evidence, coupon.id);
        let end = evidence.final_state.read_at_ns;
        let remaining = coupon.usage_limit.saturating_sub(last.times_redeemed);
        history.push(Timed { invoked: end, returned: end, op: CounterOp::Read { remaining } });
        let model = CounterWithLimit { limit: coupon.usage_limit };
        match checker::check(&model, CounterState::default(), &history, SEARCH_BUDGET) {
            Verdict::Linearizable => {}
            Verdict::Violation { longest } => {
                problems.push(describe(coupon.id, &history, &longest))
            }
            Verdict::GaveUp { steps } => problems.push(format!(
                "coupon {}: undecided after {steps} steps over {} operations",
                coupon.id,
                history.len()
            )),
        }
    }
    problems
}

fn coupon_history(evidence: &Evidence<'_>, coupon: u64) -> Vec<Timed<CounterOp>> {
    let by_request = evidence.redemptions_by_request();
    let redemptions: BTreeMap<u64, bool> = evidence
        .final_state
        .redemptions
        .iter()
        .filter(|r| r.coupon == coupon)
        .map(|r| (r.id, r.rolled_back))
        .collect();
    // Unanswered operations that happened did so before the final read, which starts at `end`.
    let before_end = evidence.final_state.read_at_ns.saturating_sub(1);
    let mut history = Vec::new();
    for op in evidence.ops {
        let found = |user: &str, order: Option<&str>| {
            by_request
                .get(&(user, order))
                .and_then(|found| found.iter().find(|r| r.coupon == coupon))
                .map(|r| r.id)
        };
        let counter_op = match (&op.call, op.outcome.as_ref()) {
            (Call::Redeem { coupon: c, .. }, _) if *c != coupon => None,
            (Call::Redeem { .. }, Some(Outcome::Redeemed { redemption, remaining, .. })) => Some((
                Some(op),
                CounterOp::Take { redemption: *redemption, remaining: Some(*remaining) },
            )),
            (Call::Redeem { .. }, Some(Outcome::Rejected { code, .. }))
                if code == "usage_limit_reached" =>
            {
                Some((Some(op), CounterOp::Refused))
            }
            // Unknown, or an answer this workload should never get (judged by `exactly_once`):
            // what happened is what the final state holds.
            (Call::Redeem { user, order, .. }, _) => found(user, order.as_deref())
                .map(|redemption| (None, CounterOp::Take { redemption, remaining: None })),
            (Call::RollBack { coupon: c, .. }, _) if *c != coupon => None,
            (Call::RollBack { .. }, Some(Outcome::RolledBack)) => {
                Some((Some(op), CounterOp::GiveBack))
            }
            (Call::RollBack { redemption, .. }, _) => {
                (redemptions.get(redemption) == Some(&true)).then_some((None, CounterOp::GiveBack))
            }
            (Call::Read { coupon: c, .. }, Some(Outcome::Read { remaining })) if *c == coupon => {
                Some((Some(op), CounterOp::Read { remaining: *remaining }))
            }
            _ => None,
        };
        if let Some((answered, counter_op)) = counter_op {
            let returned = answered.and_then(|op: &Op| op.returned_ns).unwrap_or(before_end);
            history.push(Timed { invoked: op.invoked_ns, returned, op: counter_op });
        }
    }
    history
}

fn describe(coupon: u64, history: &[Timed<CounterOp>], longest: &[usize]) -> String {
    let stuck: Vec<String> = history
        .iter()
        .enumerate()
        .filter(|(index, _)| !longest.contains(index))
        .take(6)
        .map(|(_, timed)| format!("{:?} [{}..{}]", timed.op, timed.invoked, timed.returned))
        .collect();
    let order: Vec<String> = longest
        .iter()
        .rev()
        .take(6)
        .map(|index| {
            format!(
                "{:?} [{}..{}]",
                history[*index].op, history[*index].invoked, history[*index].returned
            )
        })
        .collect();
    format!(
        "coupon {coupon}: not linearizable; {} of {} operations ordered, last ordered \
         (newest first): {order:?}; first not orderable: {stuck:?}",
        longest.len(),
        history.len()
    )
}
