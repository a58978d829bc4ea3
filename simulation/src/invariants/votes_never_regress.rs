//! A node's vote never goes backwards, not even across a crash: the vote is flushed before the
//! node acts on it, and a vote taken back lets a voter elect two leaders.

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    evidence.observations.vote_regressions.clone()
}
