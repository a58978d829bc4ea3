//! The sequential model of one coupon: a counter of live uses with a limit.
//!
//! A redeem takes a use if one is left (and reports the uses remaining after it), or is refused
//! with `usage_limit_reached` when none is; a rollback gives one back; a read reports the uses
//! remaining. Redemption ids grow in apply order, so the uses taken on one coupon must carry
//! growing ids in any valid order.

use serde::Serialize;

use super::wgl::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CounterOp {
    /// A redeem that took a use. `remaining` is what its answer said was left after it; `None`
    /// when the answer was lost and the redemption was found in the final state instead.
    Take { redemption: u64, remaining: Option<u32> },
    /// A redeem refused with `usage_limit_reached`.
    Refused,
    /// A rollback that gave a use back.
    GiveBack,
    /// A linearizable read that saw `remaining` uses left.
    Read { remaining: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CounterState {
    pub used: u32,
    /// The id of the latest redemption taken, 0 before the first.
    pub last_redemption: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct CounterWithLimit {
    pub limit: u32,
}

impl Model for CounterWithLimit {
    type State = CounterState;
    type Op = CounterOp;

    fn step(&self, state: &CounterState, op: &CounterOp) -> Option<CounterState> {
        let left = self.limit.checked_sub(state.used)?;
        match *op {
            CounterOp::Take { redemption, remaining } => {
                let after = left.checked_sub(1)?;
                let answer_matches = remaining.is_none_or(|remaining| remaining == after);
                (redemption > state.last_redemption && answer_matches)
                    .then_some(CounterState { used: state.used + 1, last_redemption: redemption })
            }
            CounterOp::Refused => (left == 0).then_some(*state),
            CounterOp::GiveBack => {
                (state.used > 0).then_some(CounterState { used: state.used - 1, ..*state })
            }
            CounterOp::Read { remaining } => (remaining == left).then_some(*state),
        }
    }
}
