//! Exactly-once writes: an idempotency key, the fingerprint of the request it was first used
//! for, and the stored outcome that a retry gets back.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Invalid, Timestamp};
use crate::limits::{IDEMPOTENCY_KEY_BYTES_MAX, REQUESTS_PER_ENTRY_MAX};
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

    /// The key a node gives the request at `position` of a batch it sends, for a request whose
    /// client sent no key, so that a resend of the request (after leadership moved under its
    /// entry) is deduplicated by apply like a client's retry. The node draws `batch` once per
    /// batch: apply keeps one record per batch (`NodeBatchRecord`, under `node_batch_slot`), not
    /// one per request. It starts with `NODE_ASSIGNED_KEY_PREFIX`, a byte outside printable
    /// ASCII: the wire contract refuses such a key in the header, so no client can send or
    /// collide with it.
    pub fn node_assigned(batch: [u8; 16], position: u16) -> Self {
        let mut key = String::with_capacity(NODE_ASSIGNED_KEY_PREFIX.len() + 32 + 5);
        key.push_str(NODE_ASSIGNED_KEY_PREFIX);
        push_hex(&mut key, &batch);
        key.push('/');
        push_hex(&mut key, &position.to_be_bytes());
        Self(key)
    }

    /// Whether the node drew this key (`node_assigned`) rather than a client sending it.
    pub fn is_node_assigned(&self) -> bool {
        self.0.starts_with(NODE_ASSIGNED_KEY_PREFIX)
    }

    /// The batch record a node-assigned key is kept in, and the request's position there.
    /// `None` for a client's key, and for a node key of any other shape (one with a position
    /// past `REQUESTS_PER_ENTRY_MAX`, or one written before keys named their batch), which is
    /// kept in a record of its own like a client's.
    pub fn node_batch_slot(&self) -> Option<NodeBatchSlot> {
        let rest = self.0.strip_prefix(NODE_ASSIGNED_KEY_PREFIX)?;
        let (batch, position) = rest.split_once('/')?;
        let is_hex = |part: &str, len| part.len() == len && part.bytes().all(is_lower_hex);
        if !is_hex(batch, 32) || !is_hex(position, 4) {
            return None;
        }
        let position = u16::from_str_radix(position, 16).ok()?;
        if usize::from(position) >= REQUESTS_PER_ENTRY_MAX {
            return None;
        }
        let batch = Self(format!("{NODE_BATCH_KEY_PREFIX}{batch}"));
        Some(NodeBatchSlot { batch, position })
    }

    /// Whether this is the key of a node's batch record (`node_batch_slot`), as the listings
    /// for expiry name it.
    pub fn is_node_batch(&self) -> bool {
        self.0.starts_with(NODE_BATCH_KEY_PREFIX)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a node-assigned key starts: U+0001, which no `Idempotency-Key` header may hold.
pub const NODE_ASSIGNED_KEY_PREFIX: &str = "\u{1}node:";
/// How the key of a node's batch record starts; it is never a request's key.
const NODE_BATCH_KEY_PREFIX: &str = "\u{1}batch:";
const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
}

fn is_lower_hex(byte: u8) -> bool {
    HEX.contains(&byte)
}

/// Where a node-assigned key is kept: its batch's record, and its position in the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeBatchSlot {
    pub batch: IdempotencyKey,
    pub position: u16,
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

/// What a request carries: the client's `Idempotency-Key`, or a key the node drew for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyToken {
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
}

impl IdempotencyToken {
    /// A node-assigned token (`IdempotencyKey::node_assigned`). Its fingerprint is a constant:
    /// the key is drawn for one request only, so it can never be reused for another.
    pub fn node_assigned(batch: [u8; 16], position: u16) -> Self {
        Self {
            key: IdempotencyKey::node_assigned(batch, position),
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

/// The outcomes of the requests of one batch a node sent under node-assigned keys, by position:
/// one record for the batch, written once per log entry that applied some of it, instead of
/// one per request. It needs no fingerprint: a node-assigned key is never reused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeBatchRecord {
    pub outcomes: BTreeMap<u16, Outcome>,
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
        let key = IdempotencyKey::node_assigned([0xab; 16], 0x1f);
        assert!(key.is_node_assigned());
        assert_eq!(key.check(), Ok(()));
        assert_eq!(key.as_str(), format!("\u{1}node:{}/001f", "ab".repeat(16)));
        assert!(!key.as_str().bytes().all(|byte| (b' '..=b'~').contains(&byte)), "not printable");
        assert!(!IdempotencyKey::from_validated("node:abc".to_owned()).is_node_assigned());
        assert_ne!(
            IdempotencyKey::node_assigned([1; 16], 0),
            IdempotencyKey::node_assigned([2; 16], 0)
        );
        assert_ne!(
            IdempotencyKey::node_assigned([1; 16], 0),
            IdempotencyKey::node_assigned([1; 16], 1)
        );
    }

    #[test]
    fn a_node_assigned_key_names_its_batch_and_position_and_no_other_key_does() {
        let slot = IdempotencyKey::node_assigned([0xab; 16], 511).node_batch_slot().unwrap();
        assert_eq!(slot.position, 511);
        assert!(slot.batch.is_node_batch());
        assert!(!slot.batch.is_node_assigned(), "a batch's key is no request's key");
        assert_eq!(slot.batch.check(), Ok(()));
        let sibling = IdempotencyKey::node_assigned([0xab; 16], 0).node_batch_slot().unwrap();
        assert_eq!(sibling.batch, slot.batch, "one record for the batch");
        let other = IdempotencyKey::node_assigned([0xac; 16], 0).node_batch_slot().unwrap();
        assert_ne!(other.batch, slot.batch);
        let past_the_entry = REQUESTS_PER_ENTRY_MAX as u16;
        assert_eq!(
            IdempotencyKey::node_assigned([0xab; 16], past_the_entry).node_batch_slot(),
            None
        );
        let others = [
            format!("\u{1}node:{}", "ab".repeat(16)),
            format!("\u{1}node:{}/00", "ab".repeat(16)),
            format!("\u{1}node:{}/00G0", "ab".repeat(16)),
            format!("\u{1}node:{}/0001", "AB".repeat(16)),
            format!("node:{}/0001", "ab".repeat(16)),
            format!("\u{1}batch:{}", "ab".repeat(16)),
        ];
        for key in others {
            let key = IdempotencyKey::from_validated(key);
            assert_eq!(key.node_batch_slot(), None, "{key:?}");
        }
        assert!(!IdempotencyKey::from_validated("batch:x".to_owned()).is_node_batch());
    }
}
