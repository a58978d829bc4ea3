//! Election safety: in any one term, the committed log holds entries of one leader only.
//!
//! openraft 0.9 (without its `single-term-leader` feature) identifies a leader by (term, node
//! id), so two candidates of one term may both be elected (seen on seed 136 of
//! `snapshot_catch_up`); what Raft's safety needs, and what this checks, is that at most one of
//! them ever commits: a voter that accepted one leader's entries refuses the other.

use std::collections::{BTreeMap, BTreeSet};

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut committing: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for entry in evidence.observations.committed.values() {
        committing.entry(entry.term).or_default().insert(entry.leader);
    }
    committing
        .into_iter()
        .filter(|(_, leaders)| leaders.len() > 1)
        .map(|(term, leaders)| {
            format!("term {term}: entries of leaders {leaders:?} were committed")
        })
        .collect()
}
