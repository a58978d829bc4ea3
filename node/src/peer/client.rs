//! `PeerRpc`: the calling side of every peer route.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::identity::{IdentityAnswer, IdentityChallenge};
use super::{codec, path, CLUSTER_SECRET_HEADER};
use crate::transport::{PeerClient, PeerRequest, TransportError};

#[derive(Clone)]
pub struct PeerRpc {
    client: Arc<dyn PeerClient>,
    secret_header: HeaderMap,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerCallError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The peer refused the call itself (a wrong secret, a body over its bound).
    #[error("peer answered {0}")]
    Status(StatusCode),
    #[error("peer call encoding: {0}")]
    Codec(#[from] bincode::Error),
}

impl PeerRpc {
    pub fn new(client: Arc<dyn PeerClient>, secret: Option<&str>) -> Self {
        let mut secret_header = HeaderMap::new();
        if let Some(value) = secret.and_then(|secret| HeaderValue::from_str(secret).ok()) {
            secret_header.insert(CLUSTER_SECRET_HEADER, value);
        }
        Self { client, secret_header }
    }

    /// POSTs `request` to `path` on the peer listener at `peer_addr`, with the cluster secret,
    /// and decodes the answer.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        peer_addr: &str,
        path: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, PeerCallError> {
        self.post(peer_addr, path, self.secret_header.clone(), request, timeout).await
    }

    /// Sends the identity challenge to `peer_addr` *without* the cluster secret: the address is
    /// not yet known to be a member, and may be anyone's.
    pub async fn challenge(
        &self,
        peer_addr: &str,
        challenge: &IdentityChallenge,
        timeout: Duration,
    ) -> Result<IdentityAnswer, PeerCallError> {
        self.post(peer_addr, path::IDENTITY, HeaderMap::new(), challenge, timeout).await
    }

    async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        peer_addr: &str,
        path: &str,
        headers: HeaderMap,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, PeerCallError> {
        let peer_request = PeerRequest {
            url: format!("{}://{peer_addr}{path}", self.client.peer_scheme()),
            headers,
            body: Bytes::from(codec::encode(request)?),
            timeout,
        };
        let response = self.client.post(peer_request).await?;
        if response.status != StatusCode::OK {
            return Err(PeerCallError::Status(response.status));
        }
        Ok(codec::decode(&response.body)?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::future::BoxFuture;
    use futures::FutureExt;

    use super::*;
    use crate::peer::identity::{self, NONCE_BYTES};
    use crate::transport::{PeerResponse, TransportError};

    /// Records every request and answers each with `answer`.
    struct Recorder {
        seen: Mutex<Vec<PeerRequest>>,
        answer: Bytes,
    }

    impl PeerClient for Recorder {
        fn post(
            &self,
            request: PeerRequest,
        ) -> BoxFuture<'static, Result<PeerResponse, TransportError>> {
            self.seen.lock().unwrap().push(request);
            let body = self.answer.clone();
            async move { Ok(PeerResponse { status: StatusCode::OK, body }) }.boxed()
        }
    }

    #[tokio::test]
    async fn the_identity_challenge_carries_no_secret_and_other_calls_do() {
        let challenge = IdentityChallenge { nonce: [1; NONCE_BYTES] };
        let answer = identity::answer(Some("s3cret"), 4, None, &challenge);
        let recorder = Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer: Bytes::from(codec::encode(&answer).unwrap()),
        });
        let rpc = PeerRpc::new(recorder.clone(), Some("s3cret"));
        let timeout = Duration::from_secs(1);
        assert_eq!(rpc.challenge("10.0.0.9:1", &challenge, timeout).await.unwrap(), answer);
        let _: IdentityAnswer = rpc.call("10.0.0.9:1", path::VOTE, &(), timeout).await.unwrap();

        let seen = recorder.seen.lock().unwrap();
        assert_eq!(seen[0].url, "http://10.0.0.9:1/peer/identity");
        assert!(seen[0].headers.is_empty(), "{:?}", seen[0].headers);
        assert!(!seen[0].body.windows(6).any(|window| window == b"s3cret"));
        assert_eq!(seen[1].headers.get(CLUSTER_SECRET_HEADER).unwrap(), "s3cret");
    }
}
