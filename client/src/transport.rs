//! The outgoing-HTTP seam: [`Exchange`] sends one request to one node and returns its answer.
//!
//! The client's logic (failover, retries, idempotency keys, decoding) never touches a socket
//! itself, so the same client runs over reqwest in production ([`crate::ReqwestExchange`],
//! behind the `http` feature), over madsim TCP in simulation, and over an in-memory fake in
//! unit tests. Only `http` and `bytes` types cross the seam.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use thiserror::Error;

/// Sends one HTTP request and waits for the whole response.
///
/// The request URI is absolute (`http://host:port/path?query`) and carries a `Host` header;
/// the implementation connects to the URI's authority. It must give up after `timeout` with a
/// [`TransportErrorKind::Timeout`], and read the whole body before returning, so a slow body
/// cannot outlive the timeout. Any HTTP status, 5xx included, is an `Ok`: statuses are the
/// client's business, not the transport's.
pub trait Exchange: Send + Sync + 'static {
    /// Sends `request` and returns the response with its full body.
    fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Duration,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send;
}

/// The request did not produce an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    /// What went wrong, for retry decisions.
    pub kind: TransportErrorKind,
    /// What the underlying library said, for humans.
    pub message: String,
}

/// The classes of transport failure. All of them make the client try another node; they
/// differ in what is known about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// No connection could be made: the request was certainly not delivered.
    Connect,
    /// No complete response in time: the request may or may not have been applied.
    Timeout,
    /// The connection failed mid-exchange: the request may or may not have been applied.
    Io,
}

impl TransportError {
    /// A failure of the given kind.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// A connection could not be made.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, message)
    }

    /// The request timed out.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Timeout, message)
    }

    /// The connection broke.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Io, message)
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Connect => "connect error",
            Self::Timeout => "timeout",
            Self::Io => "i/o error",
        })
    }
}
