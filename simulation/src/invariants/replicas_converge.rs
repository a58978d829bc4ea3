//! After healing, every member catches up with the leader, and members at the same applied log
//! id hold byte-identical states (the state machine's digest).

use std::collections::BTreeMap;

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let state = evidence.final_state;
    let mut problems = Vec::new();
    if !state.settled {
        let applied: BTreeMap<_, _> =
            state.replicas.iter().map(|(id, replica)| (id, replica.last_applied)).collect();
        problems.push(format!("members never caught up with the leader: applied {applied:?}"));
    }
    let mut by_applied: BTreeMap<(u64, u64), BTreeMap<&str, Vec<u64>>> = BTreeMap::new();
    for (id, replica) in &state.replicas {
        if let (Some(applied), Some(digest)) = (replica.last_applied, replica.digest.as_deref()) {
            by_applied.entry(applied).or_default().entry(digest).or_default().push(*id);
        }
    }
    for (applied, digests) in by_applied.into_iter().filter(|(_, digests)| digests.len() > 1) {
        problems.push(format!("replicas at log id {applied:?} differ: {digests:?}"));
    }
    problems
}
