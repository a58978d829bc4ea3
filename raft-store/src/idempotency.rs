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

    /// A key the node draws for a request its client sent without one, so that a resend of the
    /// request (after leadership moved under its entry) is deduplicated by apply like a client's
    /// retry. It starts with `NODE_ASSIGNED_KEY_PREFIX`, a byte outside printable ASCII: the
    /// wire contract refuses such a key in the header, so no client can send or collide with it.
    pub fn node_assigned(entropy: [u8; 16]) -> Self {
        let mut key = String::with_capacity(NODE_ASSIGNED_KEY_PREFIX.len() + 32);
        key.push_str(NODE_ASSIGNED_KEY_PREFIX);
        for byte in entropy {
            key.push(char::from(HEX[usize::from(byte >> 4)]));
            key.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(key)
    }

    /// Whether the node drew this key (`node_assigned`) rather than a client sending it.
    pub fn is_node_assigned(&self) -> bool {
        self.0.starts_with(NODE_ASSIGNED_KEY_PREFIX)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a node-assigned key starts: U+0001, which no `Idempotency-Key` header may hold.
pub const NODE_ASSIGNED_KEY_PREFIX: &str = "\u{1}node:";
const HEX: &[u8; 16] = b"0123456789abcdef";

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

/// What a request carries: the client's `Idempotency-Key`, or a key the node drew for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyToken {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
}

impl IdempotencyToken {
    /// A node-assigned token (`IdempotencyKey::node_assigned`). Its fingerprint is a constant:
    /// the key is drawn for one request only, so it can never be reused for another.
    pub fn node_assigned(entropy: [u8; 16]) -> Self {
        Self {
            key: IdempotencyKey::node_assigned(entropy),
            fingerprint: Fingerprint::of(&[NODE_ASSIGNED_KEY_PREFIX.as_bytes()]),
        }
    }
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

    #[test]
    fn a_node_assigned_key_is_within_the_bounds_and_no_client_key_looks_like_one() {
        let key = IdempotencyKey::node_assigned([0xab; 16]);
        assert!(key.is_node_assigned());
        assert_eq!(key.check(), Ok(()));
        assert_eq!(key.as_str(), format!("\u{1}node:{}", "ab".repeat(16)));
        assert!(!key.as_str().bytes().all(|byte| (b' '..=b'~').contains(&byte)), "not printable");
        assert!(!IdempotencyKey::from_validated("node:abc".to_owned()).is_node_assigned());
        assert_ne!(IdempotencyKey::node_assigned([1; 16]), IdempotencyKey::node_assigned([2; 16]));
    }
}
