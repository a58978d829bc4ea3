//! The truncation interleaving of two leader changes among 5 voters. The old leader L1 reaches
//! one follower only (N3), so the entries it appends meanwhile reach N3 and commit nowhere. A
//! second node L2 stands for election; once its vote requests are out, its own links to every
//! node but L1 are cut, so it wins with the two remaining voters and its first entry reaches L1
//! alone: L1 truncates its entries (openraft answers their writes `ForwardToLeader`) and sends
//! them on to L2. N3 then wins with those two voters, its log still holding L1's entries, and
//! commits them. N3 never reaches L1 meanwhile, so L1 learns of N3 only from L2's answers to
//! what it sent on; once N3 leads, L2 reaches it again: whatever L1 and L2 send again reaches
//! N3. A node that resends a truncated write without a token that apply deduplicates applies it
//! twice.

use std::time::Duration;

use openraft::ServerState;
use raft_store::NodeId;
use rand::Rng;

use super::driver::FaultDriver;
use super::plan::Target;

/// How long each stage waits at most for the election it needs.
const STAGE_PATIENCE: Duration = Duration::from_secs(10);
/// Link latency while the fault holds: long enough that the cut of L2's links falls between its
/// vote requests and its first entry.
const LATENCY_MS: (u64, u64) = (10, 20);
/// How long after L2 stands its links are cut: its vote requests are out, no vote is back yet.
const CUT_AFTER: Duration = Duration::from_millis(5);

impl FaultDriver {
    /// Drives the interleaving; every stage that does not happen within `STAGE_PATIENCE` is
    /// logged and the rest skipped (the heal comes after `hold` either way).
    pub(super) async fn truncate_on_old_leader(&mut self, hold: Duration) {
        let voters = self.voters();
        if voters.len() < 5 {
            self.log.note(format!("truncation needs 5 voters, has {voters:?}; skipped"));
            return;
        }
        let low = Duration::from_millis(LATENCY_MS.0);
        self.cluster.set_network(low..Duration::from_millis(LATENCY_MS.1), 0.0);
        let old = self.resolve(Target::Leader);
        let mut others: Vec<NodeId> = voters.iter().copied().filter(|id| *id != old).collect();
        let keeper = others.swap_remove(self.rng.gen_range(0..others.len()));
        others.iter().for_each(|other| self.cluster.clog(old, *other));
        self.log.note(format!("leader {old} reaches only node {keeper}"));
        let standing = |driver: &Self| {
            others.iter().copied().find(|id| driver.state_of(*id) == Some(ServerState::Candidate))
        };
        let Some(second) = self.wait_for(standing).await else {
            self.log.note("no other node stood for election; truncation skipped".to_owned());
            return madsim::time::sleep(hold).await;
        };
        madsim::time::sleep(CUT_AFTER).await;
        for node in voters.iter().copied().filter(|id| *id != old && *id != second) {
            self.cluster.clog(second, node);
        }
        self.cluster.unclog(old, second);
        self.cluster.clog(keeper, old);
        self.log.note(format!("node {second} stands; it now reaches only node {old}"));
        let keeper_leads = |driver: &Self| {
            (driver.state_of(keeper) == Some(ServerState::Leader)).then_some(keeper)
        };
        match self.wait_for(keeper_leads).await {
            Some(_) => {
                self.cluster.unclog(second, keeper);
                self.log.note(format!("node {keeper} leads with the old leader's entries"));
            }
            None => self.log.note(format!("node {keeper} never led")),
        }
        madsim::time::sleep(hold).await;
    }

    fn state_of(&self, id: NodeId) -> Option<ServerState> {
        self.cluster.registry().get(id).map(|node| node.metrics().state)
    }

    /// Polls `found` every millisecond for up to `STAGE_PATIENCE`.
    async fn wait_for(&self, found: impl Fn(&Self) -> Option<NodeId>) -> Option<NodeId> {
        let deadline = madsim::time::Instant::now() + STAGE_PATIENCE;
        while madsim::time::Instant::now() < deadline {
            if let Some(id) = found(self) {
                return Some(id);
            }
            madsim::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }
}
