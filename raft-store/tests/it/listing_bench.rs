//! Benchmark of the coupon listing (ignored: run it in release, see `scripts/BENCHMARKS.md`):
//! a page of 50 from a million coupons costs about what a page from a thousand does, for every
//! filter and wherever the page sits in the listing, because each filter reads its index rather
//! than the coupons.
//!
//! Steps: fill a node's state (in memory) through apply (entries of 512 requests, as the node
//! batches them) with N coupons interleaved by id as a shop would have them: per hundred, 5
//! expired, 2 not started, 3 inactive, 5 exhausted, 20 codes of one of 10 campaigns, the rest
//! active; codes `Pnn-…` under 50 prefixes. Then walk every filter's whole listing in pages of
//! 50 (the cursors of every page), and time its first, middle and last page (the median of
//! `REPEATS` reads each).
//! `LISTING_BENCH_SIZES` (default `1000,1000000`) sets the sizes.

use std::time::{Duration, Instant};

use openraft::storage::RaftStateMachine;
use raft_store::command::{Command, KeyedCommand, NewCampaign};
use raft_store::domain::{
    CampaignId, CampaignName, CouponCode, CouponId, CouponStatus, CouponTerms, Timestamp,
};
use raft_store::state_reader::{CouponFilter, CouponPage};
use raft_store::{StateHandle, StateMachine};

use crate::support::{create, entry, node_storage, redeem};

const PAGE: usize = 50;
const REPEATS: usize = 31;
const CAMPAIGNS: u64 = 10;
/// Expired coupons expire here: those of the first entry (stamped at 1 s, entries a second
/// apart) are indexed again by apply as the second passes it, the others are expired when made.
const EXPIRED_AT_MS: i64 = 1_500;

fn keyed(command: Command) -> KeyedCommand {
    KeyedCommand { idempotency: None, actor: None, command }
}

/// The requests that make coupon `n` (its id is `n`: every request before made one coupon or
/// none) and give it its status.
fn coupon_requests(n: u64, requests: &mut Vec<KeyedCommand>) {
    let code = format!("P{:02}-{n:08}", n % 50);
    let mut request = create(&code, 10);
    let KeyedCommand { command: Command::CreateCoupon { terms, .. }, .. } = &mut request else {
        unreachable!()
    };
    match n % 100 {
        0..=4 => terms.expires_at = Timestamp::from_unix_millis(EXPIRED_AT_MS),
        5 | 6 => {
            terms.starts_at = Some(Timestamp::from_unix_millis(terms.expires_at.unix_millis() - 1))
        }
        10..=14 => terms.usage_limit = 1,
        50..=69 => {
            let codes = vec![CouponCode::parse(&code).expect("code")];
            let campaign_id = CampaignId(n % CAMPAIGNS + 1);
            requests.push(keyed(Command::AddCampaignCodes { campaign_id, codes }));
            return;
        }
        _ => {}
    }
    requests.push(request);
    match n % 100 {
        7..=9 => requests.push(keyed(Command::Deactivate { coupon_id: CouponId(n) })),
        10..=14 => requests.push(redeem(n, "u-1")),
        _ => {}
    }
}

async fn fill(state: &mut StateMachine, coupons: u64) -> Timestamp {
    let campaign = |index: u64| NewCampaign {
        name: CampaignName::parse(&format!("bench-{index}")).expect("name"),
        terms: match create("X-1", 10).command {
            Command::CreateCoupon { terms, .. } => CouponTerms { usage_limit: 10, ..terms },
            _ => unreachable!(),
        },
        budget: None,
    };
    let mut requests: Vec<_> =
        (1..=CAMPAIGNS).map(|index| keyed(Command::CreateCampaign(campaign(index)))).collect();
    for n in 1..=coupons {
        coupon_requests(n, &mut requests);
    }
    let entries: Vec<_> = requests
        .chunks(512)
        .enumerate()
        .map(|(index, chunk)| entry(1, index as u64 + 1, chunk.to_vec()))
        .collect();
    let count = entries.len();
    for batch in entries.chunks(64) {
        state.apply(batch.to_vec()).await.expect("apply");
    }
    let log_time = state.handle().read(|s| s.meta()).expect("meta").log_time;
    assert_eq!(log_time, Timestamp::from_unix_millis(count as i64 * 1000));
    log_time
}

