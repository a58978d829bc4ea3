//! `ProbedState`: a node's storage as its state machine sees it (the state in memory over its
//! `MemDisk`), which checks the uses of every campaign each time the node's state machine commits
//! (after every apply call, so after every applied entry that openraft applies on its own, and
//! after a snapshot is installed).
//!
//! A campaign's uses are checked as its codes count them, not as its own counter does: the sum
//! over its codes of uses redeemed and held must equal the campaign's counts and stay within its
//! budget. Within one apply call (several entries applied at once) apply's own release assertions
//! (`Coupon::assert_within_limit`, `Campaign::assert_within_budget`, on every value written) hold
//! each coupon and campaign to its limit at every index.

use std::sync::Arc;

use raft_store::domain::CampaignId;
use raft_store::state_reader::StateReader;
use raft_store::storage::{
    Backend, BackendError, KeyRange, KeyValue, ScanOrder, SlotStore, Tree, TreeReader, WriteOp,
};
use raft_store::NodeId;

use super::observer::Observer;

/// Codes of one campaign the probe counts: far above any the workload imports.
const CODES_MAX: usize = 1_000;

pub struct ProbedState {
    pub state: Arc<dyn Backend>,
    pub node: NodeId,
    pub observer: Observer,
}

impl Backend for ProbedState {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        self.state.get(tree, key)
    }

    fn scan(
        &self,
        tree: Tree,
        range: KeyRange<'_>,
        order: ScanOrder,
        limit: usize,
    ) -> Result<Vec<KeyValue>, BackendError> {
        self.state.scan(tree, range, order, limit)
    }

    fn commit(&self, tree: Tree, ops: Vec<WriteOp>) -> Result<(), BackendError> {
        self.state.commit(tree, ops)?;
        if tree == Tree::StateMachine {
            let reader = TreeReader { backend: self.state.as_ref(), tree };
            let state = StateReader::new(&reader);
            let found = campaign_use_problems(&state)
                .unwrap_or_else(|error| vec![format!("state unreadable: {error}")]);
            self.observer.note_use_check(self.node, found);
        }
        Ok(())
    }

    fn flush(&self, tree: Tree) -> Result<(), BackendError> {
        self.state.flush(tree)
    }

    fn slots(&self) -> &dyn SlotStore {
        self.state.slots()
    }
}

/// Every campaign whose codes' uses disagree with its counts or exceed its budget.
fn campaign_use_problems(state: &StateReader<'_>) -> raft_store::Result<Vec<String>> {
    let meta = state.meta()?;
    let index = meta.last_applied.map(|id| id.index);
    let mut problems = Vec::new();
    for id in 1..meta.counters.next_campaign_id.0 {
        let Some(campaign) = state.campaign(CampaignId(id))? else { continue };
        let (mut redeemed, mut held) = (0u64, 0u64);
        for code in state.campaign_codes(campaign.id, None, CODES_MAX)? {
            let Some(coupon) = state.coupon(code)? else { continue };
            redeemed += u64::from(coupon.times_redeemed);
            held += u64::from(coupon.held);
        }
        if (redeemed, held) != (campaign.times_redeemed, campaign.held) {
            problems.push(format!(
                "at index {index:?}: campaign {id} counts {} redeemed and {} held, its codes {redeemed} and {held}",
                campaign.times_redeemed, campaign.held
            ));
        }
        if let Some(budget) = campaign.budget.filter(|budget| redeemed + held > u64::from(*budget))
        {
            problems.push(format!(
                "at index {index:?}: campaign {id}'s codes have {redeemed} redeemed and {held} held of a budget of {budget}"
            ));
        }
    }
    Ok(problems)
}
