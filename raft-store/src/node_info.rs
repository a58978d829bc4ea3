//! `NodeInfo`: what the cluster membership records about each node: where its public API and its
//! peer (Raft RPC) listener are.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeInfo {
    /// host:port of the public HTTP API.
    pub api_addr: String,
    /// host:port of the peer listener (Raft RPC and forwarded proposals).
    pub peer_addr: String,
}

impl fmt::Display for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api={} peer={}", self.api_addr, self.peer_addr)
    }
}
