//! `InProcessCluster`: nodes started with `coupon_node::start` in this test process, each on its
//! own sled directory and 127.0.0.1 ports, reachable over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use coupon_node::http_transport::HttpTransport;
use coupon_node::{Config, RunningNode};
use raft_store::storage::{Backend, DiskBackend};
use serde_json::json;

use super::http::{client, get, send};
use super::wait::until;

pub struct InProcessNode {
    pub id: u64,
    pub api_addr: String,
    pub peer_addr: String,
    dir: tempfile::TempDir,
    extra_flags: Vec<String>,
    pub running: Option<RunningNode>,
}

pub struct InProcessCluster {
    pub nodes: Vec<InProcessNode>,
}

impl InProcessCluster {
    /// Starts `size` nodes with `extra_flags`, initialises them as one cluster and waits until
    /// every node is ready.
    pub async fn start(size: u64, extra_flags: &[&str]) -> Self {
        Self::start_each(size, |_| extra_flags.iter().map(|flag| flag.to_string()).collect()).await
    }

    /// `start`, node `id` with the flags `flags_of(id)`; a node's `--region=` is named in the
    /// initial membership.
    pub async fn start_each(size: u64, flags_of: impl Fn(u64) -> Vec<String>) -> Self {
        let mut nodes = Vec::new();
        for id in 1..=size {
            let dir = tempfile::tempdir().expect("data dir");
            let extra_flags = flags_of(id);
            let mut node = InProcessNode {
                id,
                api_addr: "127.0.0.1:0".into(),
                peer_addr: "127.0.0.1:0".into(),
                dir,
                extra_flags,
                running: None,
            };
            node.boot().await;
            nodes.push(node);
        }
        let flag = |node: &InProcessNode, name: &str| {
            node.extra_flags.iter().find_map(|flag| flag.strip_prefix(name)).map(str::to_owned)
        };
        let members: Vec<_> = nodes
            .iter()
            .map(|node| {
                let mut member =
                    json!({"id": node.id, "api_addr": node.api_addr, "peer_addr": node.peer_addr});
                if let Some(region) = flag(node, "--region=") {
                    member["region"] = json!(region);
                }
                member
            })
            .collect();
        // A cluster started with a bootstrap admin key is initialised with it.
        let admin_key = flag(&nodes[0], "--admin-key=");
        let mut init = client()
            .post(format!("http://{}/cluster/init", nodes[0].api_addr))
            .json(&json!({ "members": members }));
        if let Some(key) = &admin_key {
            init = init.bearer_auth(key);
        }
        let reply = send(init).await;
        assert_eq!(reply.status, 200, "init: {}", reply.body);
        let cluster = Self { nodes };
        for node in &cluster.nodes {
            node.wait_ready().await;
        }
        cluster
    }

    /// One node that never joined a cluster (`--no-bootstrap`, never initialised).
    pub async fn start_uninitialised(extra_flags: &[&str]) -> InProcessNode {
        Self::start_spare(1, extra_flags).await
    }

    /// Node `id`, never initialised, waiting to be added to a cluster.
    pub async fn start_spare(id: u64, extra_flags: &[&str]) -> InProcessNode {
        let mut node = InProcessNode {
            id,
            api_addr: "127.0.0.1:0".into(),
            peer_addr: "127.0.0.1:0".into(),
            dir: tempfile::tempdir().expect("data dir"),
            extra_flags: extra_flags.iter().map(|flag| flag.to_string()).collect(),
            running: None,
        };
        node.boot().await;
        node
    }

    pub fn api_addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.api_addr.clone()).collect()
    }

    /// Index (into `nodes`) of the leader every running node agrees on.
    pub async fn leader(&self) -> usize {
        self.leader_seen(None).await
    }

    /// `leader`, asking the nodes with the bearer key `secret`.
    pub async fn leader_with_key(&self, secret: &str) -> usize {
        self.leader_seen(Some(secret)).await
    }

    async fn leader_seen(&self, secret: Option<&str>) -> usize {
        until("one leader known by every running node", Duration::from_secs(20), || async {
            let mut seen = Vec::new();
            for node in self.nodes.iter().filter(|node| node.running.is_some()) {
                let mut request = client().get(format!("http://{}/cluster", node.api_addr));
                if let Some(secret) = secret {
                    request = request.bearer_auth(secret);
                }
                seen.push(send(request).await.body["leader_id"].as_u64()?);
            }
            seen.dedup();
            match seen.as_slice() {
                [leader] => {
                    self.nodes.iter().position(|node| node.id == *leader && node.running.is_some())
                }
                _ => None,
            }
        })
        .await
    }
}

impl InProcessNode {
    fn config(&self) -> Config {
        let mut args = vec![
            "coupon-node".to_owned(),
            format!("--node-id={}", self.id),
            format!("--api-addr={}", self.api_addr),
            format!("--peer-addr={}", self.peer_addr),
            format!("--data-dir={}", self.dir.path().display()),
            "--no-bootstrap".to_owned(),
        ];
        args.extend(self.extra_flags.iter().cloned());
        Config::from_args(args).expect("test node config")
    }

    /// Starts the node on its directory (and, after the first start, on its first ports).
    pub async fn boot(&mut self) {
        let backend = open_disk(self.dir.path()).await;
        let transport = HttpTransport::new().expect("http transport");
        let storage =
            raft_store::recovery::recover(Arc::new(backend)).expect("the storage recovers");
        let running =
            coupon_node::start(self.config(), transport, storage).await.expect("node starts");
        self.api_addr = running.api_addr.to_string();
        self.peer_addr = running.peer_addr.to_string();
        self.running = Some(running);
    }

    /// Runs `change` on the stopped node's storage, as someone with its disk could.
    pub async fn alter_storage<Done: std::future::Future<Output = ()>>(
        &self,
        change: impl FnOnce(Arc<dyn Backend>) -> Done,
    ) {
        assert!(self.running.is_none(), "node {} is running", self.id);
        change(Arc::new(open_disk(self.dir.path()).await)).await;
    }

    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    pub async fn wait_ready(&self) {
        until(&format!("node {} ready", self.id), Duration::from_secs(20), || async {
            (get(&self.api_addr, "/readyz").await.status == 200).then_some(())
        })
        .await;
    }

    pub fn running(&self) -> &RunningNode {
        self.running.as_ref().expect("node is running")
    }
}

/// sled releases its directory shortly after its last handle drops; retry briefly.
async fn open_disk(path: &std::path::Path) -> DiskBackend {
    until("the data directory to be free", Duration::from_secs(10), || async {
        DiskBackend::open(path).ok()
    })
    .await
}
