//! `KeyService`: API keys. It decides who a request comes from (`authenticate`), creates, lists and
//! revokes keys, and installs the bootstrap admin key when the cluster is new.
//!
//! A node runs *open* (every request allowed, as admin, with no actor) only while the cluster holds
//! no key and the node has no bootstrap key configured; the node refuses to start open on an
//! address that is not loopback (`config`). Once any key exists, every request needs a live one.

use std::time::Duration;

use raft_store::command::{Command, KeyedCommand, NewKey};
use raft_store::domain::{ApiKey, KeyDigest, KeyId, KeyLabel, Role};
use raft_store::idempotency::IdempotencyKey;
use raft_store::limits::{
    KEYS_MAX, KEY_ID_RANDOM_CHARS, KEY_SECRET_CHARS_MAX, KEY_SECRET_RANDOM_CHARS,
};
use raft_store::outcome::{AppliedOutcome, Outcome};
use raft_store::{Raft, StateHandle};

use super::{submit, token, ServiceError};
use crate::entropy;
use crate::peer::{path, PeerRpc};
use crate::read_barrier::ReadBarrier;
use crate::shutdown::Shutdown;
use crate::write::Proposer;

/// Prefix of every drawn secret, so that a leaked one is recognisable (secret scanners key on it).
const SECRET_PREFIX: &str = "cpk_";
/// How often a revocation re-asks the members that have not applied it yet, and how often a new
/// leader checks whether the bootstrap key still needs installing.
const REVOCATION_POLL: Duration = Duration::from_millis(20);
const BOOTSTRAP_POLL: Duration = Duration::from_millis(200);

/// Who sent a request, as far as the public API is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The key's id; `None` on an open node.
    pub key_id: Option<KeyId>,
    pub role: Role,
}

impl Caller {
    pub const OPEN: Caller = Caller { key_id: None, role: Role::Admin };
}

/// Why a request has no caller.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("this route needs `Authorization: Bearer <key>`")]
    NoKey,
    #[error("the key is unknown or revoked")]
    UnknownKey,
    #[error(transparent)]
    Store(#[from] raft_store::StoreError),
}

/// A new key and, unless the answer is a replay, its secret (shown this once).
pub struct Created {
    pub applied: AppliedOutcome,
    pub secret: Option<String>,
}

/// A revocation and the members that had not confirmed it when the answer was due.
pub struct Revoked {
    pub applied: AppliedOutcome,
    pub unconfirmed: Vec<u64>,
}

#[derive(Clone)]
pub struct KeyService {
    proposer: Proposer,
    barrier: ReadBarrier,
    state: StateHandle,
    raft: Raft,
    rpc: PeerRpc,
    /// The digest of the configured bootstrap admin key.
    bootstrap: Option<KeyDigest>,
    timeout: Duration,
}

impl KeyService {
    pub fn new(
        proposer: Proposer,
        barrier: ReadBarrier,
        state: StateHandle,
        raft: Raft,
        rpc: PeerRpc,
        bootstrap_secret: Option<&str>,
        timeout: Duration,
    ) -> Self {
        let bootstrap = bootstrap_secret.map(KeyDigest::of);
        Self { proposer, barrier, state, raft, rpc, bootstrap, timeout }
    }

