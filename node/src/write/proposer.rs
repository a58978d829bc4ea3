//! `Proposer`: gathers concurrent requests into log entries.
//!
//! Every write waits in one queue. A batching task takes what has gathered (up to
//! `REQUESTS_PER_BATCH_MAX`) whenever fewer than `IN_FLIGHT_BATCHES_MAX` entries are being
//! written, so under load one append, one fsync and one replication round carry many requests,
//! and with no load a request is written at once. The number of requests a node holds is bounded:
//! past it `propose` fails at once with `Overloaded` (503), it never queues without end.

use std::sync::Arc;

use raft_store::command::Request;
use raft_store::outcome::Response;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use super::{WriteError, Writer};
use crate::limits::{IN_FLIGHT_BATCHES_MAX, REQUESTS_PER_BATCH_MAX};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

struct Proposal {
    request: Request,
    reply: oneshot::Sender<Result<Response, WriteError>>,
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
        metrics: Arc<Metrics>,
        shutdown: Shutdown,
    ) -> (Self, impl std::future::Future<Output = ()>) {
        let (queue, pending) = mpsc::unbounded_channel();
        let slots = Arc::new(Semaphore::new(in_flight_max));
        let proposer = Self { queue, slots, in_flight_max, metrics: metrics.clone() };
        (proposer, run_batches(pending, writer, metrics, shutdown))
    }

    /// Writes `request` through the log and returns what apply decided for it.
    pub async fn propose(&self, request: Request) -> Result<Response, WriteError> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            self.metrics.shed.inc();
            return Err(WriteError::Overloaded);
        };
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Proposal { request, reply, _slot: slot })
            .map_err(|_| WriteError::Stopped)?;
        answer.await.unwrap_or(Err(WriteError::Stopped))
    }

    /// Requests this node holds now (queued or being written).
    pub fn in_flight(&self) -> usize {
        self.in_flight_max.saturating_sub(self.slots.available_permits())
    }
}

async fn run_batches(
    mut pending: mpsc::UnboundedReceiver<Proposal>,
    writer: Writer,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
) {
    let entries_in_flight = Arc::new(Semaphore::new(IN_FLIGHT_BATCHES_MAX));
    let stop = shutdown.requested();
    tokio::pin!(stop);
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
        let mut batch = vec![first];
        while batch.len() < REQUESTS_PER_BATCH_MAX {
            match pending.try_recv() {
                Ok(proposal) => batch.push(proposal),
                Err(_) => break,
            }
        }
        metrics.batch_requests.observe(batch.len() as f64);
        let writer = writer.clone();
        tokio::spawn(async move {
            write_batch(&writer, batch).await;
            drop(entry_slot);
        });
    }
}

async fn write_batch(writer: &Writer, batch: Vec<Proposal>) {
    let (requests, replies): (Vec<Request>, Vec<_>) = batch
        .into_iter()
        .map(|proposal| (proposal.request, (proposal.reply, proposal._slot)))
        .unzip();
    match writer.write(requests).await {
        Ok(responses) => {
            for ((reply, _slot), response) in replies.into_iter().zip(responses) {
                let _ = reply.send(Ok(response));
            }
        }
        Err(error) => {
            for (reply, _slot) in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}
