//! Configuration: command-line flags (each also a `COUPON_*` environment variable), validated
//! once into a `Config` that everything below `main` receives.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use raft_store::{NodeId, NodeInfo, Region};

use crate::limits;

mod tls_files;
pub use tls_files::{PemFile, ServerFiles, TlsFiles};

pub const DEFAULT_NODE_ID: NodeId = 1;
pub const DEFAULT_API_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_PEER_ADDR: &str = "127.0.0.1:9080";
pub const DEFAULT_DATA_DIR: &str = "./data";

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "coupon-node", version, about = "One node of the replicated coupon service.")]
pub struct Args {
    /// This node's id in the cluster (a positive integer, unique in the cluster).
    #[arg(long, env = "COUPON_NODE_ID", default_value_t = DEFAULT_NODE_ID)]
    pub node_id: NodeId,
    /// host:port of the public HTTP API.
    #[arg(long, env = "COUPON_API_ADDR", default_value = DEFAULT_API_ADDR)]
    pub api_addr: String,
    /// host:port of the peer listener (Raft RPC and forwarded writes).
    #[arg(long, env = "COUPON_PEER_ADDR", default_value = DEFAULT_PEER_ADDR)]
    pub peer_addr: String,
    /// Directory of this node's Raft log (`raft-log/`), snapshot data (`snapshots/`) and stored
    /// snapshot's manifest (`state/`, sled).
    #[arg(long, env = "COUPON_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// The other members for `--bootstrap`: `ID=API_ADDR/PEER_ADDR`, comma-separated.
    #[arg(long, env = "COUPON_PEERS", value_delimiter = ',')]
    pub peers: Vec<PeerSpec>,
    /// Initialise a new cluster of this node and `--peers` unless this node already belongs to
    /// one. Without `--peers` a node does this by default (a single-node cluster).
    #[arg(long, env = "COUPON_BOOTSTRAP", conflicts_with = "no_bootstrap")]
    pub bootstrap: bool,
    /// Never initialise a cluster: wait for `POST /cluster/init` or to be added as a member.
    #[arg(long, env = "COUPON_NO_BOOTSTRAP")]
    pub no_bootstrap: bool,
    /// Shared secret that peer routes require (header `x-coupon-cluster-secret`). Required
    /// unless both listeners are on loopback.
    #[arg(long, env = "COUPON_CLUSTER_SECRET", hide_env_values = true)]
    pub cluster_secret: Option<String>,
    /// The bootstrap admin key: installed as `key_admin` when the cluster is new, and accepted
    /// until then. Prefer the environment variable or `--admin-key-file` to the flag, which other
    /// users can read in the process list.
    #[arg(
        long,
        env = "COUPON_ADMIN_KEY",
        hide_env_values = true,
        conflicts_with = "admin_key_file"
    )]
    pub admin_key: Option<String>,
    /// A file holding the bootstrap admin key (surrounding whitespace is ignored).
    #[arg(long, env = "COUPON_ADMIN_KEY_FILE")]
    pub admin_key_file: Option<PathBuf>,
    /// File holding the cluster secret (surrounding whitespace ignored), instead of
    /// `--cluster-secret`.
    #[arg(long, env = "COUPON_CLUSTER_SECRET_FILE", conflicts_with = "cluster_secret")]
    pub cluster_secret_file: Option<PathBuf>,
    /// Largest public request body, in bytes.
    #[arg(long, env = "COUPON_MAX_BODY_BYTES", default_value_t = limits::REQUEST_BODY_BYTES_DEFAULT)]
    pub max_body_bytes: usize,
    /// Deadline of one public request, in milliseconds.
    #[arg(long, env = "COUPON_REQUEST_TIMEOUT_MS", default_value_t = limits::REQUEST_TIMEOUT_DEFAULT.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(limits::REQUEST_TIMEOUT_MIN_MS..))]
    pub request_timeout_ms: u64,
    /// Proposals this node holds at once (queued or awaiting commit); past it, 503.
    #[arg(long, env = "COUPON_MAX_IN_FLIGHT_PROPOSALS", default_value_t = limits::IN_FLIGHT_PROPOSALS_DEFAULT)]
    pub max_in_flight_proposals: usize,
    /// Under concurrent load, how long the next batch of writes gathers before it is written,
    /// in milliseconds (0: never wait). A lone write never waits.
    #[arg(long, env = "COUPON_BATCH_LINGER_MS", default_value_t = limits::BATCH_LINGER_DEFAULT.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(0..=limits::BATCH_LINGER_MAX_MS))]
    pub batch_linger_ms: u64,
    /// Raft heartbeat interval, in milliseconds.
    #[arg(long, env = "COUPON_HEARTBEAT_MS", default_value_t = limits::HEARTBEAT_DEFAULT.as_millis() as u64)]
    pub heartbeat_ms: u64,
    /// Shortest election timeout, in milliseconds.
    #[arg(long, env = "COUPON_ELECTION_TIMEOUT_MS_MIN", default_value_t = limits::ELECTION_TIMEOUT_MIN_DEFAULT.as_millis() as u64)]
    pub election_timeout_ms_min: u64,
    /// Longest election timeout, in milliseconds.
    #[arg(long, env = "COUPON_ELECTION_TIMEOUT_MS_MAX", default_value_t = limits::ELECTION_TIMEOUT_MAX_DEFAULT.as_millis() as u64)]
    pub election_timeout_ms_max: u64,
    /// Applied log entries between snapshots.
    #[arg(long, env = "COUPON_SNAPSHOT_EVERY", default_value_t = limits::SNAPSHOT_EVERY_DEFAULT)]
    pub snapshot_every: u64,
    /// Requests per second each client may send to validate and redeem on this node; 0: no limit.
    #[arg(long, env = "COUPON_RATE_LIMIT_PER_SECOND", default_value_t = limits::RATE_LIMIT_PER_SECOND_DEFAULT)]
    pub rate_limit_per_second: u32,
    /// Requests a client may send at once before the rate applies.
    #[arg(long, env = "COUPON_RATE_LIMIT_BURST", default_value_t = limits::RATE_LIMIT_BURST_DEFAULT)]
    pub rate_limit_burst: u32,
    /// `http://host:port/path` that the leader POSTs low-stock alerts to (at least once).
    #[arg(long, env = "COUPON_ALERT_WEBHOOK")]
    pub alert_webhook: Option<String>,
    /// Secret that signs each alert delivery (header `Coupon-Signature`, HMAC-SHA256; see the
    /// README). Without it deliveries are unsigned.
    #[arg(
        long,
        env = "COUPON_ALERT_WEBHOOK_SECRET",
        hide_env_values = true,
        requires = "alert_webhook",
        conflicts_with = "alert_webhook_secret_file"
    )]
    pub alert_webhook_secret: Option<String>,
    /// File holding the alert webhook's secret (surrounding whitespace is ignored).
    #[arg(long, env = "COUPON_ALERT_WEBHOOK_SECRET_FILE", requires = "alert_webhook")]
    pub alert_webhook_secret_file: Option<PathBuf>,
    /// Threads running requests and Raft (default: one per core). Several nodes sharing one
    /// machine run best with their share of its cores each.
    #[arg(long, env = "COUPON_WORKER_THREADS")]
    pub worker_threads: Option<usize>,
    /// Log entries kept behind a snapshot for lagging followers.
    #[arg(long, env = "COUPON_LOGS_KEPT_BEHIND_SNAPSHOT", default_value_t = limits::LOGS_KEPT_BEHIND_SNAPSHOT_DEFAULT)]
    pub logs_kept_behind_snapshot: u64,
    /// PEM certificate chain (leaf first) that both listeners, the API and the peer link, serve
    /// TLS with; needs `--tls-key`. With it this node calls its peers over https://, so every
    /// node of a cluster has one or none does.
    #[arg(long, env = "COUPON_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "COUPON_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificate(s) this node trusts, beside the system roots, when it calls its peers
    /// and the alert webhook over https://.
    #[arg(long, env = "COUPON_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Connections each listener (API, peer) holds at once; further ones wait in the kernel's
    /// listen backlog until one closes.
    #[arg(long, env = "COUPON_MAX_CONNECTIONS", default_value_t = limits::CONNECTIONS_DEFAULT)]
    pub max_connections: usize,
    /// The local IP address this node's own connections (Raft RPC, forwarded writes and reads,
    /// probes, the webhook) are made from, e.g. its listeners' address, so that a firewall
    /// rule on addresses sees which node sends; absent: the system chooses.
    #[arg(long, env = "COUPON_SOURCE_ADDR")]
    pub source_addr: Option<std::net::IpAddr>,
    /// The region this node runs in (1-32 characters of a-z, 0-9 and '-'), recorded in the
    /// membership and shown by `GET /cluster`.
    #[arg(long, env = "COUPON_REGION")]
    pub region: Option<Region>,
    /// The region the leader should be in, the same on every node: a leader elsewhere hands
    /// leadership to a caught-up voter of that region.
    #[arg(long, env = "COUPON_PREFERRED_LEADER_REGION")]
    pub preferred_leader_region: Option<Region>,
    /// host:port other members reach this node's peer listener at, when it is not `--peer-addr`
    /// (behind a NAT, a proxy or a relay); recorded in the membership.
    #[arg(long, env = "COUPON_ADVERTISE_PEER_ADDR")]
    pub advertise_peer_addr: Option<String>,
}

