//! The `spread` workload: many coupons with huge limits, redeemed at random for a fixed time;
//! and `validate`, the same with validations (linearizable reads, no use consumed) instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use coupon_client::api::{CouponId, CreateCouponRequest, Discount, RedeemRequest, ValidateQuery};
use coupon_client::HttpCouponClient;
use futures::stream::{self, StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use tokio::task::JoinSet;

use super::recorder::Recorder;
use super::report::{round, RunReport, Setup};
use super::Bench;

/// Large enough that no coupon runs out during a run: every redeem is a grant.
const SPREAD_USAGE_LIMIT: u64 = 1_000_000_000;

/// What the clients do to each coupon they pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Redeem,
    Validate,
}

impl Operation {
    /// The workload's name in reports.
    fn workload(self) -> &'static str {
        match self {
            Operation::Redeem => "spread",
            Operation::Validate => "validate",
        }
    }
}

/// Pre-creates the coupons once, then measures once per leader-hint setting.
pub async fn run(
    bench: &Bench<'_>,
    hints: &[bool],
    operation: Operation,
) -> anyhow::Result<Vec<RunReport>> {
    let (coupons, setup) = prepare(bench).await?;
    let mut runs = Vec::new();
    for &hint in hints {
        let mut report = measure(bench, Arc::clone(&coupons), hint, operation).await?;
        report.setup = Some(setup.clone());
        runs.push(report);
    }
    Ok(runs)
}

/// A coupon anyone may redeem often, valid for a day.
pub fn bench_coupon(usage_limit: u64) -> CreateCouponRequest {
    let discount = Discount::Percentage { value: Decimal::new(10, 0), currency: None };
    CreateCouponRequest::new(discount, chrono::Utc::now() + chrono::Duration::days(1), usage_limit)
}

/// Creates the coupons concurrently (through the leader), with a progress bar.
async fn prepare(bench: &Bench<'_>) -> anyhow::Result<(Arc<Vec<CouponId>>, Setup)> {
    let count = usize::try_from(bench.args.coupons)?;
    let client = bench.setup_client()?;
    let request = bench_coupon(SPREAD_USAGE_LIMIT);
    let bar = ProgressBar::new(bench.args.coupons);
    if let Ok(style) = ProgressStyle::with_template("pre-creating {bar:40} {pos}/{len} ({per_sec})")
    {
        bar.set_style(style);
    }
    let started = Instant::now();
    let ids: Vec<CouponId> = stream::iter(0..count)
        .map(|_| async { client.generate(&request).await.map(|reply| reply.value.id) })
        .buffer_unordered(bench.concurrency)
        .inspect(|_| bar.inc(1))
        .try_collect()
        .await
        .context("pre-creating the spread coupons")?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let per_s = count as f64 / seconds.max(f64::EPSILON);
    let setup =
        Setup { coupons: count, seconds: round(seconds, 3), coupons_per_s: round(per_s, 1) };
    Ok((Arc::new(ids), setup))
}

async fn measure(
    bench: &Bench<'_>,
    coupons: Arc<Vec<CouponId>>,
    leader_hint: bool,
    operation: Operation,
) -> anyhow::Result<RunReport> {
    let start = Instant::now() + bench.args.warmup;
    let end = start + bench.args.duration;
    let mut workers = JoinSet::new();
    for worker in 0..bench.concurrency {
        let client = bench.worker_client(worker, leader_hint)?;
        workers.spawn(load_until(client, Arc::clone(&coupons), worker, operation, (start, end)));
    }
    let mut total = Recorder::new()?;
    while let Some(joined) = workers.join_next().await {
        total.merge(&joined.context("a spread worker panicked")??)?;
    }
    let (concurrency, nodes) = (bench.concurrency, bench.nodes());
    let workload = operation.workload();
    Ok(RunReport::new(workload, leader_hint, concurrency, nodes, bench.args.duration, &total))
}

/// Redeems (or validates) random coupons until `window` ends; records the requests that both
/// started and ended inside it, so warm-up and stragglers do not skew the rate.
async fn load_until(
    client: HttpCouponClient,
    coupons: Arc<Vec<CouponId>>,
    worker: usize,
    operation: Operation,
    (start, end): (Instant, Instant),
) -> anyhow::Result<Recorder> {
    let mut recorder = Recorder::new()?;
    let mut rng = StdRng::from_entropy();
    let mut sequence = 0_u64;
    while Instant::now() < end && !coupons.is_empty() {
        let coupon = coupons[rng.gen_range(0..coupons.len())];
        let sent = Instant::now();
        let outcome = match operation {
            Operation::Redeem => {
                let request = RedeemRequest::new(format!("spread-{worker}-{sequence}"));
                sequence += 1;
                client.redeem(coupon, &request).await.map(drop)
            }
            Operation::Validate => {
                client.validate(coupon, &ValidateQuery::default()).await.map(drop)
            }
        };
        let done = Instant::now();
        if sent >= start && done <= end {
            recorder.record(done - sent, &outcome);
        } else if outcome.is_err() && done < start {
            // Failing already during the warm-up: pause rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(recorder)
}
