//! An expired hold never confirms: every confirm the cluster acknowledged was made into a
//! redemption at a log time before the hold's expiry, and no replica holds a redemption of a
//! hold made at or after its expiry.
//!
//! Log time is what expiry is decided by, so both sides of the comparison are log time: the
//! hold's `expires_at` and its redemption's `redeemed_at`, the log time of the entry that
//! confirmed it. Every member's own state is read (`Replica::late_confirms`), not only the
//! leader's.

use std::collections::BTreeMap;

use super::Evidence;
use crate::final_state::{FinalHold, FinalHoldState};
use crate::workload::{Call, Outcome};

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let holds: BTreeMap<u64, &FinalHold> =
        evidence.final_state.holds.iter().map(|hold| (hold.id, hold)).collect();
    let mut problems = Vec::new();
    for op in evidence.ops {
        let (Call::ConfirmHold { hold, expires_at_ms }, Some(Outcome::Redeemed { .. })) =
            (&op.call, op.outcome.as_ref())
        else {
            continue;
        };
        let made_at = holds.get(hold).and_then(|found| match found.state {
            FinalHoldState::Confirmed { redeemed_at_ms, .. } => redeemed_at_ms,
            _ => None,
        });
        // A confirm whose hold or redemption is missing is `acknowledged_confirms_durable`'s.
        if let Some(made_at) = made_at.filter(|made_at| made_at >= expires_at_ms) {
            problems.push(format!(
                "the acknowledged confirm of hold {hold} (answered at {:?} ns) was made at log \
                 time {made_at} ms, at or after the hold's expiry {expires_at_ms} ms",
                op.returned_ns
            ));
        }
    }
    for (node, replica) in &evidence.final_state.replicas {
        problems.extend(replica.late_confirms.iter().map(|late| format!("node {node}: {late}")));
    }
    problems
}
