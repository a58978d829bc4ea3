//! The audit trail is whole and the same on every replica in the final state: each member's
//! chain recomputes from the first record to the last (`verify_chain`, as `coupon audit verify`
//! does), and every member that applied the same log holds the same number of records ending in
//! the same hash.

use std::collections::BTreeMap;

use super::Evidence;
use crate::final_state::AuditChain;

/// The members whose chain has (this many records, this last hash).
type MembersByChain<'a> = BTreeMap<(u64, &'a str), Vec<u64>>;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    // By the (term, index) of the last log entry applied.
    let mut by_applied: BTreeMap<(u64, u64), MembersByChain<'_>> = BTreeMap::new();
    for (id, replica) in &evidence.final_state.replicas {
        match (&replica.audit, replica.last_applied) {
            (AuditChain::Broken(why), _) => {
                problems.push(format!("member {id}'s audit chain is broken: {why}"));
            }
            (AuditChain::Whole { records, last_hash }, Some(applied)) => {
                let chains = by_applied.entry(applied).or_default();
                chains.entry((*records, last_hash.as_str())).or_default().push(*id);
            }
            (AuditChain::Whole { .. }, None) => {}
        }
    }
    for (applied, chains) in by_applied.into_iter().filter(|(_, chains)| chains.len() > 1) {
        problems.push(format!(
            "audit trails at log id {applied:?} differ (records, last hash): {chains:?}"
        ));
    }
    problems
}
