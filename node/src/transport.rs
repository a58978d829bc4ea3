//! The `Transport` seam: how a node serves its routers and calls its peers.
//!
//! Everything above it (handlers, forwarding, Raft RPC) is written once. Production uses
//! `HttpTransport` (a bounded accept loop with optional TLS, a pooled reqwest client); the simulation plugs in hyper over
//! madsim's simulated TCP and serves the very same routers.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderMap, StatusCode};

use crate::shutdown::Shutdown;

/// One POST to another node (or to a webhook).
#[derive(Clone, Debug)]
pub struct PeerRequest {
    /// `http://host:port/path`, or `https://` when the nodes serve TLS.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct PeerResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Whether the request may have been delivered: that decides if retrying it is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The connection was never made: the peer did not see the request.
    Unreachable,
    /// No answer in time: the peer may or may not have acted on it.
    Timeout,
    /// The connection broke during the exchange: as uncertain as a timeout.
    Broken,
}

#[derive(Debug, thiserror::Error)]
#[error("{kind:?} calling {url}: {source}")]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub url: String,
    #[source]
    pub source: io::Error,
}

/// Outgoing calls, object-safe so that the node's components share one `Arc<dyn PeerClient>`.
pub trait PeerClient: Send + Sync + 'static {
    /// The scheme of peer URLs: `https` when the nodes serve TLS.
    fn peer_scheme(&self) -> &'static str {
        "http"
    }

    fn post(
        &self,
        request: PeerRequest,
    ) -> BoxFuture<'static, Result<PeerResponse, TransportError>>;
}

/// Listening and serving, used once when a node starts.
pub trait Transport: Send + Sync + 'static {
    type Listener: Send + 'static;

    fn peer_client(&self) -> Arc<dyn PeerClient>;

    /// Binds `addr`; returns the listener and the address actually bound (port 0 picks one).
    fn bind(
        &self,
        addr: &str,
    ) -> impl Future<Output = io::Result<(Self::Listener, SocketAddr)>> + Send;

    /// Serves `router` on `listener` until `shutdown`, then stops accepting and returns. The
    /// future owns what it needs: the node spawns it.
    fn serve(
        &self,
        listener: Self::Listener,
        router: Router,
        shutdown: Shutdown,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static;
}