/// `ID=API_ADDR/PEER_ADDR[@REGION]`, e.g. `2=127.0.0.1:8082/127.0.0.1:9082@eu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSpec {
    pub id: NodeId,
    pub node: NodeInfo,
}

impl FromStr for PeerSpec {
    type Err = ConfigError;

    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::PeerSpec(spec.to_owned());
        let (id, addrs) = spec.split_once('=').ok_or_else(bad)?;
        let (addrs, region) = match addrs.split_once('@') {
            Some((addrs, region)) => (addrs, Some(region.trim().parse().map_err(|_| bad())?)),
            None => (addrs, None),
        };
        let (api_addr, peer_addr) = addrs.split_once('/').ok_or_else(bad)?;
        let id = id.trim().parse().map_err(|_| bad())?;
        let node = NodeInfo {
            api_addr: api_addr.trim().to_owned(),
            peer_addr: peer_addr.trim().to_owned(),
            region,
        };
        Ok(Self { id, node })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--peers entry {0:?} is not ID=API_ADDR/PEER_ADDR[@REGION]")]
    PeerSpec(String),
    #[error("--node-id must be positive")]
    NodeIdZero,
    #[error("{flag} {value:?} is not a host:port address")]
    Address { flag: &'static str, value: String },
    #[error("--peers lists node {0} twice, or lists this node")]
    DuplicatePeer(NodeId),
    #[error("{0}")]
    Bound(&'static str),
    #[error("--alert-webhook {0:?} is not an http:// or https://host:port/path URL")]
    Webhook(String),
    #[error("cannot read --admin-key-file {path:?}: {error}")]
    AdminKeyFile { path: PathBuf, error: String },
    #[error("the admin key must be 1 to {max} printable ASCII characters")]
    AdminKey { max: usize },
    #[error("cannot read --alert-webhook-secret-file {path:?}")]
    WebhookSecretFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the alert webhook's secret is empty")]
    WebhookSecretEmpty,
    #[error(
        "--api-addr {addr} is not on loopback, so the API needs keys: set COUPON_ADMIN_KEY (or \
         --admin-key-file) to the bootstrap admin key, the same on every node"
    )]
    AdminKeyRequired { addr: String },
    #[error("cannot read --cluster-secret-file {path:?}: {source}")]
    SecretFile { path: PathBuf, source: std::io::Error },
    #[error("--cluster-secret-file {0:?} is empty")]
    SecretFileEmpty(PathBuf),
    #[error(
        "{flag} {addr} is not on loopback, so peer RPC needs a cluster secret: set \
         --cluster-secret (or COUPON_CLUSTER_SECRET), or --cluster-secret-file \
         (COUPON_CLUSTER_SECRET_FILE), to the same secret on every node"
    )]
    SecretRequired { flag: &'static str, addr: String },
    #[error(
        "{given} without its pair: --tls-cert and --tls-key go together (both: the node serves \
         TLS; neither: plain HTTP)"
    )]
    TlsPair { given: &'static str },
    #[error("cannot read {flag} {path:?}: {source}")]
    TlsFile { flag: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{flag} {path:?} is empty")]
    TlsFileEmpty { flag: &'static str, path: PathBuf },
}

/// Who may call this node's public API before the cluster holds a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiAccess {
    /// Nobody without a key: the bootstrap admin key is configured.
    Keyed,
    /// Anyone on this machine, until the first key is created.
    OpenOnLoopback,
}

/// Who may call this node's peer routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerAccess {
    /// Only callers that present the cluster secret.
    Guarded,
    /// Anyone on this machine: no secret is set, and both listeners are on loopback.
    OpenOnLoopback,
}

