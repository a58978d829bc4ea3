//! `run_code_jobs`: the leader goes on with every running code generation job, one chunk per log
//! entry, until it is done. Each chunk names the index it starts at, so a chunk written twice
//! (a runner on a new leader that had not yet applied its predecessor's last chunk) changes
//! nothing the second time; whichever node leads picks the work up where the log says it stands.
//!
//! A chunk takes a while to apply, and every write behind it waits meanwhile: after each chunk
//! the runner rests as long as the chunk took, so a job holds at most half of the log's time and
//! redeems keep the other half however large the job.

use std::time::Duration;

use raft_store::command::{Command, KeyedCommand};
use raft_store::StateHandle;

use super::Writer;
use crate::shutdown::Shutdown;

/// How often a node looks for running jobs while none runs (or it does not lead).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Jobs one round goes on with: a chunk of each, in turn.
const JOBS_PER_ROUND_MAX: usize = 16;

pub async fn run_code_jobs(writer: Writer, state: StateHandle, shutdown: Shutdown) {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    loop {
        let worked = writer.leads() && run_round(&writer, &state).await;
        if !worked {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

/// One chunk of each running job; whether there was any to run.
async fn run_round(writer: &Writer, state: &StateHandle) -> bool {
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
        tokio::time::sleep(started.elapsed()).await;
    }
    true
}
