//! [`Answer`]: a successful (2xx) response, or the [`ClientError`] a non-2xx one stands for.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::api::header::{IDEMPOTENT_REPLAYED, LEADER_HINT, RETRY_AFTER};
use crate::api::Problem;
use crate::error::{ClientError, Result};

/// A 2xx response, reduced to what the client uses.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Bytes,
    /// `Idempotent-Replayed: true`: this is the stored first answer to the same key.
    pub replayed: bool,
}

/// What the answering node said about itself and the leader, success or not.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeHints {
    /// The `X-Coupon-Leader` header: the leader's API address as this node knows it.
    pub leader: Option<String>,
}

impl NodeHints {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let leader = headers
            .get(LEADER_HINT)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty());
        Self { leader }
    }
}

impl Answer {
    /// Splits a response into a success, or the error its problem body describes.
    pub fn from_response(response: http::Response<Bytes>) -> Result<Self> {
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        if response_is_success(status) {
            let replayed = header_is_true(&parts.headers, IDEMPOTENT_REPLAYED);
            return Ok(Self { status, body, replayed });
        }
        match serde_json::from_slice::<Problem>(&body) {
            Ok(problem) => {
                Err(ClientError::Api { status, problem, retry_after: retry_after(&parts.headers) })
            }
            Err(source) => Err(ClientError::Decode { status, source }),
        }
    }

    /// The body as `T`; a body of the wrong shape is a `Decode` error, never retried.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|source| ClientError::Decode { status: self.status, source })
    }
}

fn response_is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn header_is_true(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// `Retry-After` as whole seconds (the contract's form). An HTTP date or garbage is ignored
/// rather than guessed at: the policy's own backoff still applies.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::{Answer, NodeHints};
    use crate::api::ErrorCode;
    use crate::error::ClientError;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Bytes> {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn success_with_replay_flag() {
        let answer =
            Answer::from_response(response(201, &[("idempotent-replayed", "true")], "{}")).unwrap();
        assert!(answer.replayed);
        let answer = Answer::from_response(response(200, &[], "{}")).unwrap();
        assert!(!answer.replayed);
    }

    #[test]
    fn problems_become_api_errors_with_retry_after() {
        let body = r#"{"type":"about:blank","title":"Service unavailable","status":503,"code":"unavailable"}"#;
        let error =
            Answer::from_response(response(503, &[("retry-after", "2")], body)).unwrap_err();
        let ClientError::Api { status, problem, retry_after } = error else { panic!("{error:?}") };
        assert_eq!(
            (status, problem.code, retry_after),
            (503, ErrorCode::Unavailable, Some(Duration::from_secs(2)))
        );
    }

    #[test]
    fn non_problem_error_bodies_are_decode_errors() {
        let error =
            Answer::from_response(response(502, &[], "<html>bad gateway</html>")).unwrap_err();
        assert!(matches!(error, ClientError::Decode { status: 502, .. }));
    }

    #[test]
    fn leader_hint_header() {
        let headers = response(200, &[("x-coupon-leader", " n2:8082 ")], "").headers().clone();
        assert_eq!(NodeHints::from_headers(&headers).leader.as_deref(), Some("n2:8082"));
        assert_eq!(NodeHints::from_headers(&http::HeaderMap::new()).leader, None);
    }
}
