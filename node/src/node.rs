//! Starting and stopping one node: storage, Raft, the write and read paths, both listeners and
//! the background tasks (proposal batching, alert delivery, rate-limit pruning).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use raft_store::recovery::Recovered;
use raft_store::{LogStore, NodeId, Raft, StateHandle, StateMachine};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::alert_webhook::AlertWebhook;
use crate::cluster_admin::{AdminError, ClusterAdmin, Prober};
use crate::config::{Bootstrap, Config};
use crate::election_gate::ElectionGate;
use crate::forward::Forwarder;
use crate::handoff_gate::HandoffGate;
use crate::http::{App, AppState, RateLimit};
use crate::leader_preference::LeaderPreference;
use crate::metrics::Metrics;
use crate::peer::PeerRpc;
use crate::peer_server::{peer_router, PeerState};
use crate::raft_network::PeerNetwork;
use crate::read_barrier::ReadBarrier;
use crate::service::{CouponService, KeyService};
use crate::shutdown::{shutdown_channel, Shutdown, ShutdownTrigger};
use crate::transport::Transport;
use crate::wall_clock::WallClock;
use crate::write::{Proposer, Writer};

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
    #[error("invalid raft configuration: {0}")]
    RaftConfig(#[from] Box<openraft::ConfigError>),
    #[error("raft failed to start: {0}")]
    Raft(#[from] openraft::error::Fatal<NodeId>),
    #[error("storage: {0}")]
    Recovery(#[from] raft_store::StoreError),
    #[error("bootstrap: {0}")]
    Bootstrap(#[from] AdminError),
}

/// A started node. Dropping it stops its servers and background tasks; `stop` also waits for
/// them and shuts Raft down.
pub struct RunningNode {
    pub node_id: NodeId,
    pub api_addr: SocketAddr,
    pub peer_addr: SocketAddr,
    pub raft: Raft,
    pub state: StateHandle,
    pub metrics: Arc<Metrics>,
    /// The node's time of day (the simulation skews it).
    pub wall_clock: Arc<WallClock>,
    trigger: ShutdownTrigger,
    servers: Vec<JoinHandle<io::Result<()>>>,
}

/// The parts of a node that its routers and background tasks share.
struct Parts {
    raft: Raft,
    keys: KeyService,
    state: StateHandle,
    barrier: ReadBarrier,
    admin: ClusterAdmin,
    proposer: Proposer,
    metrics: Arc<Metrics>,
    wall_clock: Arc<WallClock>,
}

/// Starts a node on `storage` (`raft_store::recovery::recover` of its backend) with `transport`;
/// returns once both listeners are bound.
pub async fn start<T: Transport>(
    config: Config,
    transport: T,
    storage: Recovered,
) -> Result<RunningNode, NodeError> {
    let span = tracing::info_span!("node", id = config.node_id);
    start_in_span(config, transport, storage).instrument(span).await
}

async fn start_in_span<T: Transport>(
    config: Config,
    transport: T,
    storage: Recovered,
) -> Result<RunningNode, NodeError> {
    let bind = |addr: String| async {
        transport.bind(&addr).await.map_err(|source| NodeError::Bind { addr, source })
    };
    let (api_listener, api_addr) = bind(config.api_addr.clone()).await?;
    let (peer_listener, peer_addr) = bind(config.peer_addr.clone()).await?;
    let (trigger, shutdown) = shutdown_channel();
    let parts = assemble(&config, &transport, storage, &shutdown).await?;
    spawn_background(&config, &transport, &parts, &shutdown);

    let rate_limit =
        RateLimit::new(config.rate_limit.per_second, config.rate_limit.burst).map(Arc::new);
    if let Some(limit) = &rate_limit {
        tokio::spawn(limit.clone().prune_until(shutdown.clone()).in_current_span());
    }
    let service = CouponService::new(
        parts.proposer.clone(),
        parts.barrier.clone(),
        parts.state.clone(),
        parts.wall_clock.clone(),
    );
    let app = App {
        node_id: config.node_id,
        region: config.region.clone(),
        preferred_leader_region: config.preferred_leader_region.clone(),
        raft: parts.raft.clone(),
        service,
        keys: parts.keys.clone(),
        admin: parts.admin.clone(),
        metrics: parts.metrics.clone(),
        rate_limit,
    };
    let api =
        crate::http::router(AppState::new(app), config.max_body_bytes, config.request_timeout);
    let peer = PeerState {
        node_id: config.node_id,
        raft: parts.raft.clone(),
        proposer: parts.proposer.clone(),
        barrier: parts.barrier.clone(),
        admin: parts.admin.clone(),
        keys: parts.keys.clone(),
        secret: config.cluster_secret.as_deref().map(Arc::from),
        region: config.region.clone(),
        wall_clock: parts.wall_clock.clone(),
    };
    let servers = vec![
        tokio::spawn(transport.serve(api_listener, api, shutdown.clone()).in_current_span()),
        tokio::spawn(
            transport.serve(peer_listener, peer_router(peer), shutdown.clone()).in_current_span(),
        ),
    ];

    bootstrap(&config, &parts.raft, &parts.admin, api_addr, peer_addr).await?;
    tracing::info!(%api_addr, %peer_addr, "node started");
    let Parts { raft, state, metrics, wall_clock, .. } = parts;
    Ok(RunningNode {
        node_id: config.node_id,
        api_addr,
        peer_addr,
        raft,
        state,
        metrics,
        wall_clock,
        trigger,
        servers,
    })
}

/// Opens Raft on the storage and builds the write and read paths around it.
async fn assemble<T: Transport>(
    config: &Config,
    transport: &T,
    storage: Recovered,
    shutdown: &Shutdown,
) -> Result<Parts, NodeError> {
    let backend = storage.backend().clone();
    let rpc = PeerRpc::new(transport.peer_client(), config.cluster_secret.as_deref());
    let state_machine = StateMachine::new(backend.clone());
    let state = state_machine.handle();
    let raft_config = Arc::new(config.openraft()?);
    let network = PeerNetwork::new(rpc.clone());
    let raft =
        Raft::new(config.node_id, raft_config, network, LogStore::new(backend), state_machine)
            .await?;

    let metrics = Arc::new(Metrics::new());
    let timeout = config.request_timeout;
    let prober = Prober::new(rpc.clone(), config.cluster_secret.as_deref().map(Arc::from));
    let forwarder = Forwarder::new(raft.clone(), config.node_id, rpc.clone());
    let gate = ElectionGate { forwarder: forwarder.clone(), interval: config.raft.heartbeat };
    tokio::spawn(gate.run(shutdown.clone()).in_current_span());
    let wall_clock = Arc::new(WallClock::default());
    let handoff = Arc::new(HandoffGate::new());
    let writer = Writer::new(
        forwarder.clone(),
        timeout,
        wall_clock.clone(),
        metrics.clone(),
        handoff.clone(),
    );
    tokio::spawn(crate::write::tick_log_time(writer.clone(), shutdown.clone()).in_current_span());
    let jobs = crate::write::run_code_jobs(
        writer.clone(),
        forwarder.clone(),
        state.clone(),
        shutdown.clone(),
    );
    tokio::spawn(jobs.in_current_span());
    let barrier = ReadBarrier::new(forwarder.clone(), timeout, handoff.clone());
    if let Some(preferred) = &config.preferred_leader_region {
        let preference = LeaderPreference {
            raft: raft.clone(),
            rpc: rpc.clone(),
            prober: prober.clone(),
            gate: handoff,
            preferred: preferred.clone(),
            lease: config.raft.election_timeout_max,
            election_timeout_min: config.raft.election_timeout_min,
            metrics: metrics.clone(),
        };
        tokio::spawn(preference.run(shutdown.clone()).in_current_span());
    }
    let admin = ClusterAdmin::new(forwarder, prober, timeout);
    let (proposer, batches) = Proposer::new(
        writer,
        config.max_in_flight_proposals,
        config.batch_linger,
        metrics.clone(),
        shutdown.clone(),
    );
    tokio::spawn(batches.in_current_span());
    let keys = KeyService::new(
        proposer.clone(),
        barrier.clone(),
        state.clone(),
        raft.clone(),
        rpc,
        config.admin_key.as_deref(),
        timeout,
    );
    Ok(Parts { raft, keys, state, barrier, admin, proposer, metrics, wall_clock })
}

fn spawn_background<T: Transport>(
    config: &Config,
    transport: &T,
    parts: &Parts,
    shutdown: &Shutdown,
) {
    let install = parts.keys.clone().install_bootstrap_key(config.node_id, shutdown.clone());
    tokio::spawn(install.in_current_span());
    if let Some(url) = &config.alert_webhook {
        let webhook = AlertWebhook {
            url: url.clone(),
            node_id: config.node_id,
            raft: parts.raft.clone(),
            state: parts.state.clone(),
            proposer: parts.proposer.clone(),
            client: transport.peer_client(),
            metrics: parts.metrics.clone(),
            secret: config.alert_webhook_secret.as_deref().map(Arc::from),
        };
        tokio::spawn(webhook.run(shutdown.clone()).in_current_span());
    }
}

/// Initialises a new cluster when configured to and this node has never belonged to one.
async fn bootstrap(
    config: &Config,
    raft: &Raft,
    admin: &ClusterAdmin,
    api_addr: SocketAddr,
    peer_addr: SocketAddr,
) -> Result<(), NodeError> {
    if config.bootstrap == Bootstrap::Never || raft.is_initialized().await? {
        return Ok(());
    }
    let mut members = config.peers.clone();
    members.insert(config.node_id, config.this_node(api_addr, peer_addr));
    tracing::info!(members = members.len(), "bootstrapping a new cluster");
    match admin.initialize(members).await {
        Ok(()) | Err(AdminError::AlreadyInitialized) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

impl RunningNode {
    /// Stops serving and the background tasks, then stops Raft.
    pub async fn stop(mut self) {
        self.trigger.fire();
        for server in self.servers.drain(..) {
            let _ = server.await;
        }
        if let Err(error) = self.raft.shutdown().await {
            tracing::warn!(%error, "raft did not shut down cleanly");
        }
    }
}
