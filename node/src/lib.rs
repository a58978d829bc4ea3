//! coupon-node: one member of the replicated coupon cluster.
//!
//! Configuration, the axum HTTP API, Raft RPC and its network, forwarding of writes to the
//! leader, linearizable reads, and the wiring that starts a node. HTTP goes through the
//! `Transport` seam, so the simulation serves these same routers over simulated TCP.
//!
//! Depends on raft-store and on the wire types of coupon-client (its HTTP client feature off);
//! must never depend on the simulation crate.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod alert_webhook;
pub mod app;
pub mod cluster_admin;
pub mod config;
mod convert;
pub mod http;
#[cfg(not(madsim))]
pub mod http_transport;
pub mod leadership;
pub mod limits;
pub mod log_format;
pub mod metrics;
pub mod node;
pub mod peer;
pub mod raft_network;
pub mod read_barrier;
pub mod service;
pub mod shutdown;
pub mod transport;
pub mod write;

pub use config::Config;
pub use node::{start, NodeError, RunningNode};

/// Runs a production node (its Raft log's files and sled in `config.data_dir`, HTTP over TCP)
/// until `shutdown`.
#[cfg(not(madsim))]
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), RunError> {
    let backend = raft_store::storage::DiskBackend::open(&config.data_dir)?;
    let transport = http_transport::HttpTransport::new()?;
    let node = start(config, transport, std::sync::Arc::new(backend)).await?;
    shutdown.await;
    tracing::info!("shutting down");
    node.stop().await;
    Ok(())
}

#[cfg(not(madsim))]
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot open the data directory: {0}")]
    Storage(#[from] raft_store::storage::BackendError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error(transparent)]
    Node(#[from] NodeError),
}
