//! `NodeInfo`: what the cluster membership records about each node: where its public API and its
//! peer (Raft RPC) listener are, and which region it runs in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::region::Region;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeInfo {
    /// host:port of the public HTTP API.
    pub api_addr: String,
    /// host:port other members reach the peer listener at (Raft RPC and forwarded proposals).
    pub peer_addr: String,
    /// The node's `--region`, if it was given one.
    pub region: Option<Region>,
}

impl fmt::Display for NodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api={} peer={}", self.api_addr, self.peer_addr)?;
        match &self.region {
            Some(region) => write!(f, " region={region}"),
            None => Ok(()),
        }
    }
}
