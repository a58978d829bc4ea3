//! Benchmark of a code generation job's apply (ignored: run it in release, see
//! `scripts/BENCHMARKS.md`): how long the state machine takes to apply one chunk of generated
//! codes, as the store grows.
//!
//! Steps: a campaign with an expiry (as `coupon campaign create --expires-in` makes one), a job
//! of `CODE_JOB_BENCH_CODES` codes (default 100,000) of the node's default pattern (12
//! characters, no prefix), then one log entry per chunk, each applied alone through the state
//! machine on a node's storage (as a node applies a chunk: its own entry). Prints the median
//! chunk every tenth of the job and the codes per second over the whole.

use std::time::{Duration, Instant};

use openraft::storage::RaftStateMachine;
use raft_store::command::{Command, KeyedCommand, NewCampaign};
use raft_store::domain::{CampaignId, CampaignName, CodePattern, JobId, Timestamp};
use raft_store::limits::CODE_JOB_CHUNK_CODES;
use raft_store::StateMachine;

use crate::support::{create, entry, node_storage};

fn keyed(command: Command) -> KeyedCommand {
    KeyedCommand { idempotency: None, actor: None, command }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a benchmark: run in release, see scripts/BENCHMARKS.md"]
async fn a_chunk_of_generated_codes_applies_in_bounded_time() {
    let codes: u32 = std::env::var("CODE_JOB_BENCH_CODES")
        .map_or(100_000, |codes| codes.trim().parse().expect("a count"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut state = StateMachine::new(node_storage(&dir));
    let Command::CreateCoupon { mut terms, .. } = create("X-1", 1).command else { unreachable!() };
    // Thirty days after the first entry's stamp: every code has a status change ahead.
    terms.expires_at = Timestamp::from_unix_millis(1000 + 30 * 86_400_000);
    let campaign =
        NewCampaign { name: CampaignName::parse("bench").expect("name"), terms, budget: None };
    let pattern = CodePattern { prefix: String::new(), length: 12 };
    let start =
        Command::StartCodeJob { campaign_id: CampaignId(1), seed: [7; 16], count: codes, pattern };
    let setup = vec![keyed(Command::CreateCampaign(campaign)), keyed(start)];
    state.apply(vec![entry(1, 1, setup)]).await.expect("apply");

    let chunks = codes.div_ceil(CODE_JOB_CHUNK_CODES);
    let report_every = (chunks / 10).max(1);
    let (started, mut window) = (Instant::now(), Vec::new());
    for chunk in 0..chunks {
        let from = chunk * CODE_JOB_CHUNK_CODES;
        let run = keyed(Command::RunCodeJob { job_id: JobId(1), from });
        let applying = Instant::now();
        state.apply(vec![entry(1, u64::from(chunk) + 2, vec![run])]).await.expect("apply");
        window.push(applying.elapsed());
        if (chunk + 1) % report_every == 0 || chunk + 1 == chunks {
            println!(
                "{:>8} codes: median chunk {:>8.1} ms",
                from + CODE_JOB_CHUNK_CODES,
                median(std::mem::take(&mut window)).as_secs_f64() * 1e3
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let job = state.handle().read(|s| s.code_job(JobId(1))).expect("read").expect("the job");
    assert_eq!(job.created, codes, "every code made");
    println!("{codes} codes in {elapsed:.1} s: {:.0} codes/s", f64::from(codes) / elapsed);
}
