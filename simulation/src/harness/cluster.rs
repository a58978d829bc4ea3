//! `Cluster`: the simulated coupon nodes of one run and the harness's hands on them: kill (a
//! power loss: unflushed writes are gone), restart, pause, partitions and clogs, heal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use madsim::net::NetSim;
use madsim::runtime::Handle;
use raft_store::storage::MemDisk;
use raft_store::NodeId;

use super::address::node_ip;
use super::node_spec::{NodeSpec, Timing};
use super::observer::Observer;
use super::registry::Registry;
use crate::net::wan;
use crate::region::RegionLayout;

/// What the harness did to a node last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    Up,
    Down,
    Paused,
}

struct Slot {
    madsim_id: madsim::task::NodeId,
    disk: Arc<MemDisk>,
    power: Power,
}

pub struct Cluster {
    handle: Handle,
    registry: Registry,
    observer: Observer,
    slots: Mutex<BTreeMap<NodeId, Slot>>,
    /// Links the harness clogged (one direction each), so that healing undoes exactly them.
    clogged: Mutex<BTreeSet<(NodeId, NodeId)>>,
}

impl Cluster {
    /// Creates `voters` bootstrapped nodes (ids 1..) and `spares` nodes that wait to be added;
    /// in a region run, each in its region.
    pub fn boot(
        voters: u64,
        spares: u64,
        timing: Timing,
        regions: Option<&RegionLayout>,
    ) -> Arc<Self> {
        let handle = Handle::current();
        let (registry, observer) = (Registry::default(), Observer::default());
        let initial_voters: Vec<NodeId> = (1..=voters).collect();
        let mut slots = BTreeMap::new();
        for id in 1..=voters + spares {
            let disk = Arc::new(MemDisk::new());
            let spec = NodeSpec {
                id,
                initial_voters: if id <= voters { initial_voters.clone() } else { Vec::new() },
                timing,
                disk: disk.clone(),
                regions: regions.cloned(),
            };
            let (registry, observer) = (registry.clone(), observer.clone());
            let node = handle
                .create_node()
                .name(format!("coupon-{id}"))
                .ip(node_ip(id))
                .init(move || spec.clone().boot(registry.clone(), observer.clone()))
                .build();
            if let Some(region) = regions.and_then(|layout| layout.node(id)) {
                wan::place(node.id(), node_ip(id), region);
            }
            slots.insert(id, Slot { madsim_id: node.id(), disk, power: Power::Up });
        }
        Arc::new(Self {
            handle,
            registry,
            observer,
            slots: Mutex::new(slots),
            clogged: Mutex::new(BTreeSet::new()),
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.slots().keys().copied().collect()
    }

    pub fn power(&self, id: NodeId) -> Option<Power> {
        self.slots().get(&id).map(|slot| slot.power)
    }

    /// Waits up to `patience` for some node to lead.
    pub async fn wait_for_leader(&self, patience: Duration) -> Option<NodeId> {
        let deadline = madsim::time::Instant::now() + patience;
        loop {
            if let Some(leader) = self.registry.leader() {
                return Some(leader);
            }
            if madsim::time::Instant::now() >= deadline {
                return None;
            }
            madsim::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Power loss: the node stops at once and its disk keeps only what was flushed.
    pub fn kill(&self, id: NodeId) {
        let mut slots = self.slots();
        let Some(slot) = slots.get_mut(&id) else { return };
        if slot.power == Power::Down {
            return;
        }
        self.registry.remove(id);
        self.handle.kill(slot.madsim_id);
        slot.disk.crash();
        slot.power = Power::Down;
    }

    /// Starts a killed node again on its disk.
    pub fn restart(&self, id: NodeId) {
        let mut slots = self.slots();
        let Some(slot) = slots.get_mut(&id) else { return };
        if slot.power != Power::Down {
            return;
        }
        self.handle.restart(slot.madsim_id);
        slot.power = Power::Up;
    }

    /// Freezes every task of the node (a long GC pause, a stopped VM); the network still
    /// accepts connections to it.
    pub fn pause(&self, id: NodeId) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get_mut(&id).filter(|slot| slot.power == Power::Up) {
            self.handle.pause(slot.madsim_id);
            slot.power = Power::Paused;
        }
    }

    pub fn resume(&self, id: NodeId) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get_mut(&id).filter(|slot| slot.power == Power::Paused) {
            self.handle.resume(slot.madsim_id);
            slot.power = Power::Up;
        }
    }

    /// Drops traffic from `from` to `to` (one direction); connections in flight stall.
    pub fn clog(&self, from: NodeId, to: NodeId) {
        let slots = self.slots();
        let (Some(a), Some(b)) = (slots.get(&from), slots.get(&to)) else { return };
        NetSim::current().clog_link(a.madsim_id, b.madsim_id);
        self.clogged().insert((from, to));
    }

    /// Lets traffic from `from` to `to` through again.
    pub fn unclog(&self, from: NodeId, to: NodeId) {
        let slots = self.slots();
        let (Some(a), Some(b)) = (slots.get(&from), slots.get(&to)) else { return };
        NetSim::current().unclog_link(a.madsim_id, b.madsim_id);
        self.clogged().remove(&(from, to));
    }

    /// Cuts every link between `side` and the other coupon nodes, both ways.
    pub fn partition(&self, side: &[NodeId]) {
        for other in self.ids().into_iter().filter(|id| !side.contains(id)) {
            for node in side {
                self.clog(*node, other);
                self.clog(other, *node);
            }
        }
    }

    /// Sets node `id`'s clock `skew` ahead of the simulated time (until it restarts or heals).
    pub fn skew_clock(&self, id: NodeId, skew: chrono::TimeDelta) {
        if let Some(node) = self.registry.get(id) {
            node.wall_clock.set_skew(skew);
        }
    }

    /// Undoes every clog, pause and clock skew, and restarts every killed node.
    pub fn heal(&self) {
        for id in self.registry.ids() {
            self.skew_clock(id, chrono::TimeDelta::zero());
        }
        let links: Vec<_> = std::mem::take(&mut *self.clogged()).into_iter().collect();
        for (from, to) in links {
            self.unclog(from, to);
        }
        for id in self.ids() {
            self.resume(id);
            self.restart(id);
        }
    }

    /// Sets the latency range and loss rate of every simulated link.
    pub fn set_network(&self, latency: std::ops::Range<Duration>, loss_rate: f64) {
        NetSim::current().update_config(|config| {
            config.send_latency = latency;
            config.packet_loss_rate = loss_rate;
        });
    }

    fn slots(&self) -> MutexGuard<'_, BTreeMap<NodeId, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn clogged(&self) -> MutexGuard<'_, BTreeSet<(NodeId, NodeId)>> {
        self.clogged.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