/// When this node initialises a cluster by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// Never: wait for `POST /cluster/init` or to be added.
    Never,
    /// On first start: a cluster of this node and its `--peers`.
    OnFirstStart,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub node_id: NodeId,
    pub api_addr: String,
    pub peer_addr: String,
    pub data_dir: PathBuf,
    pub peers: BTreeMap<NodeId, NodeInfo>,
    pub bootstrap: Bootstrap,
    pub cluster_secret: Option<String>,
    /// The bootstrap admin key's secret.
    pub admin_key: Option<String>,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub max_in_flight_proposals: usize,
    pub batch_linger: Duration,
    pub rate_limit: RateLimitSettings,
    pub alert_webhook: Option<String>,
    /// Signs alert deliveries when set.
    pub alert_webhook_secret: Option<String>,
    /// `None`: one per core.
    pub worker_threads: Option<usize>,
    pub raft: RaftTiming,
    pub tls: TlsFiles,
    /// Connections each listener holds at once.
    pub max_connections: usize,
    /// Where outgoing connections are made from; `None`: the system chooses.
    pub source_addr: Option<std::net::IpAddr>,
    pub region: Option<Region>,
    pub preferred_leader_region: Option<Region>,
    /// Where other members reach the peer listener; `None`: at the address it is bound to.
    pub advertise_peer_addr: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// 0: no limit.
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct RaftTiming {
    pub heartbeat: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    pub snapshot_every: u64,
    pub logs_kept_behind_snapshot: u64,
}

