//! A linearizability checker: the Wing–Gong–Lowe search with memoisation, as in Porcupine.
//!
//! Given operations with invoke and return times and a sequential model, it searches for a total
//! order that respects real time (an operation that returned before another was invoked comes
//! first) and that the model accepts step by step. States already reached with the same set of
//! linearized operations are not explored twice, which keeps histories of a few hundred
//! operations cheap.

use std::collections::HashSet;
use std::hash::Hash;

/// A sequential specification.
pub trait Model {
    type State: Clone + Eq + Hash;
    type Op;
    /// The state after `op`, or `None` if `op` (with the output it recorded) is impossible in
    /// `state`.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
}

/// One completed operation: `invoked <= returned`, in any time unit.
#[derive(Clone, Debug)]
pub struct Timed<O> {
    pub invoked: u64,
    pub returned: u64,
    pub op: O,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// No order exists. `longest` is the longest prefix (operation indexes) that could be
    /// linearized, to show where the history went wrong.
    Violation {
        longest: Vec<usize>,
    },
    /// The search took more than its step budget: undecided, which a caller must not pass.
    GaveUp {
        steps: u64,
    },
}

const NONE: usize = usize::MAX;

/// The events of the history as a doubly linked list (index 0 is the head), so that linearized
/// operations can be lifted out and put back in O(1).
struct Events {
    prev: Vec<usize>,
    next: Vec<usize>,
    /// For a call event: the index of its return event; for a return event: `NONE`.
    matching: Vec<usize>,
    op: Vec<usize>,
}

impl Events {
    fn new<O>(history: &[Timed<O>]) -> Self {
        // (time, is_return, op): calls sort before returns at equal times, so operations that
        // touch in time count as concurrent (the lenient reading).
        let mut order: Vec<(u64, bool, usize)> = Vec::with_capacity(history.len() * 2);
        for (index, timed) in history.iter().enumerate() {
            order.push((timed.invoked, false, index));
            order.push((timed.returned, true, index));
        }
        order.sort_unstable();
        let count = order.len() + 1;
        let mut events = Events {
            prev: (0..count).map(|i| i.wrapping_sub(1)).collect(),
            next: (1..=count).map(|i| if i == count { NONE } else { i }).collect(),
            matching: vec![NONE; count],
            op: vec![NONE; count],
        };
        let mut call_of = vec![NONE; history.len()];
        for (position, (_, is_return, op)) in order.into_iter().enumerate() {
            let event = position + 1;
            events.op[event] = op;
            if is_return {
                events.matching[call_of[op]] = event;
            } else {
                call_of[op] = event;
            }
        }
        events
    }

    fn unlink(&mut self, event: usize) {
        let (prev, next) = (self.prev[event], self.next[event]);
        self.next[prev] = next;
        if next != NONE {
            self.prev[next] = prev;
        }
    }

    fn relink(&mut self, event: usize) {
        let (prev, next) = (self.prev[event], self.next[event]);
        self.next[prev] = event;
        if next != NONE {
            self.prev[next] = event;
        }
    }

    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.matching[call]);
    }

    fn unlift(&mut self, call: usize) {
        self.relink(self.matching[call]);
        self.relink(call);
    }
}

/// Checks `history` against `model` from `initial`, exploring at most `budget` steps.
pub fn check<M: Model>(
    model: &M,
    initial: M::State,
    history: &[Timed<M::Op>],
    budget: u64,
) -> Verdict {
    let mut events = Events::new(history);
    let mut linearized = vec![0u64; history.len().div_ceil(64)];
    let mut seen: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut longest: Vec<usize> = Vec::new();
    let mut state = initial;
    let mut event = events.next[0];
    let mut steps = 0u64;
    while events.next[0] != NONE {
        steps += 1;
        if steps > budget {
            return Verdict::GaveUp { steps };
        }
        if events.matching[event] != NONE {
            let op = events.op[event];
            if let Some(next_state) = model.step(&state, &history[op].op) {
                linearized[op / 64] |= 1 << (op % 64);
                if seen.insert((linearized.clone(), next_state.clone())) {
                    stack.push((event, std::mem::replace(&mut state, next_state)));
                    events.lift(event);
                    event = events.next[0];
                    continue;
                }
                linearized[op / 64] &= !(1 << (op % 64));
            }
            event = events.next[event];
        } else {
            // A return whose call is not linearized yet: undo the latest choice.
            if stack.len() > longest.len() {
                longest = stack.iter().map(|(call, _)| events.op[*call]).collect();
            }
            let Some((call, previous)) = stack.pop() else {
                return Verdict::Violation { longest };
            };
            state = previous;
            let op = events.op[call];
            linearized[op / 64] &= !(1 << (op % 64));
            events.unlift(call);
            event = events.next[call];
        }
    }
    Verdict::Linearizable
}
