//! An acknowledged membership change holds in the final membership: an added voter is a member,
//! a removed one is not, unless a later opposite change of the same node (acknowledged or not:
//! an unanswered change may have happened) undid it.

use super::Evidence;
use crate::faults::MembershipChange;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let members = &evidence.final_state.members;
    let mut problems = Vec::new();
    for (index, result) in evidence.membership.iter().enumerate().filter(|(_, r)| r.acknowledged) {
        let kind = std::mem::discriminant(&result.change);
        let undone = evidence.membership[index + 1..].iter().any(|later| {
            later.node == result.node && std::mem::discriminant(&later.change) != kind
        });
        if undone {
            continue;
        }
        let present = members.contains(&result.node);
        match result.change {
            MembershipChange::AddVoter(_) if !present => problems
                .push(format!("node {} was added (acknowledged) but is not a member", result.node)),
            MembershipChange::RemoveVoter(_) if present => problems
                .push(format!("node {} was removed (acknowledged) but is a member", result.node)),
            _ => {}
        }
    }
    problems
}
