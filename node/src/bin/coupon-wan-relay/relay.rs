//! `Relay`: the front listeners, and for each accepted connection the two delayed directions to
//! its node's real peer listener.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::SeedableRng as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::delay_schedule::DelaySchedule;
use crate::latency_matrix::LatencyMatrix;
use crate::pipe::pipe;

/// Connections one front holds at once; past it, new ones wait in the listen backlog.
const CONNECTIONS_PER_FRONT_MAX: usize = 4096;

/// One node behind the relay: connections to `front` go on to `target`, in `region`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub front: SocketAddr,
    pub target: SocketAddr,
    pub region: String,
}

/// The whole configuration, checked: every source region has a delay to every route's region.
#[derive(Debug)]
pub struct Relay {
    pub routes: Vec<Route>,
    /// Where a connection comes from, by its source address (each node connects from its own).
    pub sources: BTreeMap<IpAddr, String>,
    pub latency: LatencyMatrix,
    /// Share of each delay a chunk's delay may stray by, either way: 0.0..=1.0.
    pub jitter: f64,
}

impl Relay {
    /// Binds every front (all or nothing), prints each as `FRONT -> TARGET (REGION)` on stdout
    /// (with the port the system chose for a `:0` front), then relays until `shutdown`.
    /// Returning drops every task: every connection is closed.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let mut listeners = Vec::new();
        for route in &self.routes {
            let listener = TcpListener::bind(route.front)
                .await
                .with_context(|| format!("cannot listen on {}", route.front))?;
            let bound = listener.local_addr()?;
            println!("{bound} -> {} ({})", route.target, route.region);
            listeners.push((listener, Route { front: bound, ..route.clone() }));
        }
        let relay = Arc::new(self);
        let mut fronts = JoinSet::new();
        for (listener, route) in listeners {
            fronts.spawn(serve_front(Arc::clone(&relay), listener, route));
        }
        tokio::select! {
            () = shutdown => Ok(()),
            Some(ended) = fronts.join_next() => {
                ended.context("a front panicked")?.context("a front stopped")
            }
        }
    }

    /// The delay from the region `source` connects from to `route`'s region.
    fn one_way(&self, source: IpAddr, route: &Route) -> Option<(&str, Duration)> {
        let region = self.sources.get(&source)?;
        Some((region, self.latency.one_way(region, &route.region)?))
    }
}

/// Accepts on one front for good; each connection runs in `connections`, which this task owns,
/// so aborting it closes them all.
async fn serve_front(relay: Arc<Relay>, listener: TcpListener, route: Route) -> anyhow::Result<()> {
    let mut connections = JoinSet::new();
    loop {
        while connections.len() >= CONNECTIONS_PER_FRONT_MAX {
            connections.join_next().await;
        }
        tokio::select! {
            accepted = listener.accept() => {
                let (client, from) = accepted.with_context(|| format!("accept on {}", route.front))?;
                let accepted_at = Instant::now();
                let Some((region, one_way)) = relay.one_way(from.ip(), &route) else {
                    tracing::warn!(%from, front = %route.front, "no region for this source: closed");
                    continue;
                };
                tracing::debug!(%from, region, to = %route.target, ?one_way, "connection");
                let (target, jitter) = (route.target, relay.jitter);
                connections.spawn(async move {
                    if let Err(error) = relay_connection(client, target, one_way, jitter, accepted_at).await {
                        tracing::debug!(%from, %target, %error, "connection ended");
                    }
                });
            }
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Connects to `target` and relays both ways until both are done or either fails.
async fn relay_connection(
    client: TcpStream,
    target: SocketAddr,
    one_way: Duration,
    jitter: f64,
    accepted_at: Instant,
) -> std::io::Result<()> {
    let server = TcpStream::connect(target).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let upstream = DelaySchedule::from_client(one_way, jitter, accepted_at, StdRng::from_entropy());
    let downstream = DelaySchedule::new(one_way, jitter, accepted_at, StdRng::from_entropy());
    tokio::try_join!(
        pipe(client_read, server_write, upstream),
        pipe(server_read, client_write, downstream)
    )?;
    Ok(())
}
