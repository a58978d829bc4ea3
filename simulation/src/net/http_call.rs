//! One HTTP/1.1 exchange over madsim's simulated TCP: connect, send, read the whole answer.
//!
//! Both outgoing seams (the node's `PeerClient`, the client's `Exchange`) go through here, so
//! every request in a run crosses the simulated network and is subject to its partitions, clogs,
//! latency and kills. One connection per request: pooling would only hide connection failures,
//! and a fresh connect is what tells "never delivered" (refused) from "maybe delivered". In a
//! region run every exchange also crosses the run's wide-area delays (`wan`), which model the
//! connection pools of production.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use super::wan;

/// How an exchange failed, in the terms both seams need for their retry decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The connection was refused (partition, dead node): the request was not delivered.
    Connect,
    /// No whole answer before the deadline: the request may have been acted on.
    Timeout,
    /// The connection broke mid-exchange: as uncertain as a timeout.
    Broken,
}

#[derive(Debug)]
pub struct HttpFailure {
    pub kind: FailureKind,
    pub error: io::Error,
}

impl HttpFailure {
    fn new(kind: FailureKind, error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self { kind, error: io::Error::other(error) }
    }
}

/// Sends `request` to `addr` and returns the response with its whole body, within `timeout`.
pub async fn http_call(
    addr: SocketAddr,
    request: http::Request<Bytes>,
    timeout: Duration,
) -> Result<http::Response<Bytes>, HttpFailure> {
    match madsim::time::timeout(timeout, exchange_over_wan(addr, request)).await {
        Ok(answer) => answer,
        Err(_) => Err(HttpFailure::new(FailureKind::Timeout, format!("no answer in {timeout:?}"))),
    }
}

async fn exchange_over_wan(
    addr: SocketAddr,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, HttpFailure> {
    let Some(route) = wan::route(addr) else { return exchange(addr, request).await };
    route.send().await;
    let response = exchange(addr, request).await?;
    route.deliver().await;
    Ok(response)
}

async fn exchange(
    addr: SocketAddr,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, HttpFailure> {
    let stream = madsim::net::TcpStream::connect(addr)
        .await
        .map_err(|error| HttpFailure { kind: FailureKind::Connect, error })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| HttpFailure::new(FailureKind::Broken, error))?;
    // The connection task ends when the exchange is over or the sender is dropped (timeout).
    madsim::task::spawn(async move {
        let _ = connection.await;
    });
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, Full::new(body));
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| HttpFailure::new(FailureKind::Broken, error))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|error| HttpFailure::new(FailureKind::Broken, error))?
        .to_bytes();
    Ok(http::Response::from_parts(parts, body))
}

/// The socket address of an `http://host:port/...` URI, or of a bare `host:port`.
pub fn socket_addr_of(uri: &http::Uri) -> Result<SocketAddr, HttpFailure> {
    let authority = uri
        .authority()
        .ok_or_else(|| HttpFailure::new(FailureKind::Connect, format!("no authority in {uri}")))?;
    authority
        .as_str()
        .parse()
        .map_err(|_| HttpFailure::new(FailureKind::Connect, format!("not ip:port: {authority}")))
}