    /// The caller that presented `secret` (from `Authorization: Bearer`), read from this node's
    /// state: a key is accepted on a node once it has applied the key's creation, and refused on
    /// every node once its revocation has answered (`revoke` waits for that).
    pub fn authenticate(&self, secret: Option<&str>) -> Result<Caller, Denied> {
        let digest =
            secret.filter(|secret| secret.len() <= KEY_SECRET_CHARS_MAX).map(KeyDigest::of);
        if let Some(digest) = &digest {
            if let Some(key) = self.state.read(|state| state.api_key_by_digest(digest))? {
                return if key.is_live() && key.digest.matches(digest) {
                    Ok(Caller { key_id: Some(key.id), role: key.role })
                } else {
                    Err(Denied::UnknownKey)
                };
            }
        }
        // Only a miss asks whether the cluster holds keys at all: a known key costs one lookup.
        if self.state.read(|state| state.holds_keys())? {
            return Err(if secret.is_some() { Denied::UnknownKey } else { Denied::NoKey });
        }
        // A new cluster: the bootstrap key is accepted until its creation is applied, so the
        // first admin requests need not wait for it.
        match (&self.bootstrap, &digest) {
            (None, _) => Ok(Caller::OPEN),
            (Some(bootstrap), Some(digest)) if bootstrap.matches(digest) => {
                Ok(Caller { key_id: Some(KeyId::bootstrap()), role: Role::Admin })
            }
            (Some(_), Some(_)) => Err(Denied::UnknownKey),
            (Some(_), None) => Err(Denied::NoKey),
        }
    }

    /// Creates a key with a drawn id and secret.
    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        role: Role,
        label: KeyLabel,
        actor: &Caller,
        key: Option<IdempotencyKey>,
        fingerprinted: &impl serde::Serialize,
    ) -> Result<Created, ServiceError> {
        let idempotency = token(key, "POST /keys", fingerprinted)?;
        // The cluster's first key: the bootstrap key goes in before it, or the caller (admitted
        // by the bootstrap key while the state held none) would lock itself out.
        let bootstrap_window = actor.key_id == Some(KeyId::bootstrap());
        if bootstrap_window && !self.state.read(|state| state.holds_keys())? {
            self.install_bootstrap_now().await?;
        }
        let secret = draw_secret();
        let new = NewKey { id: draw_key_id(), role, label, digest: KeyDigest::of(&secret) };
        let command = Command::CreateKey(new);
        let applied = submit(
            &self.proposer,
            KeyedCommand { idempotency, actor: actor.key_id.clone(), command },
        )
        .await?;
        let secret = matches!(applied.outcome, Outcome::KeyCreated(_) if !applied.replayed)
            .then_some(secret);
        Ok(Created { applied, secret })
    }

    /// Every key, revoked ones included, after a read barrier.
    pub async fn list(&self) -> Result<Vec<ApiKey>, ServiceError> {
        self.barrier.linearize().await?;
        Ok(self.state.read(|state| state.api_keys(None, KEYS_MAX))?)
    }

    /// Revokes `id`, then waits (within the request's time) until every member has applied the
    /// revocation, so that once this answers no node accepts the key. Members that could not
    /// confirm in time are named in the answer.
    #[tracing::instrument(skip_all)]
    pub async fn revoke(
        &self,
        id: KeyId,
        actor: &Caller,
        key: Option<IdempotencyKey>,
    ) -> Result<Revoked, ServiceError> {
        let route = format!("DELETE /keys/{id}");
        let idempotency = token(key, &route, &())?;
        let command = Command::RevokeKey { id: id.clone() };
        let applied = submit(
            &self.proposer,
            KeyedCommand { idempotency, actor: actor.key_id.clone(), command },
        )
        .await?;
        let unconfirmed = match applied.outcome {
            Outcome::KeyRevoked(_) => self.confirm_revoked_everywhere(&id).await,
            _ => Vec::new(),
        };
        Ok(Revoked { applied, unconfirmed })
    }

    /// Whether this node's state has `id` revoked (or never had it): what a member answers a
    /// revocation's confirmation with.
    pub fn refuses(&self, id: &KeyId) -> Result<bool, raft_store::StoreError> {
        Ok(self.state.read(|state| state.api_key(id))?.is_none_or(|key| !key.is_live()))
    }

    /// Asks every member until each has applied the revocation of `id`, or until most of the
    /// request's time is used; answers the members that did not confirm.
    async fn confirm_revoked_everywhere(&self, id: &KeyId) -> Vec<u64> {
        let members: Vec<(u64, String)> = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow();
            metrics
                .membership_config
                .membership()
                .nodes()
                .filter(|(node_id, _)| **node_id != metrics.id)
                .map(|(node_id, node)| (*node_id, node.peer_addr.clone()))
                .collect()
        };
        let deadline = tokio::time::Instant::now() + self.timeout * 3 / 4;
        let mut waiting = members;
        while !waiting.is_empty() {
            let asks = waiting.iter().map(|(_, peer_addr)| {
                self.rpc.call::<KeyId, bool>(peer_addr, path::KEY_REFUSED, id, REVOCATION_POLL * 10)
            });
            let answers = futures::future::join_all(asks).await;
            let mut still = Vec::new();
            for (member, answer) in waiting.into_iter().zip(answers) {
                if !matches!(answer, Ok(true)) {
                    still.push(member);
                }
            }
            waiting = still;
            if waiting.is_empty() || tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(REVOCATION_POLL).await;
        }
        waiting.into_iter().map(|(node_id, _)| node_id).collect()
    }

    /// On a new cluster, writes the configured bootstrap key into the state as `key_admin`, from
    /// whichever node leads; stops once the cluster holds any key, or at shutdown.
    pub async fn install_bootstrap_key(self, node_id: u64, shutdown: Shutdown) {
        if self.bootstrap.is_none() {
            return;
        }
        let stop = shutdown.requested();
        tokio::pin!(stop);
        loop {
            match self.state.read(|state| state.holds_keys()) {
                Ok(true) => return,
                Ok(false) if self.raft.metrics().borrow().current_leader == Some(node_id) => {
                    if let Err(error) = self.install_bootstrap_now().await {
                        tracing::warn!(%error, "the bootstrap key is not installed yet; trying again");
                    }
                }
                Ok(false) => {}
                Err(error) => tracing::error!(%error, "cannot read the keys"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(BOOTSTRAP_POLL) => {}
            }
        }
    }

    /// Proposes the bootstrap key's creation; a cluster that has it already refuses the copy
    /// (`KeyAlreadyExists`), which changes nothing.
    async fn install_bootstrap_now(&self) -> Result<(), ServiceError> {
        let Some(digest) = self.bootstrap else { return Ok(()) };
        let new = NewKey {
            id: KeyId::bootstrap(),
            role: Role::Admin,
            label: KeyLabel::parse("bootstrap").expect("a fixed label is valid"),
            digest,
        };
        let command =
            KeyedCommand { idempotency: None, actor: None, command: Command::CreateKey(new) };
        submit(&self.proposer, command).await.map(drop)
    }
}

