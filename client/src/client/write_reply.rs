//! [`WriteReply`]: the answer to a logical write, with its idempotency facts.

use crate::api::IdempotencyKey;

/// The value a write returned, whether it was replayed, and the key that deduplicated it.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteReply<T> {
    /// The decoded response body.
    pub value: T,
    /// True when the server answered with `Idempotent-Replayed: true`: an earlier attempt
    /// with this key was applied (perhaps one whose answer was lost), and this is its stored
    /// answer, not a second application.
    pub replayed: bool,
    /// The `Idempotency-Key` every attempt carried. Reuse it to ask again about the same write.
    pub idempotency_key: IdempotencyKey,
}