impl TryFrom<Args> for Config {
    type Error = ConfigError;

    fn try_from(args: Args) -> Result<Self, ConfigError> {
        if args.node_id == 0 {
            return Err(ConfigError::NodeIdZero);
        }
        check_address("--api-addr", &args.api_addr)?;
        check_address("--peer-addr", &args.peer_addr)?;
        if let Some(advertised) = &args.advertise_peer_addr {
            check_address("--advertise-peer-addr", advertised)?;
        }
        let peers = peer_map(args.node_id, &args.peers)?;
        check_bounds(&args)?;
        if let Some(url) = &args.alert_webhook {
            check_webhook(url)?;
        }
        let admin_key = admin_key(args.admin_key.as_deref(), args.admin_key_file.as_deref())?;
        let alert_webhook_secret = webhook_secret(&args)?;
        let cluster_secret = cluster_secret(&args)?;
        let tls = TlsFiles::read(
            args.tls_cert.as_deref(),
            args.tls_key.as_deref(),
            args.tls_ca.as_deref(),
        )?;
        let bootstrap = match (args.bootstrap, args.no_bootstrap, peers.is_empty()) {
            (true, _, _) | (false, false, true) => Bootstrap::OnFirstStart,
            _ => Bootstrap::Never,
        };
        Ok(Config {
            node_id: args.node_id,
            api_addr: args.api_addr,
            peer_addr: args.peer_addr,
            data_dir: args.data_dir,
            peers,
            bootstrap,
            cluster_secret,
            admin_key,
            max_body_bytes: args.max_body_bytes,
            request_timeout: Duration::from_millis(args.request_timeout_ms),
            max_in_flight_proposals: args.max_in_flight_proposals,
            batch_linger: Duration::from_millis(args.batch_linger_ms),
            rate_limit: RateLimitSettings {
                per_second: args.rate_limit_per_second,
                burst: args.rate_limit_burst,
            },
            alert_webhook: args.alert_webhook,
            alert_webhook_secret,
            worker_threads: args.worker_threads,
            raft: RaftTiming {
                heartbeat: Duration::from_millis(args.heartbeat_ms),
                election_timeout_min: Duration::from_millis(args.election_timeout_ms_min),
                election_timeout_max: Duration::from_millis(args.election_timeout_ms_max),
                snapshot_every: args.snapshot_every,
                logs_kept_behind_snapshot: args.logs_kept_behind_snapshot,
            },
            tls,
            max_connections: args.max_connections,
            source_addr: args.source_addr,
            region: args.region,
            preferred_leader_region: args.preferred_leader_region,
            advertise_peer_addr: args.advertise_peer_addr,
        })
    }
}

