//! Where every simulated machine lives. The addresses exist only inside madsim's network.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use raft_store::NodeId;

pub const API_PORT: u16 = 8080;
pub const PEER_PORT: u16 = 9080;

/// Coupon nodes are 10.0.0.<id>.
pub fn node_ip(id: NodeId) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, host_byte(id)))
}

pub fn api_addr(id: NodeId) -> SocketAddr {
    SocketAddr::new(node_ip(id), API_PORT)
}

pub fn peer_addr(id: NodeId) -> SocketAddr {
    SocketAddr::new(node_ip(id), PEER_PORT)
}

/// Clients are 10.0.1.<n>, so a partition between coupon nodes never cuts a client off by
/// accident.
pub fn client_ip(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 1, host_byte(index as u64 + 1)))
}

fn host_byte(n: u64) -> u8 {
    assert!((1..=250).contains(&n), "simulated host number {n} out of range");
    n as u8
}
