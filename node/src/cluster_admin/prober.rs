//! `Prober`: asks the node at a peer address to prove that it is the node it is said to be,
//! before the leader sends it anything else (its log, the secret header). The challenge goes out
//! without the cluster secret, and a fresh nonce each time means an answer cannot be replayed.

use std::sync::Arc;
use std::time::Duration;

use raft_store::{NodeId, Region};

use super::RefusalReason;
use crate::peer::identity::{self, IdentityChallenge, NONCE_BYTES};
use crate::peer::PeerRpc;

#[derive(Clone)]
pub struct Prober {
    rpc: PeerRpc,
    secret: Option<Arc<str>>,
}

impl Prober {
    pub fn new(rpc: PeerRpc, secret: Option<Arc<str>>) -> Self {
        Self { rpc, secret }
    }

    /// Succeeds if the node at `peer_addr` answers within `timeout` as node `id`, holding this
    /// node's cluster secret (or, like this node, none), with the region it is configured with.
    pub async fn prove(
        &self,
        id: NodeId,
        peer_addr: &str,
        timeout: Duration,
    ) -> Result<Option<Region>, RefusalReason> {
        let mut nonce = [0u8; NONCE_BYTES];
        crate::entropy::fill(&mut nonce);
        let challenge = IdentityChallenge { nonce };
        let unreachable = || RefusalReason::Unreachable { id, peer_addr: peer_addr.to_owned() };
        let answer = match self.rpc.challenge(peer_addr, &challenge, timeout).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::info!(id, peer_addr, %error, "a node did not answer the identity challenge");
                return Err(unreachable());
            }
        };
        identity::verify(self.secret.as_deref(), id, &challenge, &answer).map_err(|mismatch| {
            tracing::warn!(id, peer_addr, %mismatch, "a node failed the identity challenge");
            RefusalReason::NotThatNode { id, peer_addr: peer_addr.to_owned(), mismatch }
        })?;
        Ok(answer.region)
    }
}
