//! `NodeSpec`: how one simulated coupon node is configured and started.
//!
//! The node is started with the real `coupon_node::start`, from flags parsed by the real
//! `Config::from_args`, inside its own madsim node, on its own `MemDisk`. The disk outlives the
//! madsim node: a restart runs `boot` again on the same disk.

use std::sync::Arc;

use coupon_node::Config;
use raft_store::storage::MemDisk;
use raft_store::NodeId;
use serde::Serialize;

use super::address::{api_addr, peer_addr};
use super::observer::Observer;
use super::registry::{LiveNode, Registry};
use super::use_probe::ProbedState;
use crate::net::SimTransport;
use crate::region::RegionLayout;

/// Raft and node timing for every node of a run, chosen per seed.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Timing {
    pub heartbeat_ms: u64,
    pub election_timeout_ms_min: u64,
    pub election_timeout_ms_max: u64,
    pub request_timeout_ms: u64,
    pub snapshot_every: u64,
    pub logs_kept_behind_snapshot: u64,
}

#[derive(Clone)]
pub struct NodeSpec {
    pub id: NodeId,
    /// The initial voters; empty for a spare node that waits to be added.
    pub initial_voters: Vec<NodeId>,
    pub timing: Timing,
    pub disk: Arc<MemDisk>,
    /// In a region run: where every voter sits and which region should lead.
    pub regions: Option<RegionLayout>,
}

impl NodeSpec {
    /// The command line this node is started with.
    pub fn args(&self) -> Vec<String> {
        let t = &self.timing;
        let mut args = vec![
            "coupon-node".to_owned(),
            format!("--node-id={}", self.id),
            format!("--api-addr={}", api_addr(self.id)),
            format!("--peer-addr={}", peer_addr(self.id)),
            format!("--heartbeat-ms={}", t.heartbeat_ms),
            format!("--election-timeout-ms-min={}", t.election_timeout_ms_min),
            format!("--election-timeout-ms-max={}", t.election_timeout_ms_max),
            format!("--request-timeout-ms={}", t.request_timeout_ms),
            format!("--snapshot-every={}", t.snapshot_every),
            format!("--logs-kept-behind-snapshot={}", t.logs_kept_behind_snapshot),
        ];
        let peers: Vec<String> = self
            .initial_voters
            .iter()
            .filter(|voter| **voter != self.id)
            .map(|voter| {
                let region = self.region_of(*voter).map(|r| format!("@{r}")).unwrap_or_default();
                format!("{voter}={}/{}{region}", api_addr(*voter), peer_addr(*voter))
            })
            .collect();
        if !peers.is_empty() {
            args.push(format!("--peers={}", peers.join(",")));
        }
        if let Some(layout) = &self.regions {
            args.extend(self.region_of(self.id).map(|region| format!("--region={region}")));
            args.push(format!("--preferred-leader-region={}", layout.preferred));
        }
        // One node initialises the cluster; the others wait to hear from it. A spare never
        // bootstraps: it joins when it is added through the API.
        let bootstraps = self.initial_voters.first() == Some(&self.id);
        args.push(if bootstraps { "--bootstrap" } else { "--no-bootstrap" }.to_owned());
        args
    }

    fn region_of(&self, id: NodeId) -> Option<crate::region::Region> {
        self.regions.as_ref().and_then(|layout| layout.node(id))
    }

    /// Starts the node and keeps it running until the madsim node is killed.
    pub async fn boot(self, registry: Registry, observer: Observer) {
        let config = match Config::from_args(self.args()) {
            Ok(config) => config,
            Err(error) => return observer.node_failed(self.id, format!("bad config: {error}")),
        };
        let storage = match raft_store::recovery::recover(self.disk.clone()) {
            Ok(storage) => storage,
            Err(error) => {
                return observer.node_failed(self.id, format!("recovery failed: {error}"))
            }
        };
        let (node, probe) = (self.id, observer.clone());
        let storage =
            storage.wrapped(|state| Arc::new(ProbedState { state, node, observer: probe }));
        let node = match coupon_node::start(config, SimTransport::new(), storage).await {
            Ok(node) => node,
            Err(error) => return observer.node_failed(self.id, format!("start failed: {error}")),
        };
        let live = LiveNode {
            raft: node.raft.clone(),
            state: node.state.clone(),
            wall_clock: node.wall_clock.clone(),
        };
        registry.insert(self.id, live);
        observer.watch(self.id, node.raft.clone(), node.state.clone(), self.disk.clone()).await;
        // Raft stopped by itself (the observer recorded why); keep the node as it is, like a
        // process that hangs after a fatal error, so the run's checks see it.
        std::future::pending::<()>().await;
        drop(node);
    }
}
