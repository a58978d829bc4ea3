//! `run_code_jobs`: the leader goes on with every running code generation job, one chunk per log
//! entry, until it is done. Each chunk names the index it starts at, so a chunk written twice
//! (a runner on a new leader that had not yet applied its predecessor's last chunk) changes
//! nothing the second time; whichever node leads picks the work up where the log says it stands.
//!
//! A chunk takes a while to apply, and every write behind it waits meanwhile, on every node.
//! So after each chunk the runner waits until the other voters have applied it too (`VoterPace`
//! says which are waited for, and for how long), then rests as long as all that took: a job holds at most half of its slowest voter's apply, and redeems keep the
//! other half however large the job. Paced by the leader's own apply alone, a follower that
//! applies more slowly fell further behind with every chunk, and went on applying through the
//! rests.

use std::time::Duration;

use raft_store::command::{Command, KeyedCommand};
use raft_store::StateHandle;

use super::voter_pace::{VoterPace, Waited};
use super::Writer;
use crate::forward::Forwarder;
use crate::shutdown::Shutdown;

/// How often a node looks for running jobs while none runs (or it does not lead).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Jobs one round goes on with: a chunk of each, in turn.
const JOBS_PER_ROUND_MAX: usize = 16;

pub async fn run_code_jobs(
    writer: Writer,
    forwarder: Forwarder,
    state: StateHandle,
    shutdown: Shutdown,
) {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let mut pace = VoterPace::default();
    loop {
        let worked = writer.leads() && run_round(&writer, &forwarder, &mut pace, &state).await;
        if !worked {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

/// One chunk of each running job; whether there was any to run.
async fn run_round(
    writer: &Writer,
    forwarder: &Forwarder,
    pace: &mut VoterPace,
    state: &StateHandle,
) -> bool {
    let jobs = state.read(|state| {
        let mut jobs = Vec::new();
        for id in state.running_jobs(JOBS_PER_ROUND_MAX)? {
            jobs.extend(state.code_job(id)?);
        }
        Ok(jobs)
    });
    let jobs = match jobs {
        Ok(jobs) if !jobs.is_empty() => jobs,
        Ok(_) => return false,
        Err(error) => {
            tracing::warn!(%error, "cannot read the running code jobs");
            return false;
        }
    };
    for job in jobs {
        let command = Command::RunCodeJob { job_id: job.id, from: job.created };
        let request = KeyedCommand { idempotency: None, actor: None, command };
        let started = tokio::time::Instant::now();
        if let Err(error) = writer.write_as_leader(vec![request]).await {
            tracing::debug!(%error, job_id = %job.id, "a code job chunk was not written");
            return false;
        }
        let applied_here = forwarder.raft().metrics().borrow().last_applied;
        let index = applied_here.map_or(0, |log_id| log_id.index);
        let Waited { asked, behind } = pace.wait_for_apply(forwarder, index).await;
        if behind > 0 {
            tracing::info!(behind, asked, index, "voters had not applied a code job's chunk");
        }
        tokio::time::sleep(started.elapsed()).await;
    }
    true
}
