//! `HttpTransport`: the production `Transport`, axum's server and a pooled reqwest client.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::shutdown::Shutdown;
use crate::transport::{
    PeerClient, PeerRequest, PeerResponse, Transport, TransportError, TransportErrorKind,
};

/// Idle keep-alive connections kept per peer: enough for the concurrent RPC streams of one node.
const IDLE_CONNECTIONS_PER_PEER_MAX: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct HttpTransport {
    client: Arc<ReqwestPeerClient>,
}

impl HttpTransport {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_PEER_MAX)
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { client: Arc::new(ReqwestPeerClient(client)) })
    }
}

struct ReqwestPeerClient(reqwest::Client);

impl PeerClient for ReqwestPeerClient {
    fn post(
        &self,
        request: PeerRequest,
    ) -> BoxFuture<'static, Result<PeerResponse, TransportError>> {
        let call = self
            .0
            .post(&request.url)
            .headers(request.headers)
            .timeout(request.timeout)
            .body(request.body);
        let url = request.url;
        async move {
            let response = call.send().await.map_err(|error| transport_error(&url, error))?;
            let status = response.status();
            let body = response.bytes().await.map_err(|error| transport_error(&url, error))?;
            Ok(PeerResponse { status, body })
        }
        .boxed()
    }
}

fn transport_error(url: &str, error: reqwest::Error) -> TransportError {
    let kind = if error.is_connect() {
        TransportErrorKind::Unreachable
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Broken
    };
    TransportError { kind, url: url.to_owned(), source: io::Error::other(error) }
}

impl Transport for HttpTransport {
    type Listener = tokio::net::TcpListener;

    fn peer_client(&self) -> Arc<dyn PeerClient> {
        self.client.clone()
    }

    async fn bind(&self, addr: &str) -> io::Result<(Self::Listener, SocketAddr)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        Ok((listener, local))
    }

    fn serve(
        &self,
        listener: Self::Listener,
        router: Router,
        shutdown: Shutdown,
    ) -> impl std::future::Future<Output = io::Result<()>> + Send + 'static {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        async move { axum::serve(listener, service).with_graceful_shutdown(shutdown.requested()).await }
    }
}
