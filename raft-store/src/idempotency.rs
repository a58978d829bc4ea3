//! Exactly-once writes: an idempotency key, the fingerprint of the request it was first used
//! for, and the stored outcome that a retry gets back.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Invalid, Timestamp};
use crate::limits::IDEMPOTENCY_KEY_BYTES_MAX;
use crate::outcome::Outcome;

/// The client's `Idempotency-Key`. Its rule is the wire contract's (`IdempotencyKey` in
/// coupon-client's `api` module), checked by the node where the header enters; the state stores
/// the key as it was checked.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key the node has checked against the contract's rule.
    pub fn from_validated(key: String) -> Self {
        Self(key)
    }

    /// The state's bound on a key: 1 to `IDEMPOTENCY_KEY_BYTES_MAX` bytes. (Which characters a
    /// key may hold is the wire contract's rule, checked by the node where the header enters.)
    pub fn check(&self) -> Result<(), Invalid> {
        if (1..=IDEMPOTENCY_KEY_BYTES_MAX).contains(&self.0.len()) {
            Ok(())
        } else {
            Err(Invalid::Length { min: 1, max: IDEMPOTENCY_KEY_BYTES_MAX })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of what identifies a request (its route and canonical body), so that reusing a key
/// for a different request is detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Hashes the parts with their lengths, so that ("ab", "c") and ("a", "bc") differ.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Self(hasher.finalize().into())
    }
}

/// What a request carries when the client sent an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyToken {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
}

/// Stored in the replicated state (and in snapshots) under the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub fingerprint: Fingerprint,
    pub outcome: Outcome,
    /// Log time of the first request; the record expires by log time.
    pub recorded_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_eq!(Fingerprint::of(&[b"ab", b"c"]), Fingerprint::of(&[b"ab", b"c"]));
        assert_ne!(Fingerprint::of(&[b"ab", b"c"]), Fingerprint::of(&[b"a", b"bc"]));
    }
}
