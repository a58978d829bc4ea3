//! [`ClientError`]: everything a client call can fail with, and the one place that decides
//! which failures are worth retrying and where.

use std::time::Duration;

use thiserror::Error;

use crate::api::{ErrorCode, Problem};
use crate::transport::TransportError;

/// The result of a client call.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// Why a call failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server answered with a problem+json error.
    #[error("{problem}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The decoded body.
        problem: Problem,
        /// The `Retry-After` header, if any (429, 503).
        retry_after: Option<Duration>,
    },
    /// No HTTP answer: connection refused, timed out, broken.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An answer whose body is not what the contract says (a success body of the wrong shape,
    /// or an error that is not problem+json, such as a proxy's HTML page).
    #[error("cannot decode the {status} response: {source}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be encoded (never sent).
    #[error("cannot encode the request: {0}")]
    Encode(#[source] serde_json::Error),
    /// The request could not be built for this node (never sent).
    #[error("cannot build the request: {0}")]
    Request(#[from] http::Error),
}

/// Why a client could not be built.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The node list is empty.
    #[error("no nodes given")]
    NoNodes,
    /// The API key cannot be sent in a header (it holds characters other than visible ASCII).
    #[error("the API key must be visible ASCII characters")]
    InvalidApiKey,
    /// A node is not a `host:port` authority.
    #[error("node {node:?} is not host:port: {source}")]
    InvalidNode {
        /// The address as given.
        node: String,
        /// Why it does not parse.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// Some nodes are given as `http://` and others as `https://`, or as `http://` with a CA
    /// certificate: one client speaks one scheme.
    #[error("the nodes mix http:// and https:// (a CA certificate implies https://)")]
    MixedSchemes,
    /// The transport could not start.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What to do about a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryAdvice {
    /// Try another node: this one is down, unreachable or cannot serve (no leader, shedding).
    pub switch_node: bool,
    /// The server's `Retry-After`, a floor on the wait.
    pub retry_after: Option<Duration>,
}

impl ClientError {
    /// The problem's code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { problem, .. } => Some(problem.code),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether sending the same request again (with the same `Idempotency-Key`) may succeed.
    ///
    /// Yes for transport failures, 503 (`unavailable`, `not_leader`), 504 `timeout` (the outcome
    /// is unknown; the key makes the retry safe) and 429 `rate_limited`, and for gateway
    /// statuses (502, 503, 504) whose body is not ours. Never for 4xx rejections and
    /// validation errors, which would only be refused again, nor for 500.
    pub fn is_retryable(&self) -> bool {
        self.retry_advice().is_some()
    }

    /// `is_retryable`, with where to retry and the server's wait. The only retry classifier.
    pub(crate) fn retry_advice(&self) -> Option<RetryAdvice> {
        let advice = |switch_node, retry_after| Some(RetryAdvice { switch_node, retry_after });
        match self {
            Self::Transport(_) => advice(true, None),
            Self::Api { problem, retry_after, .. } => match problem.code {
                // No outcome from this node: another one may be on the leader's side of a
                // partition. The same key makes the move safe even when the write went through.
                ErrorCode::Unavailable | ErrorCode::NotLeader | ErrorCode::Timeout => {
                    advice(true, *retry_after)
                }
                // Rate limits are per client: moving to another node would dodge, not obey.
                ErrorCode::RateLimited => advice(false, *retry_after),
                _ => None,
            },
            Self::Decode { status: 502..=504, .. } => advice(true, None),
            Self::Decode { .. } | Self::Encode(_) | Self::Request(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ClientError;
    use crate::api::{ErrorCode, Problem};
    use crate::transport::TransportError;

    fn api(code: ErrorCode) -> ClientError {
        ClientError::Api {
            status: code.status(),
            problem: Problem::from_code(code),
            retry_after: None,
        }
    }

    #[test]
    fn retryable_codes() {
        let retryable = [
            ErrorCode::Unavailable,
            ErrorCode::NotLeader,
            ErrorCode::Timeout,
            ErrorCode::RateLimited,
        ];
        for code in ErrorCode::ALL {
            assert_eq!(api(code).is_retryable(), retryable.contains(&code), "{code:?}");
        }
    }

    #[test]
    fn where_to_retry() {
        let switch = |error: ClientError| error.retry_advice().map(|advice| advice.switch_node);
        assert_eq!(switch(TransportError::connect("refused").into()), Some(true));
        assert_eq!(switch(TransportError::timeout("slow").into()), Some(true));
        assert_eq!(switch(api(ErrorCode::Unavailable)), Some(true));
        assert_eq!(switch(api(ErrorCode::Timeout)), Some(true));
        assert_eq!(switch(api(ErrorCode::RateLimited)), Some(false));
        assert_eq!(switch(api(ErrorCode::UsageLimitReached)), None);
    }

    #[test]
    fn retry_after_is_passed_on() {
        let error = ClientError::Api {
            status: 503,
            problem: Problem::from_code(ErrorCode::Unavailable),
            retry_after: Some(Duration::from_secs(2)),
        };
        let advice = error.retry_advice().unwrap();
        assert_eq!(advice.retry_after, Some(Duration::from_secs(2)));
    }

    #[test]
    fn undecodable_bodies_retry_only_on_gateway_statuses() {
        let decode = |status| ClientError::Decode {
            status,
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert!(decode(502).is_retryable());
        assert!(decode(503).is_retryable());
        assert!(!decode(200).is_retryable());
        assert!(!decode(500).is_retryable());
        assert_eq!(decode(200).code(), None);
        assert_eq!(api(ErrorCode::Expired).code(), Some(ErrorCode::Expired));
    }
}
