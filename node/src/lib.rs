//! coupon-node: one member of the replicated coupon cluster.
//!
//! Configuration, the axum HTTP API, Raft RPC and its network, forwarding of writes to the
//! leader, linearizable reads, and the wiring that starts a node. HTTP goes through the
//! `Transport` seam, so the simulation serves these same routers over simulated TCP.
//!
//! Depends on raft-store and on the wire types of coupon-client (its HTTP client feature off);
//! must never depend on the simulation crate.
//!
//! # Layers
//!
//! The modules form one tower. A module uses only modules listed after it in this table (rows
//! top to bottom, each row left to right), never one listed before it; the test `layers` below
//! holds every `crate::` path in `src/` to it.
//!
//! | layer       | modules |
//! |-------------|---------|
//! | wiring      | `node`, `config` |
//! | inbound     | `peer_server`, `http` |
//! | operations  | `service`, `alert_webhook`, `convert` |
//! | leader path | `leader_preference`, `election_gate`, `write`, `read_barrier`, `cluster_admin`, `forward` |
//! | outbound    | `raft_network`, `peer`, `http_transport`, `accept_loop`, `tls`, `transport` |
//! | foundations | `metrics`, `shutdown`, `log_format`, `limits`, `entropy`, `wall_clock`, `handoff_gate` |
//!
//! - **wiring** starts and stops a node from its `Config`.
//! - **inbound** serves the two listeners: the public API (`http`, the only place that chooses
//!   an HTTP status) and the peer routes (`peer_server`: Raft RPC, forwarded writes, read-index
//!   and membership requests).
//! - **operations**: `CouponService` owns a coupon request from parsed input to outcome
//!   (idempotency fingerprint, conversion, the write or the read); `convert` maps wire types to
//!   the domain's and back, returning plain errors.
//! - **leader path**: batching writes (`write`), linearizable reads (`read_barrier`) and
//!   membership changes (`cluster_admin`), all reaching the leader through `forward::Forwarder`;
//!   the move of leadership to the preferred leader region (`leader_preference`); and no
//!   campaigns from a voter that cannot reach a majority (`election_gate`).
//! - **outbound**: peer calls (`peer`), openraft's network over them (`raft_network`), and the
//!   `Transport` seam with its production implementation (`http_transport`, serving through
//!   `accept_loop`, with TLS from `tls` when the node has a certificate).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

#[cfg(not(madsim))]
pub mod accept_loop;
pub mod alert_webhook;
pub mod cluster_admin;
pub mod config;
mod convert;
pub mod election_gate;
mod entropy;
pub mod forward;
pub mod handoff_gate;
pub mod http;
#[cfg(not(madsim))]
pub mod http_transport;
pub mod leader_preference;
pub mod limits;
pub mod log_format;
pub mod metrics;
pub mod node;
pub mod peer;
pub mod peer_server;
pub mod raft_network;
pub mod read_barrier;
pub mod service;
pub mod shutdown;
#[cfg(not(madsim))]
pub mod tls;
pub mod transport;
pub mod wall_clock;
pub mod write;

pub use config::Config;
pub use node::{start, NodeError, RunningNode};

/// Runs a production node (its Raft log and stored snapshot in `config.data_dir`, HTTP over TCP)
/// until `shutdown`.
#[cfg(not(madsim))]
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), RunError> {
    let transport = http_transport::HttpTransport::with_options(http_options(&config)?)?;
    let stored = raft_store::storage::DiskBackend::open(&config.data_dir)?;
    let storage =
        raft_store::recovery::recover(std::sync::Arc::new(stored)).map_err(NodeError::from)?;
    let node = start(config, transport, storage).await?;
    shutdown.await;
    tracing::info!("shutting down");
    node.stop().await;
    Ok(())
}

/// The transport's options from the configuration: the PEM files parsed, so a bad one stops the
/// node before it opens its data or listens.
#[cfg(not(madsim))]
pub fn http_options(config: &Config) -> Result<http_transport::HttpOptions, tls::TlsError> {
    fn pem<'a>(flag: &'static str, file: &'a config::PemFile) -> tls::Pem<'a> {
        tls::Pem { flag, path: &file.path, text: &file.text }
    }
    let server = match &config.tls.server {
        Some(files) => Some(tls::ServerTls::from_pem(
            pem("--tls-cert", &files.cert),
            pem("--tls-key", &files.key),
        )?),
        None => None,
    };
    let trusted_ca = config
        .tls
        .ca
        .as_ref()
        .map(|ca| tls::TrustedCa::from_pem(pem("--tls-ca", ca)))
        .transpose()?;
    Ok(http_transport::HttpOptions {
        tls: server,
        trusted_ca,
        connections_max: config.max_connections,
        source_addr: config.source_addr,
    })
}

#[cfg(not(madsim))]
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot use the TLS files: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot open the data directory: {0}")]
    Storage(#[from] raft_store::storage::BackendError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error(transparent)]
    Node(#[from] NodeError),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// The modules of the layer table in this file's doc, in the order listed (top first).
    fn listed_modules(lib_rs: &str) -> Vec<String> {
        lib_rs
            .lines()
            .filter_map(|line| line.strip_prefix("//! | "))
            .filter(|row| !row.starts_with("layer") && !row.starts_with('-'))
            .flat_map(|row| row.split('`').skip(1).step_by(2).map(str::to_owned))
            .collect()
    }

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// The top-level modules a file names in `crate::` paths, `use crate::{a, b::c}` included.
    fn modules_used(text: &str) -> Vec<String> {
        let mut used = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let names = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                used.push(name);
            }
        }
        used
    }

    #[test]
    fn layers() {
        // Goal: no module uses one listed above it in the layer table of this crate's doc.
        // Steps: read the table; for every file under src/, find its top-level module and every
        // `crate::` path it writes; each must name a module listed at or after its own.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib_rs = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        let order: BTreeMap<String, usize> =
            listed_modules(&lib_rs).into_iter().enumerate().map(|(at, name)| (name, at)).collect();
        assert!(order.contains_key("node") && order.contains_key("limits"), "{order:?}");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut upward = Vec::new();
        for file in files {
            let relative = file.strip_prefix(&src).unwrap();
            let first = relative.components().next().unwrap().as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            // `main.rs` and `bin/` are binaries of their own, outside the library's tower.
            if module == "lib" || module == "main" || module == "bin" {
                continue;
            }
            let position = order.get(&module);
            assert!(position.is_some(), "{module} is missing from the layer table in lib.rs");
            let text = std::fs::read_to_string(&file).unwrap();
            for used in modules_used(&text) {
                match order.get(&used) {
                    Some(used_at) if used_at < position.unwrap() => {
                        upward.push(format!("{} uses crate::{used}", relative.display()));
                    }
                    _ => {}
                }
            }
        }
        assert!(upward.is_empty(), "imports up the layers: {upward:#?}");
    }

    #[test]
    fn the_layer_check_sees_grouped_and_inline_paths() {
        let text = "use crate::{http::ApiError, write};\nlet _ = crate::node::start;";
        assert_eq!(modules_used(text), ["http", "write", "node"]);
    }
}
