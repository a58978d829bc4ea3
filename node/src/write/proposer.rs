//! `Proposer`: gathers concurrent requests into log entries.
//!
//! Every write waits in one queue: this node's own requests, and on the leader also the requests
//! its followers forwarded. A batching task takes what has gathered (up to
//! `REQUESTS_PER_BATCH_MAX`) whenever fewer than `IN_FLIGHT_BATCHES_MAX` entries are being
//! written, after the pause `Linger` asks for under load. On the leader the batch becomes one log
//! entry, so under load one append, one fsync and one replication round carry the requests of the
//! whole cluster; with no load a request is written at once. On a follower the batch travels to
//! the leader in one call.
//!
//! The requests a node holds are bounded: past the bound a request fails at once with
//! `Overloaded` (503), it never queues without end. A forwarded request is never forwarded again:
//! if this node no longer leads, it goes back to its sender as `NotLeader` (a hop budget of one).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use raft_store::command::Request;
use raft_store::outcome::Response;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::linger::{Linger, Load};
use super::{WriteError, Writer};
use crate::limits::{IN_FLIGHT_BATCHES_MAX, REQUESTS_PER_BATCH_MAX};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

type Answer = Result<Response, WriteError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Received by this node from a client: may be forwarded to the leader.
    Local,
    /// Forwarded to this node by a follower: written here or refused.
    Forwarded,
}

struct Proposal {
    request: Request,
    origin: Origin,
    reply: oneshot::Sender<Answer>,
    /// Held until the proposal is answered: the bound on requests this node holds.
    _slot: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct Proposer {
    queue: mpsc::UnboundedSender<Proposal>,
    slots: Arc<Semaphore>,
    in_flight_max: usize,
    metrics: Arc<Metrics>,
}

impl Proposer {
    /// The proposer and the batching task to spawn beside it; the task ends on `shutdown`.
    pub fn new(
        writer: Writer,
        in_flight_max: usize,
        batch_linger: Duration,
        metrics: Arc<Metrics>,
        shutdown: Shutdown,
    ) -> (Self, impl Future<Output = ()>) {
        let write = move |batch| {
            let writer = writer.clone();
            async move { write_batch(&writer, batch).await }
        };
        Self::with_write(write, in_flight_max, batch_linger, metrics, shutdown)
    }

    /// As `new`, with `write` writing each batch: the batching logic apart from Raft.
    fn with_write<W, F>(
        write: W,
        in_flight_max: usize,
        batch_linger: Duration,
        metrics: Arc<Metrics>,
        shutdown: Shutdown,
    ) -> (Self, impl Future<Output = ()>)
    where
        W: Fn(Vec<Proposal>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let linger = Linger::new(batch_linger, REQUESTS_PER_BATCH_MAX);
        let (queue, pending) = mpsc::unbounded_channel();
        let slots = Arc::new(Semaphore::new(in_flight_max));
        let proposer = Self { queue, slots, in_flight_max, metrics: metrics.clone() };
        (proposer, run_batches(pending, write, linger, metrics, shutdown))
    }

    /// Writes a client's `request` through the log and returns what apply decided for it.
    pub async fn propose(&self, request: Request) -> Answer {
        self.enqueue(request, Origin::Local)?.await.unwrap_or(Err(WriteError::Stopped))
    }

    /// Writes requests a follower forwarded, if this node leads; one answer per request.
    pub async fn propose_forwarded(&self, requests: Vec<Request>) -> Vec<Answer> {
        let answers = requests.into_iter().map(|request| async {
            match self.enqueue(request, Origin::Forwarded) {
                Ok(answer) => answer.await.unwrap_or(Err(WriteError::Stopped)),
                Err(error) => Err(error),
            }
        });
        join_all(answers).await
    }

    fn enqueue(
        &self,
        request: Request,
        origin: Origin,
    ) -> Result<oneshot::Receiver<Answer>, WriteError> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            self.metrics.shed.inc();
            return Err(WriteError::Overloaded);
        };
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Proposal { request, origin, reply, _slot: slot })
            .map_err(|_| WriteError::Stopped)?;
        Ok(answer)
    }

    /// Requests this node holds now (queued or being written).
    pub fn in_flight(&self) -> usize {
        self.in_flight_max.saturating_sub(self.slots.available_permits())
    }
}

async fn run_batches<W, F>(
    mut pending: mpsc::UnboundedReceiver<Proposal>,
    write: W,
    linger: Linger,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
) where
    W: Fn(Vec<Proposal>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let entries_in_flight = Arc::new(Semaphore::new(IN_FLIGHT_BATCHES_MAX));
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let (mut previous_batch_len, mut previous_batch_at) = (0, Instant::now());
    loop {
        let first = tokio::select! {
            _ = &mut stop => return,
            next = pending.recv() => match next {
                Some(proposal) => proposal,
                None => return,
            },
        };
        // Wait for an entry slot before draining: what arrives meanwhile joins this batch.
        let Ok(entry_slot) = entries_in_flight.clone().acquire_owned().await else { return };
        // With one entry in flight nothing is written during the pause: it trades a little
        // latency for fewer, fuller entries, which is what the measurements favoured.
        let since_previous_batch = previous_batch_at.elapsed();
        if let Some(pause) =
            linger.before_next_batch(Load { previous_batch_len, since_previous_batch })
        {
            tokio::time::sleep(pause).await;
        }
        let mut batch = vec![first];
        while batch.len() < REQUESTS_PER_BATCH_MAX {
            match pending.try_recv() {
                Ok(proposal) => batch.push(proposal),
                Err(_) => break,
            }
        }
        (previous_batch_len, previous_batch_at) = (batch.len(), Instant::now());
        metrics.batch_requests.observe(batch.len() as f64);
        let written = write(batch);
        tokio::spawn(async move {
            written.await;
            drop(entry_slot);
        });
    }
}

/// On the leader: one entry for the whole batch. Elsewhere, or when leadership moved under the
/// batch: local requests go to the leader, forwarded ones back to their sender.
async fn write_batch(writer: &Writer, batch: Vec<Proposal>) {
    let mut local = Vec::new();
    if writer.leads() {
        let (requests, proposals): (Vec<Request>, Vec<_>) =
            batch.into_iter().map(|p| (p.request.clone(), p)).unzip();
        match writer.write_as_leader(requests).await {
            Ok(responses) => {
                for (proposal, response) in proposals.into_iter().zip(responses) {
                    let _ = proposal.reply.send(Ok(response));
                }
                return;
            }
            Err(error) if error.is_redirect() => local.extend(refuse_forwarded(proposals, &error)),
            Err(error) => {
                proposals
                    .into_iter()
                    .for_each(|proposal| drop(proposal.reply.send(Err(error.clone()))));
                return;
            }
        }
    } else {
        let not_leader = WriteError::NotLeader { leader: writer.leader_hint() };
        local.extend(refuse_forwarded(batch, &not_leader));
    }
    let requests = local.iter().map(|proposal| proposal.request.clone()).collect();
    for (proposal, answer) in local.into_iter().zip(writer.write(requests).await) {
        let _ = proposal.reply.send(answer);
    }
}

/// Answers the forwarded proposals with `error`; returns the local ones.
fn refuse_forwarded(proposals: Vec<Proposal>, error: &WriteError) -> Vec<Proposal> {
    let (forwarded, local): (Vec<_>, Vec<_>) =
        proposals.into_iter().partition(|p| p.origin == Origin::Forwarded);
    for proposal in forwarded {
        let _ = proposal.reply.send(Err(error.clone()));
    }
    local
}

#[cfg(test)]
#[path = "proposer_tests.rs"]
mod tests;
