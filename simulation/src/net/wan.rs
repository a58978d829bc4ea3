//! The wide-area network of a region run, applied to every message of the simulated transport
//! (`http_call`, under both the node's peer client and the clients' exchange).
//!
//! Every simulated host (coupon node, client, the harness's control host) is placed in a
//! region. An exchange from a host in region A to an address in region B waits, before its
//! request leaves, a connect round trip if it needs a new connection (`ConnectionPool`) and
//! then the one-way delay A→B; its answer waits the one-way delay B→A before it is delivered.
//! madsim's own link latency is set near zero in these runs, so the matrix is the delay.
//! What the delays do not model (bandwidth, queueing) is said in `region::LatencyMatrix`.
//!
//! Per run, on the run's thread (as `report`'s flight recorder): madsim runs a whole seed on
//! one thread, and `http_call` is reached from deep inside the node and the workload, which have
//! no handle to pass down. Outside a region run nothing is installed: madsim's latency only.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::connection_pool::ConnectionPool;
use crate::region::{LatencyMatrix, Region};

type Host = madsim::task::NodeId;

struct Wan {
    delays: LatencyMatrix,
    hosts: BTreeMap<Host, Region>,
    addresses: BTreeMap<IpAddr, Region>,
    pool: ConnectionPool,
}

thread_local! {
    static WAN: RefCell<Option<Wan>> = const { RefCell::new(None) };
}

/// The installed network; dropping it uninstalls it.
#[must_use = "the network is uninstalled when this is dropped"]
pub struct Installed(());

impl Drop for Installed {
    fn drop(&mut self) {
        WAN.with(|wan| *wan.borrow_mut() = None);
    }
}

/// Installs `delays` for the run on this thread, with no host placed yet.
pub fn install(delays: LatencyMatrix) -> Installed {
    let wan = Wan {
        delays,
        hosts: BTreeMap::new(),
        addresses: BTreeMap::new(),
        pool: Default::default(),
    };
    WAN.with(|slot| *slot.borrow_mut() = Some(wan));
    Installed(())
}

/// Places madsim host `host`, reached at `ip`, in `region` (nothing outside a region run).
pub fn place(host: Host, ip: IpAddr, region: Region) {
    WAN.with(|wan| {
        if let Some(wan) = wan.borrow_mut().as_mut() {
            wan.hosts.insert(host, region);
            wan.addresses.insert(ip, region);
        }
    });
}

/// The delays of one exchange from the current host to `addr`.
pub(super) struct Route {
    host: Host,
    addr: SocketAddr,
    /// The connect round trip, when no idle connection was there to take.
    connect: Option<Duration>,
    there: Duration,
    back: Duration,
}

/// The route of an exchange from the calling host to `addr`; `None` outside a region run.
pub(super) fn route(addr: SocketAddr) -> Option<Route> {
    let host = madsim::plugin::node();
    WAN.with(|wan| {
        let mut wan = wan.borrow_mut();
        let wan = wan.as_mut()?;
        let (Some(from), Some(to)) = (wan.hosts.get(&host), wan.addresses.get(&addr.ip())) else {
            panic!("a region run placed no region for host {host} or address {addr}");
        };
        let (from, to) = (*from, *to);
        let (rng, delays) = (&mut madsim::rand::thread_rng(), &wan.delays);
        let reused = wan.pool.take(host, addr);
        let connect = (!reused).then(|| delays.draw(from, to, rng) + delays.draw(to, from, rng));
        let there = delays.draw(from, to, rng);
        let back = delays.draw(to, from, rng);
        Some(Route { host, addr, connect, there, back })
    })
}

impl Route {
    /// Before the request leaves: a new connection's handshake, then the way there.
    pub async fn send(&self) {
        if let Some(connect) = self.connect {
            madsim::time::sleep(connect).await;
        }
        madsim::time::sleep(self.there).await;
    }

    /// Before the answer is delivered: the way back. The connection is then idle again.
    pub async fn deliver(self) {
        madsim::time::sleep(self.back).await;
        WAN.with(|wan| {
            if let Some(wan) = wan.borrow_mut().as_mut() {
                wan.pool.give_back(self.host, self.addr);
            }
        });
    }
}