fn filters(now: Timestamp, coupons: u64) -> Vec<(&'static str, CouponFilter)> {
    let status = |status| CouponFilter { status: Some((status, now)), ..CouponFilter::default() };
    let prefix = Some("P07-".to_owned());
    let campaign_id = Some(CampaignId(3));
    // Creation times grow with the id; the middle entry's stamp halves the coupons.
    let middle = Timestamp::from_unix_millis((coupons as i64 / 512 / 2).max(1) * 1000);
    vec![
        ("none", CouponFilter::default()),
        ("status=active", status(CouponStatus::Active)),
        ("status=inactive", status(CouponStatus::Inactive)),
        ("status=not_started", status(CouponStatus::NotStarted)),
        ("status=expired", status(CouponStatus::Expired)),
        ("status=exhausted", status(CouponStatus::Exhausted)),
        ("campaign_id", CouponFilter { campaign_id, ..Default::default() }),
        ("code_prefix", CouponFilter { code_prefix: prefix.clone(), ..Default::default() }),
        ("created_after", CouponFilter { created_after: Some(middle), ..Default::default() }),
        (
            "status=active&code_prefix",
            CouponFilter { code_prefix: prefix.clone(), ..status(CouponStatus::Active) },
        ),
        (
            "campaign_id&code_prefix&created_after",
            CouponFilter {
                campaign_id,
                code_prefix: prefix,
                created_after: Some(middle),
                ..Default::default()
            },
        ),
    ]
}

fn page(handle: &StateHandle, filter: &CouponFilter, after: Option<CouponId>) -> CouponPage {
    handle.read(|s| s.coupons_page(filter, after, PAGE)).expect("page")
}

/// Every page's cursor (`None` for the first), the listed count, the pages short of a full
/// page with a cursor, and the time of the whole walk.
fn walk(
    handle: &StateHandle,
    filter: &CouponFilter,
) -> (Vec<Option<CouponId>>, usize, usize, Duration) {
    let (mut cursors, mut listed, mut short) = (vec![None], 0, 0);
    let started = Instant::now();
    loop {
        let answer = page(handle, filter, *cursors.last().expect("a cursor"));
        listed += answer.coupons.len();
        match answer.next_after {
            Some(next) => {
                short += usize::from(answer.coupons.len() < PAGE);
                cursors.push(Some(next));
            }
            None => return (cursors, listed, short, started.elapsed()),
        }
    }
}

/// The median time of `REPEATS` reads of the page after `after`.
fn timed(handle: &StateHandle, filter: &CouponFilter, after: Option<CouponId>) -> Duration {
    let mut times: Vec<Duration> = (0..REPEATS)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(page(handle, filter, after));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a benchmark: run in release, see scripts/BENCHMARKS.md"]
async fn a_page_of_the_listing_costs_the_same_from_a_thousand_and_a_million_coupons() {
    let sizes = std::env::var("LISTING_BENCH_SIZES").unwrap_or_else(|_| "1000,1000000".into());
    for coupons in sizes.split(',').map(|size| size.trim().parse::<u64>().expect("a size")) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = StateMachine::new(node_storage(&dir));
        let handle = state.handle();
        let started = Instant::now();
        let now = fill(&mut state, coupons).await;
        drop(state);
        println!("{coupons} coupons filled in {:.1} s", started.elapsed().as_secs_f64());
        println!(
            "{:<38} {:>7} {:>8} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "filter", "pages", "listed", "short", "first µs", "middle µs", "last µs", "walk µs/p"
        );
        for (name, filter) in filters(now, coupons) {
            let (cursors, listed, short, walked) = walk(&handle, &filter);
            let pages = cursors.len();
            let [first, middle, last] =
                [0, pages / 2, pages - 1].map(|index| timed(&handle, &filter, cursors[index]));
            println!(
                "{name:<38} {pages:>7} {listed:>8} {short:>6} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
                micros(first),
                micros(middle),
                micros(last),
                micros(walked) / pages as f64,
            );
        }
    }
}
