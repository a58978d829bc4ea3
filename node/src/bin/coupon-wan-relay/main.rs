//! `coupon-wan-relay`: emulated wide-area links for a local cluster (scripts/regions.sh).
//!
//! Each node advertises one of the relay's front addresses as its peer address, so every
//! connection between nodes passes through the relay, which holds each byte back by the one-way
//! delay between the two nodes' regions (a connection's region is its source address's: each
//! node connects from its own loopback address). A new connection's first bytes also wait for
//! the handshake a real link would cost. The kernel's `netem` does this, where it is available;
//! this is for machines without it. Stops on SIGTERM or Ctrl-C, closing every connection.

mod args;
mod delay_schedule;
mod latency_matrix;
mod pipe;
mod relay;

use std::io::IsTerminal as _;

use anyhow::Context as _;
use clap::Parser as _;
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::EnvFilter;

use crate::args::Args;
use crate::relay::Relay;

const DEFAULT_LOG_FILTER: &str = "coupon_wan_relay=info";

fn main() -> anyhow::Result<()> {
    let relay = Relay::try_from(Args::parse()).context("invalid configuration")?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    // Colours only on a terminal: scripts/regions.sh logs to a file.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        let stop = async {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::info!("stopping");
        };
        relay.run(stop).await
    })
}