/// `count` characters of `alphabet`, each uniform (`entropy::below`).
fn draw_from(alphabet: &[u8], count: usize) -> String {
    let bound = u8::try_from(alphabet.len()).expect("an alphabet of at most 255 characters");
    (0..count).map(|_| char::from(alphabet[usize::from(entropy::below(bound))])).collect()
}

/// `key_` and random lower-case letters and digits.
fn draw_key_id() -> KeyId {
    let random = draw_from(b"abcdefghijklmnopqrstuvwxyz0123456789", KEY_ID_RANDOM_CHARS);
    KeyId::parse(&format!("{}{random}", KeyId::PREFIX)).expect("a drawn id has the id form")
}

/// `cpk_` and 40 random letters and digits: about 238 bits.
fn draw_secret() -> String {
    const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!("{SECRET_PREFIX}{}", draw_from(ALPHANUMERIC, KEY_SECRET_RANDOM_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_ids_parse_and_drawn_secrets_are_long_and_distinct() {
        let id = draw_key_id();
        assert_eq!(KeyId::parse(id.as_str()), Ok(id));
        let (a, b) = (draw_secret(), draw_secret());
        assert!(
            a.starts_with(SECRET_PREFIX)
                && a.len() == SECRET_PREFIX.len() + KEY_SECRET_RANDOM_CHARS
        );
        assert_ne!(a, b);
        assert!(a.len() <= KEY_SECRET_CHARS_MAX);
    }
}
