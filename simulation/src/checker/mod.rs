//! Linearizability checking: a generic Wing–Gong–Lowe search (`wgl`) and the model of one
//! coupon as a counter with a limit (`counter_model`).

pub mod counter_model;
pub mod wgl;

pub use counter_model::{CounterOp, CounterState, CounterWithLimit};
pub use wgl::{check, Model, Timed, Verdict};

#[cfg(test)]
mod tests {
    //! The checker itself, on small hand-made histories whose verdict is known.

    use super::counter_model::CounterOp::{GiveBack, Read, Refused, Take};
    use super::*;

    const BUDGET: u64 = 1_000_000;

    fn op(invoked: u64, returned: u64, op: CounterOp) -> Timed<CounterOp> {
        Timed { invoked, returned, op }
    }

    fn take(redemption: u64, remaining: u32) -> CounterOp {
        Take { redemption, remaining: Some(remaining) }
    }

    fn verdict(limit: u32, history: &[Timed<CounterOp>]) -> Verdict {
        check(&CounterWithLimit { limit }, CounterState::default(), history, BUDGET)
    }

    #[test]
    fn sequential_takes_until_the_limit_then_refusals_are_linearizable() {
        // Goal: the plain legal story passes. Steps: limit 2; take, take, refuse, read 0, in order.
        let history = [
            op(0, 1, take(1, 1)),
            op(2, 3, take(2, 0)),
            op(4, 5, Refused),
            op(6, 7, Read { remaining: 0 }),
        ];
        assert_eq!(verdict(2, &history), Verdict::Linearizable);
    }

    #[test]
    fn concurrent_operations_may_be_ordered_against_their_invocation_order() {
        // Goal: concurrency is honoured. Steps: two overlapping takes whose answers say the later
        // invoked one applied first, and a read overlapping both that saw one use taken.
        let history =
            [op(0, 10, take(2, 0)), op(1, 9, take(1, 1)), op(2, 8, Read { remaining: 1 })];
        assert_eq!(verdict(2, &history), Verdict::Linearizable);
    }

    #[test]
    fn a_take_past_the_limit_is_caught() {
        // Goal: over-redemption is illegal. Steps: limit 1, two sequential successful takes.
        let history = [op(0, 1, take(1, 0)), op(2, 3, Take { redemption: 2, remaining: None })];
        assert!(matches!(verdict(1, &history), Verdict::Violation { .. }));
    }

    #[test]
    fn a_stale_read_after_an_acknowledged_take_is_caught() {
        // Goal: a read must see every write acknowledged before it started. Steps: a take returns,
        // then a later read still sees the use as remaining.
        let history = [op(0, 1, take(1, 0)), op(2, 3, Read { remaining: 1 })];
        assert!(matches!(verdict(1, &history), Verdict::Violation { .. }));
    }

    #[test]
    fn a_refusal_while_uses_remain_is_caught() {
        // Goal: refusing with uses left is illegal. Steps: limit 2, one take, then a refusal.
        let history = [op(0, 1, take(1, 1)), op(2, 3, Refused)];
        assert!(matches!(verdict(2, &history), Verdict::Violation { .. }));
    }

    #[test]
    fn a_give_back_makes_room_for_another_take() {
        // Goal: rollbacks return a use. Steps: limit 1: take, give back, take again, read 0.
        let history = [
            op(0, 1, take(1, 0)),
            op(2, 3, GiveBack),
            op(4, 5, take(2, 0)),
            op(6, 7, Read { remaining: 0 }),
        ];
        assert_eq!(verdict(1, &history), Verdict::Linearizable);
    }

    #[test]
    fn redemption_ids_must_grow_in_linearization_order() {
        // Goal: ids are assigned in apply order. Steps: two sequential takes with falling ids.
        let history = [op(0, 1, take(5, 1)), op(2, 3, take(4, 0))];
        assert!(matches!(verdict(2, &history), Verdict::Violation { .. }));
    }

    #[test]
    fn an_unanswered_take_may_land_anywhere_in_its_window() {
        // Goal: an operation whose answer was lost (found applied afterwards) may take effect at any
        // point up to the end. Steps: an unknown take spanning a read that saw it not yet applied
        // and a later read that saw it applied.
        let history = [
            op(0, 100, Take { redemption: 1, remaining: None }),
            op(1, 2, Read { remaining: 1 }),
            op(3, 4, Read { remaining: 0 }),
        ];
        assert_eq!(verdict(1, &history), Verdict::Linearizable);
    }

    #[test]
    fn the_longest_linearizable_prefix_is_reported() {
        // Goal: a violation says how far the search got. Steps: take, good read, stale read.
        let history = [
            op(0, 1, take(1, 1)),
            op(2, 3, Read { remaining: 1 }),
            op(4, 5, Read { remaining: 2 }),
        ];
        assert_eq!(verdict(2, &history), Verdict::Violation { longest: vec![0, 1] });
    }

    #[test]
    fn the_step_budget_is_reported_not_passed() {
        // Goal: an undecided search is never a pass. Steps: many concurrent reads that all fail at
        // the end, with a budget far too small to explore them.
        let mut history: Vec<_> = (0..30).map(|_| op(0, 100, Read { remaining: 3 })).collect();
        history.push(op(200, 201, Read { remaining: 0 }));
        let verdict = check(&CounterWithLimit { limit: 3 }, CounterState::default(), &history, 10);
        assert_eq!(verdict, Verdict::GaveUp { steps: 11 });
    }
}
