//! Deciding code generation jobs: admitting one (its pattern must stay at most half full), and
//! running it a chunk per log entry, each code derived from the job's seed and its index.

use std::collections::BTreeSet;

use crate::domain::{CampaignId, CodeJob, CodePattern, CouponCode, JobId, JobState, Timestamp};
use crate::error::Result;
use crate::limits::{CODE_JOB_ATTEMPTS_MAX, CODE_JOB_CHUNK_CODES};
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::campaigns::code_coupons;
use super::Change;

pub fn start(
    campaign_id: CampaignId,
    seed: [u8; 16],
    count: u32,
    pattern: &CodePattern,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    if state.campaign(campaign_id)?.is_none() {
        return Ok((Outcome::Rejected(Rejection::CampaignNotFound), Vec::new(), counters));
    }
    // Codes of this pattern asked for before (by every job, however many) and now: at most half
    // the pattern, so a draw collides with probability at most 1/2 (`CODE_JOB_ATTEMPTS_MAX`).
    let requested = state.pattern_codes(pattern)? + u64::from(count);
    if u128::from(requested) * 2 > pattern.capacity() {
        return Ok((Outcome::Rejected(Rejection::PatternTooSmall), Vec::new(), counters));
    }
    let job = CodeJob {
        id: counters.next_job_id,
        campaign_id,
        seed,
        pattern: pattern.clone(),
        requested: count,
        created: 0,
        state: JobState::Running,
        started_at: now,
        finished_at: None,
    };
    assert!(state.code_job(job.id)?.is_none(), "job id {} is taken already", job.id);
    counters.next_job_id = job.id.next();
    let counted = Change::CountPatternCodes { pattern: pattern.clone(), codes: requested };
    Ok((Outcome::CodeJob(job.clone()), vec![Change::PutJob(job), counted], counters))
}

/// Makes the chunk of `job_id` that starts at `from`, if the job is there: at most
/// `CODE_JOB_CHUNK_CODES` codes, so no entry grows with the job.
pub fn run(
    job_id: JobId,
    from: u32,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let Some(mut job) = state.code_job(job_id)? else {
        return Ok((Outcome::Rejected(Rejection::JobNotFound), Vec::new(), counters));
    };
    if job.state != JobState::Running || job.created != from {
        return Ok((Outcome::CodeJob(job), Vec::new(), counters));
    }
    let Some(mut campaign) = state.campaign(job.campaign_id)? else {
        panic!("job {job_id} of a missing campaign {}", job.campaign_id);
    };
    let end = job.requested.min(from.saturating_add(CODE_JOB_CHUNK_CODES));
    let mut drawn: BTreeSet<CouponCode> = BTreeSet::new();
    let mut codes = Vec::with_capacity((end - from) as usize);
    for index in from..end {
        match free_code(&job, index, &drawn, state)? {
            Some(code) => {
                drawn.insert(code.clone());
                codes.push(code);
            }
            None => {
                job.state = JobState::Failed;
                break;
            }
        }
    }
    job.created += u32::try_from(codes.len()).expect("a chunk is bounded");
    let mut changes = code_coupons(&mut campaign, &codes, now, &mut counters, state)?;
    if job.state == JobState::Running && job.created == job.requested {
        job.state = JobState::Done;
    }
    if job.state != JobState::Running {
        job.finished_at = Some(now);
    }
    changes.push(Change::PutCampaign(campaign));
    changes.push(Change::PutJob(job.clone()));
    Ok((Outcome::CodeJob(job), changes, counters))
}

