//! `LocalCluster`: `coupon-node` child processes on free 127.0.0.1 ports, with their data in a
//! temporary directory. Every process is killed by pid when the cluster is dropped (also when a
//! test fails, and then the nodes' last log lines are printed). Every wait is bounded.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::node_binary::node_binary;
use super::probe::Probe;
use super::test_ca::TestCa;

/// Bound on a node becoming ready (start, restart, election).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);
/// Log lines printed per node when a test fails.
const LOG_LINES_ON_FAILURE: usize = 30;

/// The tests share two cores with each other (and with whatever else builds): one cluster at a
/// time keeps elections and client deadlines meaningful. A cluster holds this while it lives.
static ONE_CLUSTER_AT_A_TIME: Mutex<()> = Mutex::new(());

pub struct LocalNode {
    pub id: u64,
    pub api_addr: String,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

pub struct LocalCluster {
    pub nodes: Vec<LocalNode>,
    /// Plain HTTP, or TLS trusting the cluster's CA.
    probe: Probe,
    _dir: tempfile::TempDir,
    _one_at_a_time: MutexGuard<'static, ()>,
}

/// Distinct free ports: all listeners stay open until every port is chosen.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> =
        (0..count).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    listeners.iter().map(|listener| listener.local_addr().expect("bound").port()).collect()
}

/// Polls `probe` every 50 ms until it yields `Some`, for at most `limit`.
pub fn wait_until<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(POLL);
    }
}

impl LocalCluster {
    /// Starts `size` nodes (node 1 bootstraps the cluster of all) and waits until every node is
    /// ready and agrees on the leader.
    pub fn start(size: usize) -> Self {
        Self::start_with(size, None, &[])
    }

    /// As `start`, every node serving TLS (both listeners) with a certificate `ca` signed, and
    /// trusting `ca` when it calls its peers; `extra` flags go to every node.
    pub fn start_tls(size: usize, ca: &TestCa, extra: &[&str]) -> Self {
        Self::start_with(size, Some(ca), extra)
    }

    fn start_with(size: usize, ca: Option<&TestCa>, extra: &[&str]) -> Self {
        let one_at_a_time = ONE_CLUSTER_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut shared: Vec<String> = extra.iter().map(|flag| (*flag).to_owned()).collect();
        if let Some(ca) = ca {
            let paths = ca.write(dir.path());
            shared.push(format!("--tls-cert={}", paths.cert.display()));
            shared.push(format!("--tls-key={}", paths.key.display()));
            shared.push(format!("--tls-ca={}", paths.ca.display()));
        }
        let probe = ca.map_or(Probe::Plain, |ca| Probe::Tls(ca.rustls_client()));
        let ports = free_ports(2 * size);
        let addr = |index: usize, kind: usize| format!("127.0.0.1:{}", ports[2 * index + kind]);
        let nodes = (0..size)
            .map(|index| {
                let id = index as u64 + 1;
                let peers: Vec<String> = (0..size)
                    .filter(|other| *other != index)
                    .map(|other| format!("{}={}/{}", other + 1, addr(other, 0), addr(other, 1)))
                    .collect();
                let mut args = vec![
                    format!("--node-id={id}"),
                    format!("--api-addr={}", addr(index, 0)),
                    format!("--peer-addr={}", addr(index, 1)),
                    format!("--data-dir={}", dir.path().join(format!("node{id}")).display()),
                ];
                if size > 1 {
                    args.push(format!("--peers={}", peers.join(",")));
                }
                args.push(if id == 1 { "--bootstrap" } else { "--no-bootstrap" }.to_owned());
                args.extend(shared.iter().cloned());
                let log = dir.path().join(format!("node{id}.log"));
                LocalNode { id, api_addr: addr(index, 0), args, log, child: None }
            })
            .collect();
        let mut cluster = Self { nodes, probe, _dir: dir, _one_at_a_time: one_at_a_time };
        for node in &mut cluster.nodes {
            node.spawn();
        }
        for index in 0..size {
            cluster.wait_ready(index);
        }
        cluster
    }

    pub fn api_addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.api_addr.clone()).collect()
    }

    /// `--nodes` / `COUPON_NODES` for the CLI.
    pub fn nodes_arg(&self) -> String {
        self.api_addrs().join(",")
    }

    /// Index of the leader every running node names, once they agree.
    pub fn leader(&self) -> usize {
        wait_until("one leader named by every running node", READY_TIMEOUT, || {
            let mut named = Vec::new();
            for node in self.nodes.iter().filter(|node| node.child.is_some()) {
                named.push(self.probe.get_json(&node.api_addr, "/cluster")?["leader_id"].as_u64()?);
            }
            named.dedup();
            match named.as_slice() {
                [leader] => self.nodes.iter().position(|node| node.id == *leader),
                _ => None,
            }
        })
    }

    /// SIGKILL node `index` and reap it.
    pub fn kill(&mut self, index: usize) {
        self.nodes[index].kill();
    }

    /// Starts node `index` again on its data and waits until it is ready.
    pub fn restart(&mut self, index: usize) {
        self.nodes[index].spawn();
        self.wait_ready(index);
    }

    /// Ready: `/readyz` answers 200, the leader the node names says it leads in the same term,
    /// and a majority of the nodes names it. (`/readyz` alone can be 200 right after a restart:
    /// a node restores its stored vote, so it names the leader of its last term even when that
    /// leader is gone, and a restarted leader calls itself leader even without a quorum.)
    pub fn wait_ready(&self, index: usize) {
        let node = &self.nodes[index];
        wait_until(&format!("node {} ready", node.id), READY_TIMEOUT, || {
            let (status, _) = self.probe.get(&node.api_addr, "/readyz")?;
            let view = self.probe.get_json(&node.api_addr, "/cluster")?;
            let leader_id = view["leader_id"].as_u64()?;
            let leader = self.nodes.iter().find(|other| other.id == leader_id)?;
            let leader_view = self.probe.get_json(&leader.api_addr, "/cluster")?;
            let agrees = leader_view["role"] == "leader" && leader_view["term"] == view["term"];
            let naming = self
                .nodes
                .iter()
                .filter_map(|other| self.probe.get_json(&other.api_addr, "/cluster"))
                .filter(|other| other["leader_id"] == leader_id && other["term"] == view["term"])
                .count();
            (status == 200 && agrees && naming > self.nodes.len() / 2).then_some(())
        });
    }
}

impl LocalNode {
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node {} is already running", self.id);
        let log = OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let child = Command::new(node_binary())
            .args(&self.args)
            .env("RUST_LOG", "coupon_node=info,openraft=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a second log handle"))
            .stderr(log)
            .spawn()
            .expect("coupon-node starts");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL to this child's pid; `wait` reaps it so no zombie is left.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn print_log_tail(&self) {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("---- node {} log, last lines ----", self.id);
        for line in &lines[lines.len().saturating_sub(LOG_LINES_ON_FAILURE)..] {
            eprintln!("{line}");
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
            if std::thread::panicking() {
                node.print_log_tail();
            }
        }
    }
}
