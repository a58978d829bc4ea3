//! `ProcessCluster`: `coupon-node` child processes on loopback (127.0.0.1 unless placed
//! elsewhere), so a test can SIGKILL one.
//! Every child is killed by pid when the cluster is dropped; on a failing test the nodes' logs
//! are printed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering::SeqCst};
use std::sync::LazyLock;
use std::time::Duration;

use super::http::get;
use super::wait::until;

pub struct ProcessNode {
    pub id: u64,
    pub api_addr: String,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

pub struct ProcessCluster {
    pub nodes: Vec<ProcessNode>,
    _dir: tempfile::TempDir,
}

/// Where a node listens, and how the others reach it.
#[derive(Clone, Debug)]
pub struct NodePlace {
    pub api_addr: String,
    pub peer_addr: String,
    /// The peer address the others are told (`--advertise-peer-addr` when it differs).
    pub advertised_peer_addr: String,
    /// The node's own address for its outgoing connections (`--source-addr`).
    pub source_addr: Option<IpAddr>,
    pub region: Option<String>,
}

impl NodePlace {
    /// Listeners on free ports of `host`, reached there; no region.
    pub fn on(host: IpAddr) -> Self {
        let peer_addr = free_addr(host);
        Self {
            api_addr: free_addr(host),
            advertised_peer_addr: peer_addr.clone(),
            peer_addr,
            source_addr: None,
            region: None,
        }
    }

    /// This node's entry in another's `--peers`.
    fn peer_entry(&self, id: u64) -> String {
        let region = self.region.as_ref().map(|region| format!("@{region}")).unwrap_or_default();
        format!("{id}={}/{}{region}", self.api_addr, self.advertised_peer_addr)
    }

    fn flags(&self) -> Vec<String> {
        let mut flags = vec![format!("--api-addr={}", self.api_addr)];
        flags.push(format!("--peer-addr={}", self.peer_addr));
        if self.advertised_peer_addr != self.peer_addr {
            flags.push(format!("--advertise-peer-addr={}", self.advertised_peer_addr));
        }
        flags.extend(self.source_addr.map(|source| format!("--source-addr={source}")));
        flags.extend(self.region.as_ref().map(|region| format!("--region={region}")));
        flags
    }
}

/// Ports handed to nodes: below Linux's ephemeral range (32768 and up by default), so no
/// outgoing connection of a test, which takes its local port from that range, can hold one
/// between the check here and the node's bind (port 0 would hand out exactly such a port).
const NODE_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// Where the next search for a free port starts, as an offset into `NODE_PORTS`: after the last
/// port handed out, so two nodes of one test run never get the same port; first from a point set
/// by the process id, so successive runs do not start on the ports of one that just ended.
static NEXT_PORT: LazyLock<AtomicU16> = LazyLock::new(|| {
    let span = u32::from(NODE_PORTS.end - NODE_PORTS.start);
    AtomicU16::new(u16::try_from(std::process::id() % span).expect("below the span"))
});

/// An address on `host` with a port of `NODE_PORTS` that nothing listens on.
fn free_addr(host: IpAddr) -> String {
    let span = NODE_PORTS.end - NODE_PORTS.start;
    for _ in 0..span {
        let port = NODE_PORTS.start + NEXT_PORT.fetch_add(1, SeqCst) % span;
        if std::net::TcpListener::bind((host, port)).is_ok() {
            return SocketAddr::new(host, port).to_string();
        }
    }
    panic!("no free port in {NODE_PORTS:?} on {host}");
}

impl ProcessCluster {
    /// Starts `size` nodes on 127.0.0.1 (node 1 bootstraps the cluster) and waits until all are
    /// ready.
    pub async fn start(size: u64, extra_flags: &[&str]) -> Self {
        let places = (0..size).map(|_| NodePlace::on(Ipv4Addr::LOCALHOST.into())).collect();
        Self::start_placed(places, extra_flags).await
    }

    /// Starts a node at each of `places` (node 1, the first, bootstraps the cluster) and waits
    /// until all are ready.
    pub async fn start_placed(places: Vec<NodePlace>, extra_flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("cluster dir");
        let nodes = (1..=places.len() as u64)
            .map(|id| {
                let place = &places[id as usize - 1];
                let peers: Vec<String> = (1..=places.len() as u64)
                    .filter(|other| *other != id)
                    .map(|other| places[other as usize - 1].peer_entry(other))
                    .collect();
                let data = dir.path().join(format!("node-{id}"));
                let mut args = vec![format!("--node-id={id}")];
                args.extend(place.flags());
                args.push(format!("--data-dir={}", data.display()));
                args.push(format!("--peers={}", peers.join(",")));
                if id == 1 {
                    args.push("--bootstrap".to_owned());
                }
                args.extend(extra_flags.iter().map(|flag| flag.to_string()));
                let log = dir.path().join(format!("node-{id}.log"));
                ProcessNode { id, api_addr: place.api_addr.clone(), args, log, child: None }
            })
            .collect();
        let mut cluster = Self { nodes, _dir: dir };
        for index in 0..cluster.nodes.len() {
            cluster.nodes[index].spawn();
        }
        for node in &cluster.nodes {
            node.wait_ready().await;
        }
        cluster
    }

    pub fn api_addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.api_addr.clone()).collect()
    }

    /// Index of the leader every running node agrees on.
    pub async fn leader(&self) -> usize {
        until("one leader known by every running node", Duration::from_secs(30), || async {
            let mut seen = Vec::new();
            for node in self.nodes.iter().filter(|node| node.child.is_some()) {
                seen.push(get(&node.api_addr, "/cluster").await.body["leader_id"].as_u64()?);
            }
            seen.dedup();
            match seen.as_slice() {
                [leader] => {
                    self.nodes.iter().position(|node| node.id == *leader && node.child.is_some())
                }
                _ => None,
            }
        })
        .await
    }
}

impl ProcessNode {
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "node {} is already running", self.id);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_coupon-node"))
            .args(&self.args)
            .env("RUST_LOG", "coupon_node=info,openraft=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("coupon-node starts");
        self.child = Some(child);
    }

    /// The process id while the node runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no shutdown code runs, nothing is flushed on the way out.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn wait_ready(&self) {
        until(&format!("node {} ready", self.id), Duration::from_secs(30), || async {
            let ready = reqwest::Client::new()
                .get(format!("http://{}/readyz", self.api_addr))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .ok()?;
            ready.status().is_success().then_some(())
        })
        .await;
    }
}

impl Drop for ProcessCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
            if std::thread::panicking() {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("---- node {} log (last lines) ----", node.id);
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}
