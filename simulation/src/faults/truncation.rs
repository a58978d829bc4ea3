//! The truncation interleaving of two leader changes among 5 voters, driven stage by stage.
//! 1. The old leader L1 reaches one follower only (N3), so the entries it appends meanwhile reach
//!    N3 and commit nowhere. The other three reach no voter but L1 (so, gated, none of them
//!    stands) until L1 has appended two entries: the second holds every write that queued while
//!    the first waited out its deadline.
//! 2. A second node L2 stands for election; once its vote requests are out, its own links to
//!    every node but L1 are cut, and N3's to L1, so it wins with the two remaining voters and its
//!    first entry reaches L1 alone: L1 truncates its entries (openraft answers their writes
//!    `ForwardToLeader`) and sends them on to L2, which appends them.
//! 3. N3 then stands, at once and again until it wins with those two voters, its log still
//!    holding L1's entries, and commits them. L2 and L1 reach N3 again: whatever L1 sends again
//!    after L2 has truncated its copy reaches N3.
//!
//! A node that sends a write again without a token that apply deduplicates applies it twice.

use std::time::Duration;

use openraft::{RaftMetrics, ServerState};
use raft_store::{NodeId, NodeInfo};
use rand::Rng;

use super::driver::FaultDriver;
use super::plan::Target;

/// How long each stage waits at most for the election it needs.
const STAGE_PATIENCE: Duration = Duration::from_secs(10);
/// Link latency while the fault holds: long enough that the cut of L2's links falls between its
/// vote requests and its first entry.
const LATENCY_MS: (u64, u64) = (10, 20);
/// How long the old leader's writes, sent on to L2, may take to be appended there.
const RESEND_PATIENCE: Duration = Duration::from_millis(500);
/// How long one campaign of the keeper is given: a vote request and its answer, twice over.
const ELECTION_RETRY: Duration = Duration::from_millis(4 * LATENCY_MS.1);
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
        self.let_writes_queue_on(old, &others, keeper).await;
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
        let old_follows_second = |driver: &Self| {
            let metrics = driver.metrics_of(old)?;
            (metrics.current_leader == Some(second)).then_some(old)
        };
        if self.wait_for(old_follows_second).await.is_none() {
            self.log.note(format!("node {old} never followed node {second}"));
            return madsim::time::sleep(hold).await;
        }
        // The old leader has truncated its entries and sends their writes on to the second
        // leader; once those are appended there, the keeper stands at once, so that it leads
        // (and the second leader truncates them too) well within the writes' deadlines.
        let appended_at = self.metrics_of(second).and_then(|metrics| metrics.last_log_index);
        let resend_appended = |driver: &Self| {
            let last = driver.metrics_of(second)?.last_log_index;
            (last > appended_at).then_some(second)
        };
        if self.wait_for_within(RESEND_PATIENCE, resend_appended).await.is_some() {
            self.log.note(format!("node {second} appended what node {old} sent on"));
        }
        match self.stand_until_leading(keeper).await {
            Some(_) => {
                self.cluster.unclog(second, keeper);
                self.cluster.unclog(keeper, old);
                self.log.note(format!("node {keeper} leads with the old leader's entries"));
            }
            None => self.log.note(format!("node {keeper} never led")),
        }
        madsim::time::sleep(hold).await;
    }

    /// Keeps every node of `others` from reaching any voter but `old` (each then turns its
    /// election timer off) until `old` has appended two entries since it was cut off: the second
    /// holds every write that queued while the first waited out its deadline, so the entry that
    /// the next election truncates is a large one, not the one or two requests of the moment.
    async fn let_writes_queue_on(&self, old: NodeId, others: &[NodeId], keeper: NodeId) {
        let cut_at = self.metrics_of(old).and_then(|metrics| metrics.last_log_index);
        let links: Vec<(NodeId, NodeId)> = others
            .iter()
            .flat_map(|a| others.iter().chain([&keeper]).map(move |b| (*a, *b)))
            .filter(|(a, b)| a != b)
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .collect();
        links.iter().for_each(|(from, to)| self.cluster.clog(*from, *to));
        let queued = |driver: &Self| {
            let appended = driver.metrics_of(old)?.last_log_index;
            (appended >= cut_at.map(|index| index + 2)).then_some(old)
        };
        match self.wait_for(queued).await {
            Some(_) => self.log.note(format!("leader {old} appended what queued meanwhile")),
            None => self.log.note(format!("leader {old} appended no second entry")),
        }
        links.iter().for_each(|(from, to)| self.cluster.unclog(*from, *to));
    }

    /// Makes `keeper` stand for election until it leads, once per `ELECTION_RETRY`, within
    /// `STAGE_PATIENCE`. A first campaign can lose: a keeper that refused L2's vote request kept
    /// L1's term, so its first campaign is in L2's term, whose votes are cast.
    async fn stand_until_leading(&self, keeper: NodeId) -> Option<NodeId> {
        let keeper_leads = |driver: &Self| {
            (driver.state_of(keeper) == Some(ServerState::Leader)).then_some(keeper)
        };
        let deadline = madsim::time::Instant::now() + STAGE_PATIENCE;
        while madsim::time::Instant::now() < deadline {
            let node = self.cluster.registry().get(keeper)?;
            // An error means the keeper's raft stopped; the invariants report that.
            let _ = node.raft.trigger().elect().await;
            if let Some(leader) = self.wait_for_within(ELECTION_RETRY, keeper_leads).await {
                return Some(leader);
            }
        }
        None
    }

    fn state_of(&self, id: NodeId) -> Option<ServerState> {
        self.metrics_of(id).map(|metrics| metrics.state)
    }

    fn metrics_of(&self, id: NodeId) -> Option<RaftMetrics<NodeId, NodeInfo>> {
        self.cluster.registry().get(id).map(|node| node.metrics())
    }

    /// Polls `found` every millisecond for up to `STAGE_PATIENCE`.
    async fn wait_for(&self, found: impl Fn(&Self) -> Option<NodeId>) -> Option<NodeId> {
        self.wait_for_within(STAGE_PATIENCE, found).await
    }

    async fn wait_for_within(
        &self,
        patience: Duration,
        found: impl Fn(&Self) -> Option<NodeId>,
    ) -> Option<NodeId> {
        let deadline = madsim::time::Instant::now() + patience;
        while madsim::time::Instant::now() < deadline {
            if let Some(id) = found(self) {
                return Some(id);
            }
            madsim::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }
}
