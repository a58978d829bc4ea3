//! Node-to-node calls over the peer listener: Raft RPC, forwarded proposals, read-index requests
//! and membership changes. Bodies are bincode; every route may require the cluster secret.

mod client;
mod codec;
mod server;

pub use client::{PeerCallError, PeerRpc};
pub use server::{peer_router, PeerState};

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
}
