//! `coupon-node`: parse the configuration, start logging, run until SIGTERM or Ctrl-C.

use std::io::IsTerminal;
use std::os::unix::process::CommandExt;

use anyhow::Context;
use clap::Parser;
use coupon_node::config::{ApiAccess, Args, Config, PeerAccess};
use coupon_node::log_format::WithNodeId;
use tracing_subscriber::EnvFilter;

/// mimalloc: the node allocates per request across several threads, where glibc's malloc took a
/// sixth of its CPU time in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_LOG_FILTER: &str = "coupon_node=info,tower_http=info,openraft=info";

/// mimalloc hands freed memory back to the kernel a second after it is freed. While sled held the
/// coupon state it freed and allocated a 512 KiB IO buffer several times per log entry, so every
/// redeem paid page faults (about 10 % of the nodes' CPU per redeem, scripts/BENCHMARKS.md). The
/// state is now in memory and that cause is gone; the setting is kept until measured again (what
/// it costs is the resident size). The allocator reads its options from the environment before
/// `main` runs, so a node started without this variable runs itself again with purging off; it
/// then keeps its peak resident size. Set the variable to choose otherwise.
const ALLOCATOR_PURGE_DELAY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "-1");

fn main() -> anyhow::Result<()> {
    let (variable, purge_off) = ALLOCATOR_PURGE_DELAY;
    if std::env::var_os(variable).is_none() {
        if let Ok(this) = std::env::current_exe() {
            let mut again = std::process::Command::new(this);
            let error = again.args(std::env::args_os().skip(1)).env(variable, purge_off).exec();
            eprintln!("coupon-node: could not run again with {variable}={purge_off}: {error}");
        }
    }
    let config = Config::try_from(Args::parse()).context("invalid configuration")?;
    let access = config.peer_access().context("refusing to start")?;
    let api_access = config.api_access().context("refusing to start")?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let format = WithNodeId::new(config.node_id, tracing_subscriber::fmt::format());
    // Colours only on a terminal: nodes started by scripts log to files.
    let ansi = std::io::stdout().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).event_format(format).init();
    if api_access == ApiAccess::OpenOnLoopback {
        tracing::warn!(
            "no admin key: the API is open to every process on this machine until the cluster \
             holds a key (set COUPON_ADMIN_KEY or --admin-key-file)"
        );
    }
    if !config.tls.serves_tls() && config.listens_off_loopback() {
        tracing::warn!(
            "no TLS: the API and the peer link are plain HTTP on the network (set --tls-cert and \
             --tls-key, or COUPON_TLS_CERT and COUPON_TLS_KEY)"
        );
    }
    if access == PeerAccess::OpenOnLoopback {
        tracing::warn!(
            "no cluster secret: the peer routes are open to every process on this machine"
        );
    }

    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = config.worker_threads {
        runtime.worker_threads(threads);
    }
    let runtime = runtime.build().context("cannot start the async runtime")?;
    runtime.block_on(coupon_node::run(config, shutdown_signal())).context("coupon-node failed")
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
