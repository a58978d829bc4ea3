//! The calling side of node-to-node calls over the peer listener (Raft RPC, forwarded proposals,
//! read-index requests and membership changes), and what both sides agree on: the routes, the
//! bincode codec and the cluster secret's header. The serving side is `peer_server`.

mod client;
pub mod codec;

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
    /// Whether this member refuses a key: how a revocation learns it has reached every member.
    pub const KEY_REFUSED: &str = "/peer/key-refused";
}
