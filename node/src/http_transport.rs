//! `HttpTransport`: the production `Transport`: the bounded `AcceptLoop` (TLS when the node has
//! a certificate) and a pooled reqwest client for peers and the webhook (https when the node
//! serves TLS, trusting the system roots plus `--tls-ca`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::accept_loop::AcceptLoop;
use crate::limits;
use crate::shutdown::Shutdown;
use crate::tls::{ServerTls, TrustedCa};
use crate::transport::{
    PeerClient, PeerRequest, PeerResponse, Transport, TransportError, TransportErrorKind,
};

/// Idle keep-alive connections kept per peer: enough for the concurrent RPC streams of one node.
const IDLE_CONNECTIONS_PER_PEER_MAX: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct HttpTransport {
    client: Arc<ReqwestPeerClient>,
    tls: Option<ServerTls>,
    connections_max: usize,
}

/// How a node serves and calls: `Default` is plain HTTP with the default connection bound.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Both listeners serve TLS with it, and every peer call goes to `https://`.
    pub tls: Option<ServerTls>,
    /// Trusted beside the system roots by peer calls and webhook deliveries.
    pub trusted_ca: Option<TrustedCa>,
    /// Connections each listener holds at once.
    pub connections_max: usize,
    /// The local address every outgoing connection is bound to; `None`: the system chooses.
    pub source_addr: Option<std::net::IpAddr>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            tls: None,
            trusted_ca: None,
            connections_max: limits::CONNECTIONS_DEFAULT,
            source_addr: None,
        }
    }
}

impl HttpTransport {
    /// Plain HTTP, the default connection bound.
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_options(HttpOptions::default())
    }

    pub fn with_options(options: HttpOptions) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_PEER_MAX)
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .local_address(options.source_addr);
        for certificate in options.trusted_ca.into_iter().flat_map(|ca| ca.0) {
            builder = builder.add_root_certificate(certificate);
        }
        let scheme = if options.tls.is_some() { "https" } else { "http" };
        let client = ReqwestPeerClient { client: builder.build()?, scheme };
        Ok(Self {
            client: Arc::new(client),
            tls: options.tls,
            connections_max: options.connections_max,
        })
    }
}

struct ReqwestPeerClient {
    client: reqwest::Client,
    /// `https` when this node serves TLS: a cluster's nodes all do, or none.
    scheme: &'static str,
}

impl PeerClient for ReqwestPeerClient {
    fn peer_scheme(&self) -> &'static str {
        self.scheme
    }

    fn post(
        &self,
        request: PeerRequest,
    ) -> BoxFuture<'static, Result<PeerResponse, TransportError>> {
        let call = self
            .client
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
        let tls = self.tls.clone();
        let connections_max = self.connections_max;
        AcceptLoop { listener, router, tls, connections_max, shutdown }.run()
    }
}
