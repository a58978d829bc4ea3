//! Header names of the contract. HTTP header names are case-insensitive; these are the
//! spellings the server sends.

/// Request header on state-changing POSTs: 1 to 255 printable ASCII characters. The same key
/// with the same request replays the first response.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Response header, value `true`, on a replayed idempotent response.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// Response header on 429 and 503: a whole number of seconds to wait.
pub const RETRY_AFTER: &str = "Retry-After";
/// Optional response header: the API address (`host:port`) of the leader as the answering node
/// knows it. Clients may send writes there first to save the forwarding hop.
pub const LEADER_HINT: &str = "X-Coupon-Leader";
/// Response header on a 201: `/coupons/{id}`.
pub const LOCATION: &str = "Location";
/// Request header of every route but the probes: `Bearer <key secret>`.
pub const AUTHORIZATION: &str = "Authorization";
