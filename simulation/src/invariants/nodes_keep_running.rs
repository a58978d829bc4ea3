//! Every node starts and restarts on its disk, and no node's Raft stops by itself (a storage
//! error or a panic in Raft's core would stop it).

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    evidence.observations.node_failures.clone()
}
