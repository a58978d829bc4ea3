//! The run produced something to judge: at least one race coupon was created, and the final
//! state was read from a leader. Without this, the checks that read the pool or the final state
//! would pass on a run in which nothing could be checked.

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if evidence.pool.is_empty() {
        problems.push("no race coupon was ever created: there was nothing to race for".to_owned());
    }
    if let Some(error) = &evidence.final_state.read_error {
        problems.push(format!("the final state could not be read: {error}"));
    }
    problems
}