/// The bootstrap admin key from the flag (or `COUPON_ADMIN_KEY`) or its file; empty is none.
fn admin_key(
    value: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Option<String>, ConfigError> {
    let raw = match (value, file) {
        (Some(value), _) => value.to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|error| {
            ConfigError::AdminKeyFile { path: path.to_owned(), error: error.to_string() }
        })?,
        (None, None) => return Ok(None),
    };
    let key = raw.trim();
    if key.is_empty() {
        return Ok(None);
    }
    let max = raft_store::limits::KEY_SECRET_CHARS_MAX;
    if key.len() > max || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::AdminKey { max });
    }
    Ok(Some(key.to_owned()))
}

/// The secret from `--cluster-secret` or from `--cluster-secret-file` (clap refuses both).
fn cluster_secret(args: &Args) -> Result<Option<String>, ConfigError> {
    let Some(path) = &args.cluster_secret_file else {
        return Ok(args.cluster_secret.clone().filter(|secret| !secret.is_empty()));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::SecretFile { path: path.clone(), source })?;
    match text.trim() {
        "" => Err(ConfigError::SecretFileEmpty(path.clone())),
        secret => Ok(Some(secret.to_owned())),
    }
}

/// Whether `addr` (host:port) is a loopback address: `127.0.0.0/8`, `[::1]` or `localhost`.
/// Anything else, the unspecified `0.0.0.0` included, is reachable from other machines.
fn is_loopback(addr: &str) -> bool {
    match addr.parse::<SocketAddr>() {
        Ok(socket) => socket.ip().is_loopback(),
        Err(_) => {
            addr.rsplit_once(':').is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
        }
    }
}

fn check_address(flag: &'static str, value: &str) -> Result<(), ConfigError> {
    let parsed = value.parse::<SocketAddr>().is_ok()
        || value
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if parsed {
        Ok(())
    } else {
        Err(ConfigError::Address { flag, value: value.to_owned() })
    }
}

/// The secret from `--alert-webhook-secret` or the file `--alert-webhook-secret-file` names;
/// an empty one is refused rather than sending unsigned deliveries by mistake.
fn webhook_secret(args: &Args) -> Result<Option<String>, ConfigError> {
    let secret = match (&args.alert_webhook_secret, &args.alert_webhook_secret_file) {
        (Some(secret), _) => secret.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|source| ConfigError::WebhookSecretFile { path: path.clone(), source })?
            .trim()
            .to_owned(),
        (None, None) => return Ok(None),
    };
    if secret.is_empty() {
        return Err(ConfigError::WebhookSecretEmpty);
    }
    Ok(Some(secret))
}

/// `http://` or `https://` (verified against the system roots plus `--tls-ca`).
fn check_webhook(url: &str) -> Result<(), ConfigError> {
    let authority = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match authority {
        Some(authority) if check_address("--alert-webhook", authority).is_ok() => Ok(()),
        _ => Err(ConfigError::Webhook(url.to_owned())),
    }
}

fn peer_map(
    node_id: NodeId,
    peers: &[PeerSpec],
) -> Result<BTreeMap<NodeId, NodeInfo>, ConfigError> {
    let mut map = BTreeMap::new();
    for peer in peers {
        check_address("--peers", &peer.node.api_addr)?;
        check_address("--peers", &peer.node.peer_addr)?;
        if peer.id == node_id || map.insert(peer.id, peer.node.clone()).is_some() {
            return Err(ConfigError::DuplicatePeer(peer.id));
        }
    }
    Ok(map)
}

fn check_bounds(args: &Args) -> Result<(), ConfigError> {
    let checks = [
        (args.max_body_bytes >= 1024, "--max-body-bytes must be at least 1024"),
        (
            args.max_body_bytes <= limits::PEER_BODY_BYTES_MAX,
            "--max-body-bytes is above the peer body bound",
        ),
        (args.max_in_flight_proposals >= 1, "--max-in-flight-proposals must be at least 1"),
        (args.heartbeat_ms >= 10, "--heartbeat-ms must be at least 10"),
        (
            args.heartbeat_ms * 3 <= args.election_timeout_ms_min,
            "--election-timeout-ms-min must be at least three heartbeats",
        ),
        (
            args.election_timeout_ms_min < args.election_timeout_ms_max,
            "--election-timeout-ms-min must be below the max",
        ),
        (args.snapshot_every >= 1, "--snapshot-every must be at least 1"),
        (args.worker_threads != Some(0), "--worker-threads must be at least 1"),
        (
            (limits::CONNECTIONS_MIN..=limits::CONNECTIONS_MAX).contains(&args.max_connections),
            "--max-connections must be 2 to 65536",
        ),
    ];
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, message)) => Err(ConfigError::Bound(message)),
        None => Ok(()),
    }
}

