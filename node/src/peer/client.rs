//! `PeerRpc`: the calling side of every peer route.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{codec, CLUSTER_SECRET_HEADER};
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

    /// POSTs `request` to `path` on the peer listener at `peer_addr` and decodes the answer.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        peer_addr: &str,
        path: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, PeerCallError> {
        let peer_request = PeerRequest {
            url: format!("http://{peer_addr}{path}"),
            headers: self.secret_header.clone(),
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
