//! `ConnectionPool`: which simulated hosts hold an idle keep-alive connection to which address,
//! so that only a new connection pays the connect round trip, as with the pooled reqwest
//! clients of production (the node's peer client, the coupon client).
//!
//! A model only: the simulated exchange still opens a madsim connection per request (a refused
//! connect is how it tells "never delivered"). A request takes an idle connection if its host
//! has one to that address, and gives it back once its answer arrived; a failed exchange loses
//! it, as a broken connection is dropped from a real pool. Not modelled: idle timeouts (runs are
//! shorter than production's 90 s) and a kill closing connections (the first call to or from a
//! restarted node may reuse one).

use std::collections::BTreeMap;
use std::net::SocketAddr;

type Host = madsim::task::NodeId;

#[derive(Default)]
pub struct ConnectionPool {
    idle: BTreeMap<(Host, SocketAddr), usize>,
}

impl ConnectionPool {
    /// Takes an idle connection from `host` to `addr`; `false`: a new one must be opened.
    pub fn take(&mut self, host: Host, addr: SocketAddr) -> bool {
        match self.idle.get_mut(&(host, addr)) {
            Some(idle) if *idle > 0 => {
                *idle -= 1;
                true
            }
            _ => false,
        }
    }

    /// A connection whose exchange completed goes back to the pool.
    pub fn give_back(&mut self, host: Host, addr: SocketAddr) {
        *self.idle.entry((host, addr)).or_default() += 1;
    }
}
