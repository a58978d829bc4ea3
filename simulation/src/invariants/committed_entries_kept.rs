//! Committed entries are never lost: no node ever applied another leader's entry at an index
//! another node had applied, and the final leader has applied at least every index ever applied.

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let observed = evidence.observations;
    let mut problems: Vec<String> = observed
        .replaced_entries
        .iter()
        .map(|replaced| format!("committed entry replaced: {replaced}"))
        .collect();
    let highest = observed.committed.last_key_value().map(|(index, entry)| (*index, *entry));
    let leader_applied = evidence
        .final_state
        .leader
        .and_then(|leader| evidence.final_state.replicas.get(&leader))
        .and_then(|replica| replica.last_applied);
    if let Some((index, entry)) = highest {
        // No final leader, or one that applied nothing, has not kept the entry either.
        let applied = leader_applied.map(|(_, applied)| applied);
        if applied.is_none_or(|applied| applied < index) {
            problems.push(format!(
                "index {index} (leader T{}-N{}) was applied on node {} but the final leader has \
                 applied only up to {applied:?}",
                entry.term, entry.leader, entry.first_seen_on
            ));
        }
    }
    problems
}
