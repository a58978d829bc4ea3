//! Deciding the commands that manage API keys: create and revoke.

use crate::command::NewKey;
use crate::domain::{ApiKey, KeyId, Timestamp};
use crate::error::Result;
use crate::limits::KEYS_MAX;
use crate::outcome::{Outcome, Rejection};
use crate::state_reader::StateReader;

use super::Change;

pub fn create(
    new: &NewKey,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let taken =
        state.api_key(&new.id)?.is_some() || state.api_key_by_digest(&new.digest)?.is_some();
    if taken {
        return Ok((Outcome::Rejected(Rejection::KeyAlreadyExists), Vec::new()));
    }
    if state.api_keys(None, KEYS_MAX)?.len() >= KEYS_MAX {
        return Ok((Outcome::Rejected(Rejection::TooManyKeys), Vec::new()));
    }
    let key = ApiKey {
        id: new.id.clone(),
        role: new.role,
        label: new.label.clone(),
        digest: new.digest,
        created_at: now,
        revoked_at: None,
    };
    Ok((Outcome::KeyCreated(key.clone()), vec![Change::PutKey(key)]))
}

/// Revokes `id` for good; revoking it again answers the revoked key and changes nothing.
pub fn revoke(
    id: &KeyId,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let Some(mut key) = state.api_key(id)? else {
        return Ok((Outcome::Rejected(Rejection::KeyNotFound), Vec::new()));
    };
    if !key.is_live() {
        return Ok((Outcome::KeyRevoked(key), Vec::new()));
    }
    key.revoked_at = Some(now);
    Ok((Outcome::KeyRevoked(key.clone()), vec![Change::PutKey(key)]))
}
