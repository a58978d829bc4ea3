//! The batching task on tokio's paused clock, with a stand-in for Raft that takes `WRITE_TIME`
//! per batch: when each batch is taken and how large it is, to the exact virtual millisecond.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use raft_store::command::{Command, Request};
use raft_store::outcome::{Outcome, Response};
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

fn request() -> Request {
    Request { idempotency: None, command: Command::ConfirmAlertDelivery { alert_ids: Vec::new() } }
}

fn answer() -> Response {
    Response { outcome: Outcome::AlertDeliveryConfirmed, replayed: false }
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