impl Config {
    /// The configuration of `coupon-node` started with no flags: a single-node cluster in
    /// `./data` on `127.0.0.1:8080`.
    pub fn from_args<I, T>(args: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser;
        Config::try_from(Args::parse_from(args))
    }

    /// Who may call the peer routes; refuses a node that other machines can reach (either
    /// listener off loopback) without a cluster secret.
    pub fn peer_access(&self) -> Result<PeerAccess, ConfigError> {
        if self.cluster_secret.is_some() {
            return Ok(PeerAccess::Guarded);
        }
        let listeners = [("--api-addr", &self.api_addr), ("--peer-addr", &self.peer_addr)];
        match listeners.into_iter().find(|(_, addr)| !is_loopback(addr)) {
            Some((flag, addr)) => Err(ConfigError::SecretRequired { flag, addr: addr.clone() }),
            None => Ok(PeerAccess::OpenOnLoopback),
        }
    }

    /// Whether the public API may start without a bootstrap admin key: only on loopback, where a
    /// node without one runs open until the cluster holds a key (`service::KeyService`).
    pub fn api_access(&self) -> Result<ApiAccess, ConfigError> {
        match (&self.admin_key, is_loopback(&self.api_addr)) {
            (Some(_), _) => Ok(ApiAccess::Keyed),
            (None, true) => Ok(ApiAccess::OpenOnLoopback),
            (None, false) => Err(ConfigError::AdminKeyRequired { addr: self.api_addr.clone() }),
        }
    }

    /// Whether either listener is reachable from other machines.
    pub fn listens_off_loopback(&self) -> bool {
        !is_loopback(&self.api_addr) || !is_loopback(&self.peer_addr)
    }

    /// What the membership records of this node, whose listeners are bound at `api_addr` and
    /// `peer_addr` (the configured ones, resolved: a port 0 is the port the system chose).
    pub fn this_node(&self, api_addr: SocketAddr, peer_addr: SocketAddr) -> NodeInfo {
        NodeInfo {
            api_addr: api_addr.to_string(),
            peer_addr: self.advertise_peer_addr.clone().unwrap_or_else(|| peer_addr.to_string()),
            region: self.region.clone(),
        }
    }

