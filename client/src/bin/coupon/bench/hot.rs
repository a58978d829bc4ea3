//! The `hot` workload: every client races for one coupon until it is exhausted; then the
//! service is asked how many uses it granted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use coupon_client::api::{
    CouponId, ErrorCode, HistoryQuery, ReadConsistency, RedeemRequest, HISTORY_LIMIT_MAX,
};
use coupon_client::HttpCouponClient;
use tokio::task::JoinSet;

use super::recorder::Recorder;
use super::report::{round, HotFacts, RunReport};
use super::spread::bench_coupon;
use super::Bench;

/// Lead time so every worker is spawned before the race starts.
const START_DELAY: Duration = Duration::from_millis(100);

/// What the workers share.
struct Race {
    coupon: CouponId,
    usage_limit: u64,
    start: Instant,
    deadline: Instant,
    granted: AtomicU64,
    /// Time from the start to the grant that used the last use.
    exhausted_after: OnceLock<Duration>,
}

pub async fn run(bench: &Bench<'_>, leader_hint: bool) -> anyhow::Result<RunReport> {
    let setup = bench.setup_client()?;
    let usage_limit = bench.args.hot_limit;
    let coupon = setup
        .generate(&bench_coupon(usage_limit))
        .await
        .context("creating the hot coupon")?
        .value
        .id;
    let start = Instant::now() + START_DELAY;
    let race = Arc::new(Race {
        coupon,
        usage_limit,
        start,
        deadline: start + bench.args.hot_timeout,
        granted: AtomicU64::new(0),
        exhausted_after: OnceLock::new(),
    });
    let mut workers = JoinSet::new();
    for worker in 0..bench.concurrency {
        let client = bench.worker_client(worker, leader_hint)?;
        workers.spawn(race_for(client, Arc::clone(&race), worker));
    }
    let mut total = Recorder::new()?;
    while let Some(joined) = workers.join_next().await {
        total.merge(&joined.context("a hot worker panicked")??)?;
    }
    let window = start.elapsed();
    let (times_redeemed, history_len) = count_uses(&setup, coupon).await?;
    let granted = race.granted.load(Ordering::SeqCst);
    let hot = HotFacts {
        usage_limit,
        granted,
        seconds_to_exhaust: race.exhausted_after.get().map(|after| round(after.as_secs_f64(), 3)),
        times_redeemed,
        history_len,
        exact: granted == usage_limit
            && times_redeemed == usage_limit
            && history_len == usage_limit,
    };
    let mut report =
        RunReport::new("hot", leader_hint, bench.concurrency, bench.nodes(), window, &total);
    report.hot = Some(hot);
    Ok(report)
}

/// Redeems until the coupon is used up, the service refuses for another reason, or time is up.
async fn race_for(
    client: HttpCouponClient,
    race: Arc<Race>,
    worker: usize,
) -> anyhow::Result<Recorder> {
    let mut recorder = Recorder::new()?;
    tokio::time::sleep_until(tokio::time::Instant::from_std(race.start)).await;
    let mut sequence = 0_u64;
    while Instant::now() < race.deadline {
        let request = RedeemRequest::new(format!("hot-{worker}-{sequence}"));
        sequence += 1;
        let sent = Instant::now();
        let outcome = client.redeem(race.coupon, &request).await;
        recorder.record(sent.elapsed(), &outcome);
        match outcome {
            Ok(_) => {
                let granted = race.granted.fetch_add(1, Ordering::SeqCst) + 1;
                if granted == race.usage_limit {
                    let _ = race.exhausted_after.set(race.start.elapsed());
                }
            }
            Err(error) if error.code() == Some(ErrorCode::UsageLimitReached) => break,
            // Refused for another reason: asking again would be refused again.
            Err(error) if !error.is_retryable() => break,
            // The client already retried; the race goes on.
            Err(_) => {}
        }
    }
    Ok(recorder)
}

/// The coupon's `times_redeemed` and the number of standing redemptions in its history, both
/// read linearizably after the race.
async fn count_uses(client: &HttpCouponClient, coupon: CouponId) -> anyhow::Result<(u64, u64)> {
    let times_redeemed = client
        .get_coupon(coupon, ReadConsistency::Linearizable)
        .await
        .context("reading the hot coupon")?
        .times_redeemed;
    let mut query = HistoryQuery { limit: Some(HISTORY_LIMIT_MAX), ..HistoryQuery::default() };
    let mut standing = 0_u64;
    // Bounded: enough pages for every grant the coupon could have, plus slack.
    let pages_max = times_redeemed / u64::from(HISTORY_LIMIT_MAX) + 3;
    for _ in 0..pages_max {
        let page = client.history(coupon, &query).await.context("reading the hot history")?;
        let count = page.redemptions.iter().filter(|r| r.rolled_back_at.is_none()).count();
        standing += u64::try_from(count)?;
        match page.next_after {
            Some(after) => query.after = Some(after),
            None => return Ok((times_redeemed, standing)),
        }
    }
    anyhow::bail!("the hot coupon's history has more pages than it has redemptions")
}