/// The first free code among the attempts for `index`: not in the state, not drawn earlier in
/// this chunk.
fn free_code(
    job: &CodeJob,
    index: u32,
    drawn: &BTreeSet<CouponCode>,
    state: &StateReader<'_>,
) -> Result<Option<CouponCode>> {
    for attempt in 0..CODE_JOB_ATTEMPTS_MAX {
        let code = job.pattern.derive(&job.seed, index, attempt);
        if !drawn.contains(&code) && state.coupon_id_by_code(&code)?.is_none() {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::super::tests::ledger::*;
    use crate::command::{Command, KeyedCommand, NewCampaign};
    use crate::domain::fixtures::*;
    use crate::domain::{CampaignId, CampaignName, CodeJob, CodePattern, CouponTerms, JobState};
    use crate::limits::{CODE_JOB_CHUNK_CODES, REQUESTS_PER_ENTRY_MAX};
    use crate::outcome::{Outcome, Rejection};

    fn campaign(ledger: &mut Ledger) -> CampaignId {
        let new = NewCampaign {
            name: CampaignName::parse("bulk").unwrap(),
            terms: CouponTerms { usage_limit: 1, ..terms() },
            budget: None,
        };
        match ledger.outcome(Command::CreateCampaign(new), at(1)) {
            Outcome::CampaignCreated(campaign) => campaign.id,
            other => panic!("{other:?}"),
        }
    }

    fn job(outcome: Outcome) -> CodeJob {
        match outcome {
            Outcome::CodeJob(job) => job,
            other => panic!("{other:?}"),
        }
    }

    fn start(ledger: &mut Ledger, campaign_id: CampaignId, count: u32, length: u8) -> Outcome {
        let pattern = CodePattern { prefix: "GO-".to_owned(), length };
        ledger.outcome(Command::StartCodeJob { campaign_id, seed: [9; 16], count, pattern }, at(2))
    }

    #[test]
    fn a_job_makes_its_codes_a_chunk_per_entry_and_a_repeated_chunk_changes_nothing() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger);
        let count = CODE_JOB_CHUNK_CODES + 500;
        let started = job(start(&mut ledger, id, count, 8));
        assert_eq!((started.state, started.created), (JobState::Running, 0));
        assert_eq!(ledger.read(|s| s.running_jobs(10)), vec![started.id]);
        let first = job(ledger.outcome(Command::RunCodeJob { job_id: started.id, from: 0 }, at(3)));
        assert_eq!(first.created, CODE_JOB_CHUNK_CODES);
        let repeated =
            job(ledger.outcome(Command::RunCodeJob { job_id: started.id, from: 0 }, at(3)));
        assert_eq!(
            repeated.created, CODE_JOB_CHUNK_CODES,
            "a chunk already made is not made again"
        );
        let from = CODE_JOB_CHUNK_CODES;
        let done = job(ledger.outcome(Command::RunCodeJob { job_id: started.id, from }, at(4)));
        assert_eq!(
            (done.state, done.created, done.finished_at),
            (JobState::Done, count, Some(at(4)))
        );
        assert!(ledger.read(|s| s.running_jobs(10)).is_empty());
        let stored = ledger.read(|s| s.campaign(id)).unwrap();
        assert_eq!(stored.codes, u64::from(count));
        let codes = ledger.read(|s| s.campaign_codes(id, None, 2000));
        assert_eq!(codes.len(), count as usize, "every code is distinct and listed");
        let coupon = ledger.read(|s| s.coupon(codes[0])).unwrap();
        let pattern = CodePattern { prefix: "GO-".to_owned(), length: 8 };
        assert_eq!(coupon.code, pattern.derive(&[9; 16], 0, 0), "derived from the seed alone");
    }

    #[test]
    fn a_pattern_that_cannot_stay_half_free_is_refused_before_anything_is_written() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger);
        // Six characters after the prefix: five random ones, 32^5 = 33,554,432 codes, so 16 jobs
        // of a million fit in its half and a seventeenth does not.
        for _ in 0..16 {
            assert!(matches!(start(&mut ledger, id, 1_000_000, 6), Outcome::CodeJob(_)));
        }
        let refused = start(&mut ledger, id, 1_000_000, 6);
        assert_eq!(refused, Outcome::Rejected(Rejection::PatternTooSmall));
        let unknown = start(&mut ledger, CampaignId(7), 10, 8);
        assert_eq!(unknown, Outcome::Rejected(Rejection::CampaignNotFound));
    }

    /// Goal: the half-full rule counts every job of a pattern, not only those among the first
    /// ten thousand jobs (a scan of the jobs would stop there). Steps: 10,240 one-code jobs of
    /// another pattern, then million-code jobs of a six-character pattern until its half is
    /// full: the seventeenth is refused.
    #[test]
    fn the_half_full_rule_counts_a_pattern_past_ten_thousand_earlier_jobs() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger);
        let filler = |campaign_id| KeyedCommand {
            idempotency: None,
            actor: None,
            command: Command::StartCodeJob {
                campaign_id,
                seed: [1; 16],
                count: 1,
                pattern: CodePattern { prefix: "FILL-".to_owned(), length: 8 },
            },
        };
        for _ in 0..10_000usize.div_ceil(REQUESTS_PER_ENTRY_MAX) {
            let entry = (0..REQUESTS_PER_ENTRY_MAX).map(|_| filler(id)).collect();
            for answer in ledger.run_entry(entry, at(2)) {
                assert!(matches!(answer.outcome, Outcome::CodeJob(_)), "{answer:?}");
            }
        }
        for _ in 0..16 {
            assert!(matches!(start(&mut ledger, id, 1_000_000, 6), Outcome::CodeJob(_)));
        }
        let refused = start(&mut ledger, id, 1_000_000, 6);
        assert_eq!(refused, Outcome::Rejected(Rejection::PatternTooSmall));
        let pattern = CodePattern { prefix: "GO-".to_owned(), length: 6 };
        assert_eq!(ledger.read(|s| s.pattern_codes(&pattern)), 16_000_000);
    }
}
