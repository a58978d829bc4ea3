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
use raft_store::command::KeyedCommand;
use raft_store::outcome::AppliedOutcome;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::linger::{Linger, Load};
use super::{WriteError, Writer};
use crate::limits::{IN_FLIGHT_BATCHES_MAX, REQUESTS_PER_BATCH_MAX};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

type Answer = Result<AppliedOutcome, WriteError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Received by this node from a client: may be forwarded to the leader.
    Local,
    /// Forwarded to this node by a follower: written here or refused.
    Forwarded,
}

struct Proposal {
    request: KeyedCommand,
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

    /// Writes a client's `request` through the log and returns what apply decided for it. A
    /// request without an idempotency token gets one with its batch (`give_node_tokens`), so
    /// that every request this node sends again after leadership moved is deduplicated by apply.
    pub async fn propose(&self, request: KeyedCommand) -> Answer {
        let client_keyed = request.idempotency.is_some();
        let mut answer =
            self.enqueue(request, Origin::Local)?.await.unwrap_or(Err(WriteError::Stopped))?;
        // A resend the node made is not a replay the client asked for.
        answer.replayed &= client_keyed;
        Ok(answer)
    }

    /// Writes requests a follower forwarded, if this node leads; one answer per request.
    pub async fn propose_forwarded(&self, requests: Vec<KeyedCommand>) -> Vec<Answer> {
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
        request: KeyedCommand,
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

/// Gives each request this node received without a token one of the node's: a key drawn for
/// the whole batch and the request's position in it, so that apply keeps one record per batch
/// rather than one per request (`IdempotencyKey::node_assigned`).
#[cfg(not(feature = "broken-blind-resend"))]
fn give_node_tokens(batch: &mut [Proposal]) {
    let keyless = |proposal: &Proposal| {
        proposal.origin == Origin::Local && proposal.request.idempotency.is_none()
    };
    if !batch.iter().any(keyless) {
        return;
    }
    let mut batch_key = [0u8; 16];
    crate::entropy::fill(&mut batch_key);
    for (position, proposal) in batch.iter_mut().enumerate() {
        if keyless(proposal) {
            let position = u16::try_from(position).expect("a batch is bounded by an entry's size");
            proposal.request.idempotency =
                Some(raft_store::idempotency::IdempotencyToken::node_assigned(batch_key, position));
        }
    }
}

/// Deliberately broken build: requests without a key stay without a token (see `Writer`).
#[cfg(feature = "broken-blind-resend")]
fn give_node_tokens(_: &mut [Proposal]) {}

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
        // The pause trades a little latency for fewer, fuller entries, which is what the
        // measurements favoured.
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
        give_node_tokens(&mut batch);
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
    let mut maybe_appended = false;
    if writer.leads() {
        let (requests, proposals): (Vec<KeyedCommand>, Vec<_>) =
            batch.into_iter().map(|p| (p.request.clone(), p)).unzip();
        match writer.write_as_leader(requests).await {
            Ok(responses) => {
                for (proposal, response) in proposals.into_iter().zip(responses) {
                    let _ = proposal.reply.send(Ok(response));
                }
                return;
            }
            Err(error) if error.is_redirect() => {
                maybe_appended = error.may_be_appended();
                local.extend(refuse_forwarded(proposals, &error));
            }
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
    // A batch of forwarded proposals only has nothing left to send: writing an empty batch
    // would hold the entry slot while it waits for a leader, then send the leader a batch it
    // refuses (422).
    if local.is_empty() {
        return;
    }
    let requests = local.iter().map(|proposal| proposal.request.clone()).collect();
    for (proposal, answer) in local.into_iter().zip(writer.write(requests, maybe_appended).await) {
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
mod tests {
    //! The batching task on tokio's paused clock, with a stand-in for Raft that takes `WRITE_TIME`
    //! per batch: when each batch is taken and how large it is, to the exact virtual millisecond.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use raft_store::command::{Command, KeyedCommand};
    use raft_store::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
    use raft_store::outcome::{AppliedOutcome, Outcome};
    use tokio::time::Instant;

    use super::{Answer, Proposal, Proposer};
    use crate::metrics::Metrics;
    use crate::shutdown::{shutdown_channel, ShutdownTrigger};
    use crate::write::linger::LOAD_WINDOW;

    const LINGER: Duration = Duration::from_millis(2);
    const WRITE_TIME: Duration = Duration::from_millis(10);

    /// When a batch was taken, relative to the start, and how many requests it held.
    type Taken = Vec<(Duration, usize)>;

    struct Harness {
        proposer: Proposer,
        taken: Arc<Mutex<Taken>>,
        start: Instant,
        _stop: ShutdownTrigger,
    }

    impl Harness {
        fn start() -> Self {
            let (stop, shutdown) = shutdown_channel();
            let taken = Arc::new(Mutex::new(Taken::new()));
            let start = Instant::now();
            let record = Arc::clone(&taken);
            let write = move |batch: Vec<Proposal>| {
                record.lock().unwrap().push((start.elapsed(), batch.len()));
                async move {
                    tokio::time::sleep(WRITE_TIME).await;
                    for proposal in batch {
                        let _ = proposal.reply.send(Ok(answer()));
                    }
                }
            };
            let (proposer, batches) =
                Proposer::with_write(write, 1024, LINGER, Arc::new(Metrics::new()), shutdown);
            tokio::spawn(batches);
            Self { proposer, taken, start, _stop: stop }
        }

        /// Proposes `count` requests at once and waits for every answer.
        async fn propose_together(&self, count: usize) {
            let answers = (0..count).map(|_| self.proposer.propose(request()));
            for answer in futures::future::join_all(answers).await {
                assert!(answer.is_ok(), "{answer:?}");
            }
        }

        fn now(&self) -> Duration {
            self.start.elapsed()
        }

        fn last_taken(&self) -> (Duration, usize) {
            *self.taken.lock().unwrap().last().expect("a batch was taken")
        }
    }

    fn request() -> KeyedCommand {
        KeyedCommand {
            idempotency: None,
            actor: None,
            command: Command::ConfirmAlertDelivery { alert_ids: Vec::new() },
        }
    }

    fn answer() -> AppliedOutcome {
        AppliedOutcome { outcome: Outcome::AlertDeliveryConfirmed, replayed: false }
    }

    /// Goal: requests sent without an Idempotency-Key reach the log under tokens the node drew
    /// (so a resend is deduplicated by apply), one batch key for the requests written together,
    /// each at its own position; and apply's replay of such a resend does not read as a replay
    /// to the client. Steps: a stand-in for Raft that records the tokens and answers every
    /// request as a replay; three keyless requests and one with its own key, proposed together.
    #[tokio::test(start_paused = true)]
    async fn keyless_requests_are_proposed_under_their_batchs_node_token() {
        let (_stop, shutdown) = shutdown_channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let write = move |batch: Vec<Proposal>| {
            for proposal in batch {
                record.lock().unwrap().push(proposal.request.idempotency.clone());
                let replayed = AppliedOutcome { replayed: true, ..answer() };
                let _ = proposal.reply.send(Ok(replayed));
            }
            async {}
        };
        let (proposer, batches) =
            Proposer::with_write(write, 16, LINGER, Arc::new(Metrics::new()), shutdown);
        tokio::spawn(batches);
        let client_key = IdempotencyToken {
            key: IdempotencyKey::from_validated("client-key".to_owned()),
            fingerprint: Fingerprint::of(&[b"x"]),
        };
        let keyed = KeyedCommand { idempotency: Some(client_key.clone()), ..request() };
        let requests = [request(), keyed, request(), request()];
        let answers =
            futures::future::join_all(requests.map(|request| proposer.propose(request))).await;
        let replayed: Vec<bool> =
            answers.into_iter().map(|answer| answer.unwrap().replayed).collect();
        assert_eq!(
            replayed,
            [false, true, false, false],
            "only the client's own retry is a replay"
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen[1].as_ref(), Some(&client_key), "a client's key is kept");
        let slots: Vec<_> = [0, 2, 3]
            .map(|index| {
                let token = seen[index].as_ref().expect("a token was drawn");
                token.key.node_batch_slot().expect("a node's key, naming its batch")
            })
            .into();
        assert!(slots.iter().all(|slot| slot.batch == slots[0].batch), "one batch: {slots:?}");
        let positions: Vec<u16> = slots.iter().map(|slot| slot.position).collect();
        assert_eq!(positions, [0, 2, 3], "each at its place in the batch");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_proposed_together_share_one_batch_taken_at_once() {
        let harness = Harness::start();
        harness.propose_together(5).await;
        assert_eq!(*harness.taken.lock().unwrap(), vec![(Duration::ZERO, 5)]);
    }

    #[tokio::test(start_paused = true)]
    async fn under_load_the_next_batch_lingers_and_gathers() {
        let harness = Harness::start();
        harness.propose_together(5).await;
        // The clients answered by that batch come back at once, one after another.
        let sent_at = harness.now();
        let next = (0..3).map(|_| harness.proposer.propose(request()));
        let _: Vec<Answer> = futures::future::join_all(next).await;
        assert_eq!(harness.last_taken(), (sent_at + LINGER, 3), "one batch, after the linger");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_request_is_taken_at_once() {
        let harness = Harness::start();
        harness.propose_together(1).await;
        let sent_at = harness.now();
        harness.propose_together(1).await;
        assert_eq!(harness.last_taken(), (sent_at, 1), "no linger after a batch of one");
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_request_after_a_quiet_moment_is_taken_at_once() {
        let harness = Harness::start();
        harness.propose_together(5).await;
        tokio::time::sleep(LOAD_WINDOW).await;
        let sent_at = harness.now();
        harness.propose_together(1).await;
        assert_eq!(harness.last_taken(), (sent_at, 1), "the busy batch is too long ago to linger");
    }
}
