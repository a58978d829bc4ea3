//! An in-memory [`Exchange`] that answers from a script and records what it was sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::api::header::{IDEMPOTENCY_KEY, RETRY_AFTER};
use crate::api::{ErrorCode, Problem};
use crate::transport::{Exchange, TransportError};

/// One scripted outcome; an exhausted script refuses connections.
pub enum Scripted {
    Fail(TransportError),
    Respond(http::Response<Bytes>),
}

/// What one attempt sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub node: String,
    pub path_and_query: String,
    pub idempotency_key: Option<String>,
    pub body: Bytes,
}

#[derive(Clone, Default)]
pub struct FakeExchange {
    script: Arc<Mutex<VecDeque<Scripted>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl FakeExchange {
    pub fn new(script: Vec<Scripted>) -> Self {
        Self { script: Arc::new(Mutex::new(script.into())), sent: Arc::default() }
    }

    pub fn push(&self, scripted: Scripted) {
        self.script.lock().unwrap().push_back(scripted);
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    pub fn nodes(&self) -> Vec<String> {
        self.sent().into_iter().map(|sent| sent.node).collect()
    }
}

impl Exchange for FakeExchange {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        _timeout: Duration,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let uri = request.uri();
        self.sent.lock().unwrap().push(Sent {
            node: uri.authority().unwrap().to_string(),
            path_and_query: uri.path_and_query().unwrap().to_string(),
            idempotency_key: request
                .headers()
                .get(IDEMPOTENCY_KEY)
                .map(|value| value.to_str().unwrap().to_owned()),
            body: request.body().clone(),
        });
        match self.script.lock().unwrap().pop_front() {
            Some(Scripted::Fail(error)) => Err(error),
            Some(Scripted::Respond(response)) => Ok(response),
            None => Err(TransportError::connect("connection refused (script exhausted)")),
        }
    }
}

/// A JSON response with extra headers.
pub fn json(status: u16, headers: &[(&str, &str)], body: &Value) -> Scripted {
    raw(status, headers, &body.to_string())
}

/// A response with any body.
pub fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> Scripted {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Scripted::Respond(builder.body(Bytes::from(body.to_owned())).unwrap())
}

/// A problem+json response for `code`, optionally with `Retry-After`.
pub fn problem(code: ErrorCode, retry_after_seconds: Option<u64>) -> Scripted {
    let body = serde_json::to_value(Problem::new(code, "scripted")).unwrap();
    let seconds = retry_after_seconds.map(|seconds| seconds.to_string());
    let headers: Vec<(&str, &str)> =
        seconds.iter().map(|seconds| (RETRY_AFTER, seconds.as_str())).collect();
    json(code.status(), &headers, &body)
}
