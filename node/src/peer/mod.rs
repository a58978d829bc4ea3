//! The calling side of node-to-node calls over the peer listener (Raft RPC, forwarded proposals,
//! read-index requests, membership changes and the identity challenge), and what both sides
//! agree on: the routes, the bincode codec, the cluster secret's header and the identity proof.
//! The serving side is `peer_server`.

mod client;
pub mod codec;
pub mod identity;

pub use client::{PeerCallError, PeerRpc};

/// Header that carries the cluster secret on peer routes.
pub const CLUSTER_SECRET_HEADER: &str = "x-coupon-cluster-secret";

/// The peer routes.
pub mod path {
    pub const APPEND: &str = "/raft/append";
    pub const VOTE: &str = "/raft/vote";
    pub const SNAPSHOT: &str = "/raft/snapshot";
    pub const PROPOSE: &str = "/peer/propose";
    pub const READ_INDEX: &str = "/peer/read-index";
    pub const MEMBERSHIP: &str = "/peer/membership";
    /// The leader asks a voter to stand for election now (`leader_preference`).
    pub const CAMPAIGN: &str = "/peer/campaign";
    /// This member's wall clock: a new leader's first stamp is held to the voters' readings.
    pub const CLOCK: &str = "/peer/clock";
    /// Whether this member has applied a log index, answered once it has or after
    /// `APPLIED_WAIT_MAX`: the leader paces a code generation job by its voters' apply.
    pub const APPLIED: &str = "/peer/applied";
    /// Whether this member refuses a key: how a revocation learns it has reached every member.
    pub const KEY_REFUSED: &str = "/peer/key-refused";
    /// The identity challenge: the one peer route that needs no secret, and is sent without it.
    pub const IDENTITY: &str = "/peer/identity";
}
