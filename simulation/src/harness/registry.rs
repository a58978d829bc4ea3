//! `Registry`: the nodes running right now, as the harness sees them. A node registers itself
//! when it has started; the harness removes it when it kills it. Per run, never a `static`:
//! cargo runs tests on parallel threads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use coupon_node::wall_clock::WallClock;
use openraft::{RaftMetrics, ServerState};
use raft_store::{NodeId, NodeInfo, Raft, StateHandle};

#[derive(Clone)]
pub struct LiveNode {
    pub raft: Raft,
    pub state: StateHandle,
    /// The node's time of day, which the harness may set ahead or back.
    pub wall_clock: Arc<WallClock>,
}

impl LiveNode {
    pub fn metrics(&self) -> RaftMetrics<NodeId, NodeInfo> {
        self.raft.metrics().borrow().clone()
    }
}

#[derive(Clone, Default)]
pub struct Registry(Arc<Mutex<BTreeMap<NodeId, LiveNode>>>);

impl Registry {
    pub fn insert(&self, id: NodeId, node: LiveNode) {
        self.lock().insert(id, node);
    }

    pub fn remove(&self, id: NodeId) {
        self.lock().remove(&id);
    }

    pub fn get(&self, id: NodeId) -> Option<LiveNode> {
        self.lock().get(&id).cloned()
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.lock().keys().copied().collect()
    }

    /// The node that leads in the highest term any live node knows of, if one does.
    pub fn leader(&self) -> Option<NodeId> {
        self.lock()
            .iter()
            .map(|(id, node)| (*id, node.metrics()))
            .filter(|(_, metrics)| metrics.state == ServerState::Leader)
            .max_by_key(|(_, metrics)| metrics.current_term)
            .map(|(id, _)| id)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<NodeId, LiveNode>> {
        // The map is valid whatever a panicking holder left behind.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
