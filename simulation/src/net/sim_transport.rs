//! `SimTransport`: the node's `Transport` seam over madsim's simulated TCP.
//!
//! Serving: an accept loop over `madsim::net::TcpListener` that hands each connection to hyper's
//! http1 `serve_connection` with the node's own axum `Router` (`axum::serve` would call the real
//! tokio reactor, which panics in simulation). Calling peers: `http_call`, hyper's http1 client.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::Router;
use coupon_node::shutdown::Shutdown;
use coupon_node::transport::{
    PeerClient, PeerRequest, PeerResponse, Transport, TransportError, TransportErrorKind,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use super::http_call::{http_call, socket_addr_of, FailureKind, HttpFailure};

#[derive(Clone, Default)]
pub struct SimTransport {
    client: Arc<SimPeerClient>,
}

impl SimTransport {
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Default)]
struct SimPeerClient;

impl PeerClient for SimPeerClient {
    fn post(
        &self,
        request: PeerRequest,
    ) -> BoxFuture<'static, Result<PeerResponse, TransportError>> {
        async move {
            let url = request.url.clone();
            let failure = |failure: HttpFailure| transport_error(&url, failure);
            let uri: http::Uri = url.parse().map_err(|error| {
                failure(HttpFailure { kind: FailureKind::Connect, error: io::Error::other(error) })
            })?;
            let addr = socket_addr_of(&uri).map_err(failure)?;
            let mut builder = http::Request::post(uri)
                .header(http::header::HOST, addr.to_string())
                .header(http::header::CONTENT_TYPE, "application/octet-stream");
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            let http_request = builder.body(request.body).map_err(|error| {
                failure(HttpFailure { kind: FailureKind::Connect, error: io::Error::other(error) })
            })?;
            let response = http_call(addr, http_request, request.timeout).await.map_err(failure)?;
            Ok(PeerResponse { status: response.status(), body: response.into_body() })
        }
        .boxed()
    }
}

fn transport_error(url: &str, failure: HttpFailure) -> TransportError {
    let kind = match failure.kind {
        FailureKind::Connect => TransportErrorKind::Unreachable,
        FailureKind::Timeout => TransportErrorKind::Timeout,
        FailureKind::Broken => TransportErrorKind::Broken,
    };
    TransportError { kind, url: url.to_owned(), source: failure.error }
}

impl Transport for SimTransport {
    type Listener = madsim::net::TcpListener;

    fn peer_client(&self) -> Arc<dyn PeerClient> {
        self.client.clone()
    }

    async fn bind(&self, addr: &str) -> io::Result<(Self::Listener, SocketAddr)> {
        let listener = madsim::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        Ok((listener, local))
    }

    // Not an `async fn`: the future must be `'static`, so it must not borrow `self`.
    #[allow(clippy::manual_async_fn)]
    fn serve(
        &self,
        listener: Self::Listener,
        router: Router,
        shutdown: Shutdown,
    ) -> impl std::future::Future<Output = io::Result<()>> + Send + 'static {
        async move {
            let stop = shutdown.requested();
            tokio::pin!(stop);
            loop {
                let (stream, peer) = tokio::select! {
                    _ = &mut stop => return Ok(()),
                    accepted = listener.accept() => accepted?,
                };
                // What `into_make_service_with_connect_info` gives production handlers.
                let service = TowerToHyperService::new(router.clone().map_request(
                    move |mut request: http::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(ConnectInfo(peer));
                        request
                    },
                ));
                // A connection's task lives on this node: a kill ends it with everything else.
                madsim::task::spawn(async move {
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
        }
    }
}