    /// openraft's configuration from ours, validated.
    pub fn openraft(&self) -> Result<openraft::Config, Box<openraft::ConfigError>> {
        openraft::Config {
            cluster_name: "coupon".to_owned(),
            heartbeat_interval: self.raft.heartbeat.as_millis() as u64,
            election_timeout_min: self.raft.election_timeout_min.as_millis() as u64,
            election_timeout_max: self.raft.election_timeout_max.as_millis() as u64,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.raft.snapshot_every),
            max_in_snapshot_log_to_keep: self.raft.logs_kept_behind_snapshot,
            snapshot_max_chunk_size: limits::SNAPSHOT_SENT_CHUNK_BYTES,
            ..openraft::Config::default()
        }
        .validate()
        .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_flags_is_a_single_node_cluster_on_the_embedded_default() {
        let config = Config::from_args(["coupon-node"]).unwrap();
        assert_eq!((config.node_id, config.api_addr.as_str()), (1, "127.0.0.1:8080"));
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.bootstrap, Bootstrap::OnFirstStart);
        assert_eq!(config.batch_linger, limits::BATCH_LINGER_DEFAULT);
        assert!(config.openraft().is_ok());
    }

    #[test]
    fn peers_are_parsed_and_a_node_with_peers_waits_unless_told_to_bootstrap() {
        let args = [
            "coupon-node",
            "--node-id",
            "1",
            "--peers",
            "2=127.0.0.1:8082/127.0.0.1:9082,3=h:8083/h:9083",
        ];
        let config = Config::from_args(args).unwrap();
        assert_eq!(config.peers.len(), 2);
        assert_eq!(config.peers[&2].peer_addr, "127.0.0.1:9082");
        assert_eq!(config.bootstrap, Bootstrap::Never);
        let config = Config::from_args(args.into_iter().chain(["--bootstrap"])).unwrap();
        assert_eq!(config.bootstrap, Bootstrap::OnFirstStart);
    }

    #[test]
    fn regions_and_the_advertised_peer_address_reach_the_membership() {
        let args = [
            "coupon-node",
            "--region=us",
            "--preferred-leader-region=eu",
            "--advertise-peer-addr=127.0.1.11:9081",
            "--peers",
            "2=127.0.0.1:8082/127.0.0.1:9082@eu,3=h:8083/h:9083",
        ];
        let config = Config::from_args(args).unwrap();
        let eu = Region::new("eu").unwrap();
        assert_eq!(config.peers[&2].region.as_ref(), Some(&eu));
        assert_eq!(config.peers[&3].region, None);
        assert_eq!(config.preferred_leader_region, Some(eu));
        let bound = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let this = config.this_node(bound(8081), bound(9081));
        assert_eq!(this.peer_addr, "127.0.1.11:9081", "the advertised address, not the bound one");
        assert_eq!(this.region, Some(Region::new("us").unwrap()));
    }

    fn peer_access(flags: &[&str]) -> Result<PeerAccess, ConfigError> {
        Config::from_args(std::iter::once("coupon-node").chain(flags.iter().copied()))?
            .peer_access()
    }

    #[test]
    fn a_node_off_loopback_needs_a_cluster_secret() {
        let off_loopback: [&[&str]; 4] = [
            &["--api-addr", "0.0.0.0:8080"],
            &["--peer-addr", "10.0.0.4:9080"],
            &["--api-addr", "[::]:8080"],
            &["--peer-addr", "coupon-4.internal:9080"],
        ];
        for flags in off_loopback {
            let refused = peer_access(flags);
            assert!(matches!(refused, Err(ConfigError::SecretRequired { .. })), "{flags:?}");
            let message = refused.unwrap_err().to_string();
            assert!(
                message.contains("--cluster-secret") && message.contains("COUPON_CLUSTER_SECRET")
            );
            let guarded = [flags, &["--cluster-secret", "s3cret"]].concat();
            assert_eq!(peer_access(&guarded).unwrap(), PeerAccess::Guarded, "{flags:?}");
        }
        // An empty secret is no secret.
        assert!(peer_access(&["--peer-addr", "0.0.0.0:9080", "--cluster-secret", ""]).is_err());
    }

    fn api_access(flags: &[&str]) -> Result<ApiAccess, ConfigError> {
        Config::from_args(std::iter::once("coupon-node").chain(flags.iter().copied()))?.api_access()
    }

    #[test]
    fn an_api_off_loopback_needs_an_admin_key_and_one_on_loopback_may_run_open() {
        let refused = api_access(&["--api-addr", "0.0.0.0:8080"]).unwrap_err();
        assert!(matches!(refused, ConfigError::AdminKeyRequired { .. }));
        assert!(refused.to_string().contains("COUPON_ADMIN_KEY"));
        let keyed = ["--api-addr", "10.0.0.4:8080", "--admin-key", "k-123"];
        assert_eq!(api_access(&keyed).unwrap(), ApiAccess::Keyed);
        assert_eq!(api_access(&[]).unwrap(), ApiAccess::OpenOnLoopback);
        assert_eq!(api_access(&["--admin-key", "k-123"]).unwrap(), ApiAccess::Keyed);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "  k-from-file \n").unwrap();
        let path = file.path().to_str().unwrap();
        let config = Config::from_args(["coupon-node", "--admin-key-file", path]).unwrap();
        assert_eq!(config.admin_key.as_deref(), Some("k-from-file"));
    }

    #[test]
    fn on_loopback_a_node_may_run_open() {
        assert_eq!(peer_access(&[]).unwrap(), PeerAccess::OpenOnLoopback);
        let local = ["--api-addr", "localhost:8080", "--peer-addr", "[::1]:9080"];
        assert_eq!(peer_access(&local).unwrap(), PeerAccess::OpenOnLoopback);
        let other_loopback = ["--api-addr", "127.0.0.2:8080", "--peer-addr", "127.1.2.3:9080"];
        assert_eq!(peer_access(&other_loopback).unwrap(), PeerAccess::OpenOnLoopback);
        let with_secret = ["--cluster-secret", "s3cret"];
        assert_eq!(peer_access(&with_secret).unwrap(), PeerAccess::Guarded);
    }

    #[test]
    fn the_secret_may_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "  s3cret\n").unwrap();
        let file = path.to_str().unwrap();
        let config = Config::from_args(["coupon-node", "--cluster-secret-file", file]).unwrap();
        assert_eq!(config.cluster_secret.as_deref(), Some("s3cret"));
        std::fs::write(&path, "\n").unwrap();
        let empty = Config::from_args(["coupon-node", "--cluster-secret-file", file]);
        assert!(matches!(empty, Err(ConfigError::SecretFileEmpty(_))));
        let missing = dir.path().join("missing");
        let missing =
            Config::from_args(["coupon-node", "--cluster-secret-file", missing.to_str().unwrap()]);
        assert!(matches!(missing, Err(ConfigError::SecretFile { .. })));
        let both = ["coupon-node", "--cluster-secret-file", file, "--cluster-secret", "x"];
        assert!(<Args as clap::Parser>::try_parse_from(both).is_err());
    }

    #[test]
    fn bad_configurations_fail_fast() {
        let cases: [&[&str]; 18] = [
            &["--region=EU"],
            &["--preferred-leader-region="],
            &["--peers", "2=h:1/h:2@Eu West"],
            &["--advertise-peer-addr=nowhere"],
            &["--alert-webhook", "https://hooks.example/coupons"],
            &["--alert-webhook", "ftp://hooks.example:21/coupons"],
            &["--max-connections", "1"],
            &["--max-connections", "65537"],
            &["--alert-webhook-secret", "s3cret"],
            &["--alert-webhook", "http://127.0.0.1:9/a", "--alert-webhook-secret", ""],
            &["--alert-webhook", "http:///no-host"],
            &["--node-id", "0"],
            &["--api-addr", "nowhere"],
            &["--peers", "1=a:1/b:2"],
            &["--peers", "2=a:1"],
            &["--heartbeat-ms", "500", "--election-timeout-ms-min", "600"],
            &["--batch-linger-ms", "21"],
            &["--request-timeout-ms", "99"],
        ];
        for case in cases {
            let args = std::iter::once("coupon-node").chain(case.iter().copied());
            let refused = match <Args as clap::Parser>::try_parse_from(args) {
                Ok(args) => Config::try_from(args).is_err(),
                Err(_) => true,
            };
            assert!(refused, "{case:?}");
        }
    }

    #[test]
    fn outgoing_connections_have_no_source_address_unless_one_is_given() {
        assert_eq!(Config::from_args(["coupon-node"]).unwrap().source_addr, None);
        let bound = Config::from_args(["coupon-node", "--source-addr", "127.0.0.11"]).unwrap();
        assert_eq!(bound.source_addr, Some(std::net::Ipv4Addr::new(127, 0, 0, 11).into()));
    }

    #[test]
    fn a_webhook_may_be_https() {
        let hook = ["coupon-node", "--alert-webhook", "https://hooks.example:443/coupons"];
        let config = Config::from_args(hook).unwrap();
        assert_eq!(config.alert_webhook.as_deref(), Some("https://hooks.example:443/coupons"));
        assert_eq!(config.max_connections, limits::CONNECTIONS_DEFAULT);
    }

    #[test]
    fn the_webhook_secret_comes_from_its_flag_or_its_file() {
        let hook = ["coupon-node", "--alert-webhook", "http://127.0.0.1:9/alerts"];
        assert_eq!(Config::from_args(hook).unwrap().alert_webhook_secret, None);
        let flag = hook.into_iter().chain(["--alert-webhook-secret", "s3cret"]);
        assert_eq!(
            Config::from_args(flag).unwrap().alert_webhook_secret.as_deref(),
            Some("s3cret")
        );
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "from-file\n").unwrap();
        let path = file.path().to_str().unwrap();
        let from_file = hook.into_iter().chain(["--alert-webhook-secret-file", path]);
        let config = Config::from_args(from_file).unwrap();
        assert_eq!(config.alert_webhook_secret.as_deref(), Some("from-file"));
    }
}
