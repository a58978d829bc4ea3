//! `Args`: the relay's command line, checked into a `Relay`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context as _};
use clap::Parser;

use crate::latency_matrix::LatencyMatrix;
use crate::relay::{Relay, Route};

/// A TCP relay that delays every byte by the one-way latency between the regions of its two
/// ends, to run a local cluster as if its nodes were far apart.
#[derive(Debug, Parser)]
#[command(name = "coupon-wan-relay")]
pub struct Args {
    /// `FRONT=TARGET@REGION`: listen on FRONT (the peer address a node advertises) and forward
    /// to TARGET (that node's real peer listener), a node in REGION. Repeat per node.
    #[arg(long = "route", required = true, value_name = "FRONT=TARGET@REGION")]
    routes: Vec<String>,
    /// `IP=REGION`: a connection from IP (a node's --source-addr) comes from REGION. Repeat per
    /// node; a connection from an address not given is closed.
    #[arg(long = "source", required = true, value_name = "IP=REGION")]
    sources: Vec<String>,
    /// One-way delays in milliseconds, `A:B=MS` by pair of regions (either order), comma
    /// separated; every region pair that can meet needs one, a region with itself too.
    #[arg(long = "latency-ms", required = true, value_delimiter = ',', value_name = "A:B=MS")]
    latency: Vec<String>,
    /// Each chunk's delay is drawn uniformly within this percentage of the pair's delay, either
    /// way (bytes never overtake each other).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    jitter_pct: u8,
}

impl TryFrom<Args> for Relay {
    type Error = anyhow::Error;

    fn try_from(args: Args) -> anyhow::Result<Self> {
        let mut latency = LatencyMatrix::default();
        for entry in &args.latency {
            latency.insert_entry(entry).context("--latency-ms")?;
        }
        let routes =
            args.routes.iter().map(|route| parse_route(route)).collect::<Result<_, _>>()?;
        let mut sources = BTreeMap::new();
        for source in &args.sources {
            let (ip, region) = parse_source(source)?;
            if sources.insert(ip, region).is_some() {
                bail!("--source {ip} is given twice");
            }
        }
        let relay = Relay { routes, sources, latency, jitter: f64::from(args.jitter_pct) / 100.0 };
        check_complete(&relay)?;
        Ok(relay)
    }
}

fn parse_route(route: &str) -> anyhow::Result<Route> {
    let shape = || format!("--route '{route}' is not FRONT=TARGET@REGION");
    let (front, rest) = route.split_once('=').with_context(shape)?;
    let (target, region) = rest.split_once('@').with_context(shape)?;
    Ok(Route {
        front: front.parse().with_context(shape)?,
        target: target.parse().with_context(shape)?,
        region: region_name(region).with_context(shape)?,
    })
}

fn parse_source(source: &str) -> anyhow::Result<(IpAddr, String)> {
    let shape = || format!("--source '{source}' is not IP=REGION");
    let (ip, region) = source.split_once('=').with_context(shape)?;
    Ok((ip.parse().with_context(shape)?, region_name(region).with_context(shape)?))
}

fn region_name(region: &str) -> anyhow::Result<String> {
    if region.is_empty() {
        bail!("the region is empty");
    }
    Ok(region.to_owned())
}

/// Fails on two routes with one front, and on a source and a route whose regions have no delay
/// between them: found at start, not when the first connection of that pair comes.
fn check_complete(relay: &Relay) -> anyhow::Result<()> {
    let mut fronts: Vec<SocketAddr> = relay.routes.iter().map(|route| route.front).collect();
    fronts.sort_unstable();
    if let Some(twice) = fronts.windows(2).find(|pair| pair[0] == pair[1] && pair[0].port() != 0) {
        bail!("--route front {} is given twice", twice[0]);
    }
    for source in relay.sources.values() {
        for route in &relay.routes {
            if relay.latency.one_way(source, &route.region).is_none() {
                bail!("--latency-ms has no delay for {source}:{}", route.region);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn relay(args: &[&str]) -> anyhow::Result<Relay> {
        Relay::try_from(Args::try_parse_from([&["coupon-wan-relay"], args].concat())?)
    }

    #[test]
    fn a_full_configuration_is_taken() {
        let relay = relay(&[
            "--route=127.0.0.11:10081=127.0.0.11:9081@eu",
            "--route=127.0.0.12:10082=127.0.0.12:9082@us",
            "--source=127.0.0.11=eu",
            "--source=127.0.0.12=us",
            "--latency-ms=eu:us=40,eu:eu=1,us:us=1",
            "--jitter-pct=10",
        ])
        .unwrap();
        assert_eq!(relay.routes[1].target, "127.0.0.12:9082".parse().unwrap());
        assert_eq!(relay.routes[1].region, "us");
        assert_eq!(relay.latency.one_way("us", "eu"), Some(Duration::from_millis(40)));
        assert!((relay.jitter - 0.1).abs() < f64::EPSILON);
    }

    #[test]
    fn a_pair_without_a_delay_is_refused_at_start() {
        let error = relay(&[
            "--route=127.0.0.11:10081=127.0.0.11:9081@eu",
            "--source=127.0.0.12=us",
            "--latency-ms=eu:eu=1",
        ])
        .unwrap_err();
        assert!(error.to_string().contains("us:eu"), "{error}");
    }
}
