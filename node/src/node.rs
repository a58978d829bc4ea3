//! Starting and stopping one node: storage, Raft, the write and read paths, both listeners.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use raft_store::storage::Backend;
use raft_store::{LogStore, NodeId, NodeInfo, Raft, StateHandle, StateMachine};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::app::{App, AppState};
use crate::cluster_admin::ClusterAdmin;
use crate::config::{Bootstrap, Config};
use crate::http;
use crate::peer::{peer_router, PeerRpc, PeerState};
use crate::raft_network::PeerNetwork;
use crate::read_barrier::ReadBarrier;
use crate::service::CouponService;
use crate::shutdown::{shutdown_channel, ShutdownTrigger};
use crate::transport::Transport;
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
    Storage(#[from] raft_store::storage::BackendError),
    #[error("bootstrap: {0}")]
    Bootstrap(#[from] crate::cluster_admin::AdminError),
}

/// A started node. Dropping it stops it.
pub struct RunningNode {
    pub node_id: NodeId,
    pub api_addr: SocketAddr,
    pub peer_addr: SocketAddr,
    pub raft: Raft,
    pub state: StateHandle,
    trigger: ShutdownTrigger,
    servers: Vec<JoinHandle<io::Result<()>>>,
}

/// Starts a node on `backend` with `transport`; returns once both listeners are bound.
pub async fn start<T: Transport>(
    config: Config,
    transport: T,
    backend: Arc<dyn Backend>,
) -> Result<RunningNode, NodeError> {
    let span = tracing::info_span!("node", id = config.node_id);
    start_in_span(config, transport, backend).instrument(span).await
}

async fn start_in_span<T: Transport>(
    config: Config,
    transport: T,
    backend: Arc<dyn Backend>,
) -> Result<RunningNode, NodeError> {
    let bind = |addr: String| async {
        transport.bind(&addr).await.map_err(|source| NodeError::Bind { addr, source })
    };
    let (api_listener, api_addr) = bind(config.api_addr.clone()).await?;
    let (peer_listener, peer_addr) = bind(config.peer_addr.clone()).await?;

    let rpc = PeerRpc::new(transport.peer_client(), config.cluster_secret.as_deref());
    let state_machine = StateMachine::new(backend.clone());
    let state = state_machine.handle();
    let raft_config = Arc::new(config.openraft()?);
    let network = PeerNetwork::new(rpc.clone());
    let raft =
        Raft::new(config.node_id, raft_config, network, LogStore::new(backend), state_machine)
            .await?;

    let (trigger, shutdown) = shutdown_channel();
    let writer = Writer::new(raft.clone(), config.node_id, rpc.clone(), config.request_timeout);
    let barrier =
        ReadBarrier::new(raft.clone(), config.node_id, rpc.clone(), config.request_timeout);
    let admin = ClusterAdmin::new(raft.clone(), config.node_id, rpc, config.request_timeout);
    let (proposer, batches) =
        Proposer::new(writer.clone(), config.max_in_flight_proposals, shutdown.clone());
    tokio::spawn(batches.in_current_span());

    let service = CouponService::new(proposer, barrier.clone(), state.clone());
    let app = AppState::new(App {
        node_id: config.node_id,
        raft: raft.clone(),
        service,
        admin: admin.clone(),
    });
    let api = http::router(app, config.max_body_bytes, config.request_timeout);
    let secret = config.cluster_secret.as_deref().map(Arc::from);
    let peers = peer_router(PeerState {
        raft: raft.clone(),
        writer,
        barrier,
        admin: admin.clone(),
        secret,
    });
    let servers = vec![
        tokio::spawn(transport.serve(api_listener, api, shutdown.clone()).in_current_span()),
        tokio::spawn(transport.serve(peer_listener, peers, shutdown.clone()).in_current_span()),
    ];

    bootstrap(&config, &raft, &admin, api_addr, peer_addr).await?;
    tracing::info!(%api_addr, %peer_addr, "node started");
    Ok(RunningNode { node_id: config.node_id, api_addr, peer_addr, raft, state, trigger, servers })
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
    let this = NodeInfo { api_addr: api_addr.to_string(), peer_addr: peer_addr.to_string() };
    members.insert(config.node_id, this);
    tracing::info!(members = members.len(), "bootstrapping a new cluster");
    match admin.initialize(members).await {
        Ok(()) | Err(crate::cluster_admin::AdminError::AlreadyInitialized) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

impl RunningNode {
    /// Stops serving, then stops Raft.
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
