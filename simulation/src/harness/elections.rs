//! `Elections`: when each leader (term, node) was first seen leading, when it first applied an
//! entry of its own term (its blank entry committed: it had a majority), and when it first
//! applied an entry of client requests it proposed, for the failover-latency report: a new
//! leader that has a majority must commit writes soon after it wins, whatever forwards were in
//! flight. A leader cut off from the majority the moment it won commits nothing and is left out.

use std::collections::BTreeMap;

use raft_store::NodeId;
use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Election {
    /// Simulated time since the run began, when the node was first seen leading its term.
    pub elected_at_ns: u64,
    /// When it first applied an entry of its own term, if it did.
    pub first_commit_at_ns: Option<u64>,
    /// When it first applied an entry of its own term carrying client requests, if it did.
    pub first_write_at_ns: Option<u64>,
}

/// Every leader of a run, by (term, node).
#[derive(Clone, Debug, Default)]
pub struct Elections(BTreeMap<(u64, NodeId), Election>);

/// As a list of (term, node, election): JSON keys are strings only.
impl Serialize for Elections {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|((term, node), election)| (term, node, election)))
    }
}

impl Elections {
    pub fn note_leading(&mut self, term: u64, node: NodeId, now_ns: u64) {
        let fresh =
            Election { elected_at_ns: now_ns, first_commit_at_ns: None, first_write_at_ns: None };
        self.0.entry((term, node)).or_insert(fresh);
    }

    /// Node `node` applied an entry written by leader (`term`, `leader`); `write`: one of client
    /// requests.
    pub fn note_applied(
        &mut self,
        (term, leader): (u64, NodeId),
        node: NodeId,
        write: bool,
        now_ns: u64,
    ) {
        if leader != node {
            return;
        }
        if let Some(election) = self.0.get_mut(&(term, leader)) {
            election.first_commit_at_ns.get_or_insert(now_ns);
            if write {
                election.first_write_at_ns.get_or_insert(now_ns);
            }
        }
    }

    /// Of every leader that committed a write of its own, in ms: from its election to that
    /// write's commit, and from the first commit of its term (its majority reached) to it. The
    /// first includes how long a leader cut off when it won stayed cut off; the second is the
    /// node's own part (forwards in flight, batch slots).
    pub fn latencies_ms(&self) -> Vec<(f64, f64)> {
        let ms = |from: u64, to: u64| to.saturating_sub(from) as f64 / 1e6;
        self.0
            .values()
            .filter_map(|election| {
                let (committed, written) =
                    (election.first_commit_at_ns?, election.first_write_at_ns?);
                Some((ms(election.elected_at_ns, written), ms(committed, written)))
            })
            .collect()
    }

    /// The node that leads at `at_ns` as far as the run saw: of the leaders seen by then, the one
    /// of the highest (term, node), which every other node defers to once it hears of it.
    pub fn leader_at(&self, at_ns: u64) -> Option<NodeId> {
        let seen_by_then = self.0.iter().filter(|(_, election)| election.elected_at_ns <= at_ns);
        seen_by_then.map(|((_, node), _)| *node).next_back()
    }

    /// When a leader was first seen in `(from_ns, until_ns]`, in order.
    pub fn leadership_changes(&self, from_ns: u64, until_ns: u64) -> Vec<u64> {
        let mut times: Vec<u64> = self
            .0
            .values()
            .map(|election| election.elected_at_ns)
            .filter(|at| *at > from_ns && *at <= until_ns)
            .collect();
        times.sort_unstable();
        times
    }

    /// Leaders that committed an entry of their term but never a write of their own.
    pub fn without_write(&self) -> usize {
        let committed_only = |election: &&Election| {
            election.first_commit_at_ns.is_some() && election.first_write_at_ns.is_none()
        };
        self.0.values().filter(committed_only).count()
    }
}
