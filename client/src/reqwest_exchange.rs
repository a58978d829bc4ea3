//! [`ReqwestExchange`]: the production [`Exchange`], a pooled keep-alive `reqwest::Client`.

use std::time::Duration;

use bytes::Bytes;

use crate::config::ClientConfig;
use crate::error::ConfigError;
use crate::transport::{Exchange, TransportError};

/// Idle keep-alive connections are closed after this long.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle keep-alive connections kept per node; a load generator with more tasks opens more.
const POOL_IDLE_PER_HOST_MAX: usize = 64;

/// Sends requests with one shared `reqwest::Client`, so connections to each node are reused.
/// Cloning is cheap and shares the pool. HTTP/1.1, over TLS (rustls, the system roots plus a
/// given CA) for `https://` URIs when built with the `tls` feature; proxy environment variables
/// are ignored (cluster traffic goes straight to the nodes, and libraries do not read the
/// environment).
#[derive(Debug, Clone)]
pub struct ReqwestExchange {
    client: reqwest::Client,
}

impl ReqwestExchange {
    /// A pool whose connection attempts give up after `connect_timeout`, so a dead node is
    /// skipped quickly even when the request timeout is long.
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        Self::with_idle_per_host(connect_timeout, POOL_IDLE_PER_HOST_MAX)
    }

    /// As [`ReqwestExchange::new`], keeping up to `idle_per_host` idle connections per node.
    /// A program with more concurrent requests per node than that (a load generator) should
    /// raise it, or every request past the pool's size opens and closes a connection.
    pub fn with_idle_per_host(
        connect_timeout: Duration,
        idle_per_host: usize,
    ) -> Result<Self, TransportError> {
        Self::build(connect_timeout, idle_per_host, None)
    }

    /// The exchange `config` asks for: its connect timeout, and its CA certificate trusted.
    pub fn for_config(config: &ClientConfig) -> Result<Self, ConfigError> {
        Self::for_config_with_idle_per_host(config, POOL_IDLE_PER_HOST_MAX)
    }

    /// As [`ReqwestExchange::for_config`], keeping up to `idle_per_host` idle connections per
    /// node (see [`ReqwestExchange::with_idle_per_host`]).
    pub fn for_config_with_idle_per_host(
        config: &ClientConfig,
        idle_per_host: usize,
    ) -> Result<Self, ConfigError> {
        let ca = config.ca_cert_pem.as_deref();
        Ok(Self::build(config.connect_timeout, idle_per_host, ca)?)
    }

    fn build(
        connect_timeout: Duration,
        idle_per_host: usize,
        ca_cert_pem: Option<&[u8]>,
    ) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder();
        let client = with_tls(builder, ca_cert_pem)?
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(idle_per_host)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|error| {
                TransportError::io(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(Self { client })
    }
}

impl Exchange for ReqwestExchange {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let mut request = reqwest::Request::try_from(request)
            .map_err(|error| TransportError::connect(format!("bad request: {error}")))?;
        // reqwest's per-request timeout covers connecting, sending and reading the body.
        *request.timeout_mut() = Some(timeout);
        let response = self.client.execute(request).await.map_err(classify)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(classify)?;
        let mut answer = http::Response::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}

/// rustls, trusting the system roots and the certificates of `ca_cert_pem`.
#[cfg(feature = "tls")]
fn with_tls(
    builder: reqwest::ClientBuilder,
    ca_cert_pem: Option<&[u8]>,
) -> Result<reqwest::ClientBuilder, TransportError> {
    let mut builder = builder.use_rustls_tls();
    let Some(pem) = ca_cert_pem else { return Ok(builder) };
    let bad = |detail: String| TransportError::io(format!("the CA certificate: {detail}"));
    let certificates =
        reqwest::Certificate::from_pem_bundle(pem).map_err(|e| bad(e.to_string()))?;
    if certificates.is_empty() {
        return Err(bad("no PEM certificate in it".to_owned()));
    }
    for certificate in certificates {
        builder = builder.add_root_certificate(certificate);
    }
    Ok(builder)
}

/// Built without the `tls` feature: a CA certificate cannot be used.
#[cfg(not(feature = "tls"))]
fn with_tls(
    builder: reqwest::ClientBuilder,
    ca_cert_pem: Option<&[u8]>,
) -> Result<reqwest::ClientBuilder, TransportError> {
    match ca_cert_pem {
        Some(_) => Err(TransportError::io("built without the `tls` feature".to_owned())),
        None => Ok(builder),
    }
}

/// Connect first: a connect timeout never reached the server, which is the safer fact to keep.
fn classify(error: reqwest::Error) -> TransportError {
    let message = with_causes(&error);
    if error.is_connect() {
        TransportError::connect(message)
    } else if error.is_timeout() {
        TransportError::timeout(message)
    } else {
        TransportError::io(message)
    }
}

/// reqwest's own message omits the cause ("connection refused"), which is the useful part.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

#[cfg(all(test, not(madsim)))]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::ReqwestExchange;
    use crate::transport::{Exchange, TransportErrorKind};

    fn request(address: std::net::SocketAddr) -> http::Request<Bytes> {
        http::Request::get(format!("http://{address}/healthz")).body(Bytes::new()).unwrap()
    }

    #[tokio::test]
    async fn answers_come_back_whole_with_their_headers() {
        // Goal: status, headers and body survive the reqwest round trip on a real socket.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await.unwrap();
            let answer =
                "HTTP/1.1 201 Created\r\nIdempotent-Replayed: true\r\ncontent-length: 2\r\n\r\n{}";
            socket.write_all(answer.as_bytes()).await.unwrap();
        });
        let exchange = ReqwestExchange::new(Duration::from_secs(1)).unwrap();
        let response = exchange.send(request(address), Duration::from_secs(5)).await.unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["idempotent-replayed"], "true");
        assert_eq!(response.body().as_ref(), b"{}");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn refused_and_silent_nodes_are_classified() {
        // Goal: a closed port is `Connect` (never delivered), a node that accepts but never
        // answers is `Timeout` (outcome unknown).
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let exchange = ReqwestExchange::new(Duration::from_secs(1)).unwrap();
        let error = exchange.send(request(closed), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(error.kind, TransportErrorKind::Connect, "{error}");

        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = silent.local_addr().unwrap();
        let error = exchange.send(request(address), Duration::from_millis(100)).await.unwrap_err();
        assert_eq!(error.kind, TransportErrorKind::Timeout, "{error}");
        drop(silent);
    }
}
