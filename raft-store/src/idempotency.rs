//! Exactly-once writes: an idempotency key, the fingerprint of the request it was first used
//! for, and the stored outcome that a retry gets back.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Invalid, Timestamp};
use crate::limits::{IDEMPOTENCY_KEY_LENGTH_MAX, IDEMPOTENCY_KEY_LENGTH_MIN};
use crate::outcome::Outcome;

/// The client's `Idempotency-Key`: 1 to 255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if !(IDEMPOTENCY_KEY_LENGTH_MIN..=IDEMPOTENCY_KEY_LENGTH_MAX).contains(&raw.len()) {
            return Err(Invalid::Length {
                min: IDEMPOTENCY_KEY_LENGTH_MIN,
                max: IDEMPOTENCY_KEY_LENGTH_MAX,
            });
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(Invalid::NotPrintableAscii);
        }
        Ok(Self(raw.to_owned()))
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
    fn keys_are_printable_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("order 9 / retry #2").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert_eq!(IdempotencyKey::parse("tab\there"), Err(Invalid::NotPrintableAscii));
        assert_eq!(IdempotencyKey::parse("clé"), Err(Invalid::NotPrintableAscii));
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_eq!(Fingerprint::of(&[b"ab", b"c"]), Fingerprint::of(&[b"ab", b"c"]));
        assert_ne!(Fingerprint::of(&[b"ab", b"c"]), Fingerprint::of(&[b"a", b"bc"]));
    }
}
