//! `AppState`: what the HTTP handlers of one node share.

use std::ops::Deref;
use std::sync::Arc;

use raft_store::{NodeId, Raft, Region};

use super::RateLimit;
use crate::cluster_admin::ClusterAdmin;
use crate::metrics::Metrics;
use crate::service::{CouponService, KeyService};

pub struct App {
    pub node_id: NodeId,
    pub region: Option<Region>,
    pub preferred_leader_region: Option<Region>,
    pub raft: Raft,
    pub service: CouponService,
    pub keys: KeyService,
    pub admin: ClusterAdmin,
    pub metrics: Arc<Metrics>,
    /// `None`: no per-client limit.
    pub rate_limit: Option<Arc<RateLimit>>,
}

#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        Self(Arc::new(app))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
