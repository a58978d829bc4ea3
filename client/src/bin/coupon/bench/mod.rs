//! `coupon bench`: a load generator that puts numbers on the cluster's speed (issue 5).
//!
//! - `spread`: C clients redeem random coupons among N pre-created ones with huge limits for a
//!   fixed time; reports successful redeems per second and latency quantiles.
//! - `validate`: as `spread`, but the clients validate the coupons (linearizable reads, no use
//!   consumed); its "redeems" are the validations answered.
//! - `hot`: C clients race for one coupon with `usage_limit` L until it is exhausted; reports
//!   the time to the L-th grant and checks that exactly L were granted (exit 1 if not).
//!
//! Every request goes through the production `CouponClient` (failover, retries, one
//! Idempotency-Key per redeem). Each worker has its own client whose node list starts at a
//! different node, so requests are spread over all nodes; with the leader hint on, writes go
//! to the leader instead (no forwarding hop).

mod hot;
mod recorder;
mod report;
mod spread;

use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use coupon_client::{HttpCouponClient, ReqwestExchange};

use self::report::RunReport;
use self::spread::Operation;
use crate::cli::Global;
use crate::duration_arg;
use crate::exit::Done;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which workload to run (`all`: spread, then hot; `validate`: spread's load as validations).
    #[arg(value_enum)]
    workload: Workload,
    /// How long `spread` measures (after the warm-up).
    #[arg(long, default_value = "10s", value_parser = duration_arg::parse)]
    duration: Duration,
    /// Load before `spread` measures, not counted.
    #[arg(long, default_value = "1s", value_parser = duration_arg::parse)]
    warmup: Duration,
    /// Concurrent clients (each with one request in flight).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    concurrency: u64,
    /// Coupons pre-created for `spread`.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    coupons: u64,
    /// `usage_limit` of the `hot` coupon.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    hot_limit: u64,
    /// Give up on `hot` after this long.
    #[arg(long, default_value = "120s", value_parser = duration_arg::parse)]
    hot_timeout: Duration,
    /// Send writes to the leader the nodes name (`on`), spread them over all nodes (`off`,
    /// followers forward), or run each workload both ways.
    #[arg(long, value_enum, default_value_t = LeaderHint::Off)]
    leader_hint: LeaderHint,
    /// Report only the headline figures (with --json: the object scripts/bench.sh prints).
    #[arg(long)]
    summary: bool,
    /// The key the load (redeems) is sent with, e.g. a storefront key; the coupons are created
    /// with `--api-key`. Default: `--api-key` for both.
    #[arg(long, env = "COUPON_BENCH_LOAD_KEY", hide_env_values = true)]
    load_api_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    Spread,
    Validate,
    Hot,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LeaderHint {
    On,
    Off,
    Both,
}

/// What every run shares: the options and one connection pool.
struct Bench<'a> {
    args: &'a BenchArgs,
    global: &'a Global,
    exchange: ReqwestExchange,
    concurrency: usize,
}

impl BenchArgs {
    pub async fn run(self, global: &Global, output: Output) -> anyhow::Result<Done> {
        let config = global.client_config()?;
        let concurrency = usize::try_from(self.concurrency)?;
        // With the leader hint every worker talks to one node: keep a connection per worker.
        let exchange = ReqwestExchange::for_config_with_idle_per_host(&config, concurrency)
            .context("cannot build the HTTP client")?;
        let bench = Bench { args: &self, global, exchange, concurrency };
        let hints = match self.leader_hint {
            LeaderHint::On => vec![true],
            LeaderHint::Off => vec![false],
            LeaderHint::Both => vec![false, true],
        };
        let mut runs = Vec::new();
        if matches!(self.workload, Workload::Spread | Workload::All) {
            runs.extend(spread::run(&bench, &hints, Operation::Redeem).await?);
        }
        if self.workload == Workload::Validate {
            runs.extend(spread::run(&bench, &hints, Operation::Validate).await?);
        }
        if matches!(self.workload, Workload::Hot | Workload::All) {
            for hint in &hints {
                runs.push(hot::run(&bench, *hint).await?);
            }
        }
        if output.json {
            output.print_json(&report::json(&runs, self.summary));
        } else {
            println!("{}", report::table(&runs));
        }
        check_hot(&runs)
    }
}

/// The hard check of `hot`: anything but exactly the limit is a failure (exit 1).
fn check_hot(runs: &[RunReport]) -> anyhow::Result<Done> {
    for run in runs {
        if let Some(hot) = run.hot.as_ref().filter(|hot| !hot.exact) {
            anyhow::bail!(
                "{}: expected exactly {} grants; clients saw {}, the coupon says {}, its history holds {}",
                run.workload,
                hot.usage_limit,
                hot.granted,
                hot.times_redeemed,
                hot.history_len
            );
        }
    }
    Ok(Done::Success)
}

impl Bench<'_> {
    /// A client for worker `worker`: its node list starts at a different node for each worker,
    /// so workers that do not follow the leader hint spread their requests over every node.
    fn worker_client(&self, worker: usize, leader_hint: bool) -> anyhow::Result<HttpCouponClient> {
        let mut nodes = self.global.nodes.clone();
        let len = nodes.len().max(1);
        nodes.rotate_left(worker % len);
        let global = self.global.client_config()?;
        let config = coupon_client::ClientConfig {
            follow_leader_hint: leader_hint,
            api_key: self.args.load_api_key.clone().or(global.api_key.clone()),
            ..global
        };
        Ok(HttpCouponClient::with_exchange(nodes, config, self.exchange.clone())?)
    }

    /// The client that creates the coupons the load then redeems (with `--api-key`).
    fn setup_client(&self) -> anyhow::Result<HttpCouponClient> {
        let config = self.global.client_config()?;
        Ok(HttpCouponClient::with_exchange(
            self.global.nodes.clone(),
            config,
            self.exchange.clone(),
        )?)
    }

    fn nodes(&self) -> usize {
        self.global.nodes.len()
    }
}
