//! Benchmark of the coupon listing (ignored: run it in release, see `scripts/BENCHMARKS.md`):
//! a page of 100 from a million coupons costs about what a page from a thousand does, for every
//! filter, because each filter reads its index rather than the coupons.
//!
//! Steps: fill a sled state through apply (entries of 512 requests, as the node batches them)
//! with N coupons of mixed statuses, interleaved by id: 1 % each expired, not started, inactive,
//! exhausted and campaign codes, the rest active; codes `Pnn-…` with 50 prefixes. Then time
//! `PAGES` pages of 100 per filter from cursors spread over the ids (a fixed sequence), and print
//! the median per page and per listed coupon. `LISTING_BENCH_SIZES` (default `1000,1000000`)
//! sets the sizes.

use std::time::{Duration, Instant};

use openraft::storage::RaftStateMachine;
use raft_store::command::{Command, KeyedCommand, NewCampaign};
use raft_store::domain::{
    CampaignId, CampaignName, CouponCode, CouponId, CouponStatus, CouponTerms, Timestamp,
};
use raft_store::state_reader::CouponFilter;
use raft_store::StateMachine;

use crate::support::{create, entry, open_sled, redeem};

const PAGES: usize = 301;
const PAGE: usize = 100;
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
        0 => terms.expires_at = Timestamp::from_unix_millis(EXPIRED_AT_MS),
        1 => {
            terms.starts_at = Some(Timestamp::from_unix_millis(terms.expires_at.unix_millis() - 1))
        }
        3 => terms.usage_limit = 1,
        50 => {
            let codes = vec![CouponCode::parse(&code).expect("code")];
            requests.push(keyed(Command::AddCampaignCodes { campaign_id: CampaignId(1), codes }));
            return;
        }
        _ => {}
    }
    requests.push(request);
    match n % 100 {
        2 => requests.push(keyed(Command::Deactivate { coupon_id: CouponId(n) })),
        3 => requests.push(redeem(n, "u-1")),
        _ => {}
    }
}

async fn fill(state: &mut StateMachine, coupons: u64) -> Timestamp {
    let campaign = NewCampaign {
        name: CampaignName::parse("bench").expect("name"),
        terms: match create("X-1", 10).command {
            Command::CreateCoupon { terms, .. } => CouponTerms { usage_limit: 10, ..terms },
            _ => unreachable!(),
        },
        budget: None,
    };
    let mut requests = vec![keyed(Command::CreateCampaign(campaign))];
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
    // Creation times grow with the id; the middle entry's stamp halves the coupons.
    let middle = Timestamp::from_unix_millis((coupons as i64 / 512 / 2).max(1) * 1000);
    vec![
        ("none", CouponFilter::default()),
        ("status=active", status(CouponStatus::Active)),
        ("status=inactive", status(CouponStatus::Inactive)),
        ("status=not_started", status(CouponStatus::NotStarted)),
        ("status=expired", status(CouponStatus::Expired)),
        ("status=exhausted", status(CouponStatus::Exhausted)),
        ("campaign_id", CouponFilter { campaign_id: Some(CampaignId(1)), ..Default::default() }),
        ("code_prefix", CouponFilter { code_prefix: prefix.clone(), ..Default::default() }),
        ("created_after", CouponFilter { created_after: Some(middle), ..Default::default() }),
        (
            "status=active&code_prefix",
            CouponFilter { code_prefix: prefix, ..status(CouponStatus::Active) },
        ),
    ]
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a benchmark: run in release, see scripts/BENCHMARKS.md"]
async fn a_page_of_the_listing_costs_the_same_from_a_thousand_and_a_million_coupons() {
    let sizes = std::env::var("LISTING_BENCH_SIZES").unwrap_or_else(|_| "1000,1000000".into());
    for coupons in sizes.split(',').map(|size| size.trim().parse::<u64>().expect("a size")) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = StateMachine::new(open_sled(&dir));
        let handle = state.handle();
        let started = Instant::now();
        let now = fill(&mut state, coupons).await;
        drop(state);
        println!("{coupons} coupons filled in {:.1} s", started.elapsed().as_secs_f64());
        println!(
            "{:<28} {:>12} {:>14} {:>8} {:>6}",
            "filter", "median/page", "median/coupon", "listed", "short"
        );
        for (name, filter) in filters(now, coupons) {
            let (mut per_page, mut per_coupon, mut listed, mut short) = (vec![], vec![], 0, 0);
            for page in 0..PAGES as u64 {
                // Cursors spread over the ids, in an order that is not the ids' own.
                let after = (page * 7919) % coupons;
                let started = Instant::now();
                let answer = handle.read(|s| s.coupons_page(&filter, Some(CouponId(after)), PAGE));
                let elapsed = started.elapsed();
                let answer = answer.expect("page");
                per_page.push(elapsed);
                let count = answer.coupons.len().max(1) as u32;
                per_coupon.push(elapsed / count);
                listed += answer.coupons.len();
                short += usize::from(answer.coupons.len() < PAGE && answer.next_after.is_some());
            }
            println!(
                "{name:<28} {:>9.1} µs {:>11.2} µs {:>8.1} {short:>6}",
                median(per_page).as_secs_f64() * 1e6,
                median(per_coupon).as_secs_f64() * 1e6,
                listed as f64 / PAGES as f64,
            );
        }
    }
}
