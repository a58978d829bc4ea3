//! `ProcessCluster`: `coupon-node` child processes on 127.0.0.1, so a test can SIGKILL one.
//! Every child is killed by pid when the cluster is dropped; on a failing test the nodes' logs
//! are printed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

impl ProcessCluster {
    /// Starts `size` nodes (node 1 bootstraps the cluster) and waits until all are ready.
    pub async fn start(size: u64, extra_flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("cluster dir");
        let addrs: Vec<(String, String)> = (0..size)
            .map(|_| (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port())))
            .collect();
        let nodes = (1..=size)
            .map(|id| {
                let (api_addr, peer_addr) = addrs[id as usize - 1].clone();
                let peers: Vec<String> = (1..=size)
                    .filter(|other| *other != id)
                    .map(|other| {
                        format!(
                            "{other}={}/{}",
                            addrs[other as usize - 1].0,
                            addrs[other as usize - 1].1
                        )
                    })
                    .collect();
                let data = dir.path().join(format!("node-{id}"));
                let mut args = vec![
                    format!("--node-id={id}"),
                    format!("--api-addr={api_addr}"),
                    format!("--peer-addr={peer_addr}"),
                    format!("--data-dir={}", data.display()),
                    format!("--peers={}", peers.join(",")),
                ];
                if id == 1 {
                    args.push("--bootstrap".to_owned());
                }
                args.extend(extra_flags.iter().map(|flag| flag.to_string()));
                let log = dir.path().join(format!("node-{id}.log"));
                ProcessNode { id, api_addr, args, log, child: None }
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
