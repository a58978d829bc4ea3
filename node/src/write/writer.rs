//! `Writer`: writes a batch of requests as one log entry through the leader.
//!
//! On the leader it stamps the batch with the leader's clock and calls `client_write`. Anywhere
//! else it forwards the batch to the leader's peer listener. The node that receives a forwarded
//! batch never forwards it again (a hop budget of one): if it is no longer the leader it answers
//! `NotLeader` with its hint, and the sender tries the new leader, a bounded number of times.

use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, RaftError};
use openraft::RaftMetrics;
use raft_store::command::{Batch, KeyedCommand};
use raft_store::outcome::AppliedOutcome;
use raft_store::{NodeId, NodeInfo};
use tokio::sync::watch;

use super::leader_clock::LeaderClock;
use super::quorum_clock::quorum_reading;
use super::WriteError;
use crate::forward::{
    known_leader, leader_now, leader_patience, ForwardError, Forwarder, Leader, LeaderAt,
};
use crate::handoff_gate::HandoffGate;
use crate::limits::{FORWARD_ATTEMPTS_MAX, FORWARD_TIMEOUT, LEADER_RETRY_BACKOFF};
use crate::metrics::Metrics;
use crate::peer::path;
use crate::wall_clock::WallClock;

#[derive(Clone)]
pub struct Writer {
    forwarder: Forwarder,
    /// How long the leader waits for its entry to be committed and applied.
    commit_timeout: Duration,
    clock: Arc<LeaderClock>,
    wall_clock: Arc<WallClock>,
    metrics: Arc<Metrics>,
    handoff: Arc<HandoffGate>,
}

impl Writer {
    pub fn new(
        forwarder: Forwarder,
        commit_timeout: Duration,
        wall_clock: Arc<WallClock>,
        metrics: Arc<Metrics>,
        handoff: Arc<HandoffGate>,
    ) -> Self {
        Self { forwarder, commit_timeout, clock: Arc::default(), wall_clock, metrics, handoff }
    }

    /// Writes `requests` through whichever node leads, following leader changes: one answer per
    /// request. Requests refused as `NotLeader` (nothing appended) or answered `Superseded` (their
    /// entry may have been appended; the resend is deduplicated by the request's idempotency
    /// token) are sent again to the next leader, at most `FORWARD_ATTEMPTS_MAX` times in all.
    /// `maybe_appended`: whether an earlier attempt may have appended them already. A request
    /// that may have been appended is never answered as "not applied": see `settle`.
    pub async fn write(
        &self,
        requests: Vec<KeyedCommand>,
        maybe_appended: bool,
    ) -> Vec<Result<AppliedOutcome, WriteError>> {
        let mut answers: Vec<Option<Answer>> = vec![None; requests.len()];
        let mut appended = vec![maybe_appended; requests.len()];
        let mut pending: Vec<usize> = (0..requests.len()).collect();
        let mut hint: Option<Leader> = None;
        // One budget for finding a leader across every attempt.
        let leader_deadline = tokio::time::Instant::now() + leader_patience(self.commit_timeout);
        for _attempt in 0..FORWARD_ATTEMPTS_MAX {
            let leader = match hint.take() {
                Some(hinted) => Some(hinted),
                None => {
                    let patience =
                        leader_deadline.saturating_duration_since(tokio::time::Instant::now());
                    known_leader(self.forwarder.raft(), patience).await
                }
            };
            let Some(leader) = leader else {
                break;
            };
            let batch: Vec<KeyedCommand> =
                pending.iter().map(|index| requests[*index].clone()).collect();
            let leader_id = leader.id;
            let results = match self.forwarder.locate(leader) {
                LeaderAt::Here => match self.write_as_leader(batch).await {
                    Ok(responses) => responses.into_iter().map(Ok).collect(),
                    Err(error) => vec![Err(error); pending.len()],
                },
                LeaderAt::Peer(leader) => self.forward(&leader, &batch).await,
            };
            let mut resend = Vec::new();
            for (index, result) in pending.iter().zip(results) {
                if let Err(error) = &result {
                    if let Some((id, node)) = error.leader_hint().filter(|(id, _)| *id != leader_id)
                    {
                        hint = Some(Leader { id: *id, node: node.clone() });
                    }
                }
                match after_attempt(&requests[*index], result, &mut appended[*index]) {
                    None => resend.push(*index),
                    answer => answers[*index] = answer,
                }
            }
            pending = resend;
            if pending.is_empty() {
                break;
            }
            if hint.is_none() {
                // Give the election that made the leader unknown time to finish.
                tokio::time::sleep(LEADER_RETRY_BACKOFF).await;
            }
        }
        let out_of_attempts = |appended: bool| settle(Err(WriteError::NoLeader), appended);
        answers
            .into_iter()
            .zip(appended)
            .map(|(answer, appended)| answer.unwrap_or_else(|| out_of_attempts(appended)))
            .collect()
    }

    /// Whether this node leads, as far as it knows now.
    pub fn leads(&self) -> bool {
        self.forwarder.leads()
    }

    /// The term this node knows of.
    pub fn term(&self) -> u64 {
        self.forwarder.raft().metrics().borrow().current_term
    }

    /// The leader this node knows of, for a `NotLeader` answer.
    pub fn leader_hint(&self) -> Option<(NodeId, NodeInfo)> {
        leader_now(self.forwarder.raft()).map(|leader| (leader.id, leader.node))
    }

    /// Appends `requests` as one entry if this node leads; `NotLeader` otherwise. While this
    /// node hands leadership on, it waits for the handoff to end; if leadership moved, nothing
    /// was appended and the answer is `NotLeader`, naming the new leader.
    pub async fn write_as_leader(
        &self,
        requests: Vec<KeyedCommand>,
    ) -> Result<Vec<AppliedOutcome>, WriteError> {
        if tokio::time::timeout(self.commit_timeout, self.handoff.pass()).await.is_err() {
            return Err(WriteError::NotLeader { leader: self.leader_hint() });
        }
        if !self.leads() {
            return Err(WriteError::NotLeader { leader: self.leader_hint() });
        }
        let count = requests.len();
        let term = self.term();
        if self.clock.needs_reading(term) {
            self.hold_clock_to_quorum(term).await;
        }
        let (stamped_at, held_back) = self.clock.stamp(self.wall_clock.now(), term);
        if held_back {
            self.metrics.stamps_held_back.inc();
            tracing::warn!(
                stamped_at = stamped_at.unix_millis(),
                "the wall clock ran ahead of the monotonic clock: the stamp follows the latter"
            );
        }
        let batch = Batch { stamped_at, requests };
        let Ok(written) =
            tokio::time::timeout(self.commit_timeout, self.forwarder.raft().client_write(batch))
                .await
        else {
            return Err(WriteError::Timeout);
        };
        match written {
            Ok(written) => {
                assert_eq!(written.data.0.len(), count, "one response per request");
                Ok(written.data.0)
            }
            Err(error) => Err(write_error(error)),
        }
    }

    /// Holds this leader's stamps in `term` to the time of day a quorum of voters vouches for:
    /// before the term's first stamp, and at every log time tick.
    pub async fn hold_clock_to_quorum(&self, term: u64) {
        // The deliberately broken build trusts its own clock before its first stamp, as
        // leaders did before stamps were held to the voters' clocks.
        if cfg!(feature = "broken-unheld-first-stamp") {
            return;
        }
        let own = raft_store::domain::Timestamp::from_datetime(self.wall_clock.now());
        let reading = quorum_reading(&self.forwarder, own).await;
        if reading.is_none() {
            tracing::warn!(
                "fewer than a quorum of voters told their clocks: stamps follow this node's"
            );
        }
        self.clock.hold_to(reading, term);
    }

    async fn forward(
        &self,
        leader: &Leader,
        requests: &[KeyedCommand],
    ) -> Vec<Result<AppliedOutcome, WriteError>> {
        self.metrics.forwarded_batches.inc();
        self.metrics.forwarded_requests.inc_by(requests.len() as u64);
        let call = self.forwarder.call(leader, path::PROPOSE, &requests, FORWARD_TIMEOUT);
        let Some(answer): Option<Result<Vec<Answer>, ForwardError>> =
            until_leader_moves(self.forwarder.raft().metrics(), leader.id, call).await
        else {
            // The leader it went to was superseded: it may have appended the batch, so it goes
            // to the new leader again under the same tokens, and the slot it held is free.
            self.metrics.forwards_abandoned.inc();
            let superseded = WriteError::Superseded { leader: self.leader_hint() };
            return vec![Err(superseded); requests.len()];
        };
        match answer {
            Ok(answers) if answers.len() == requests.len() => answers,
            Ok(answers) => {
                tracing::error!(
                    sent = requests.len(),
                    answered = answers.len(),
                    "the leader answered a forwarded batch wrongly"
                );
                vec![Err(WriteError::Stopped); requests.len()]
            }
            Err(error) => vec![Err(WriteError::from(error)); requests.len()],
        }
    }
}

type Answer = Result<AppliedOutcome, WriteError>;

/// Decides one request's fate after an attempt that answered `result`: its answer, or `None` to
/// send it again; and notes in `appended` whether it may now have been appended. A redirect is
/// followed, unless the request may have been appended and carries no idempotency token (a
/// resend could apply it twice): its outcome is then unknown.
fn after_attempt(request: &KeyedCommand, result: Answer, appended: &mut bool) -> Option<Answer> {
    match result {
        Err(error) if error.is_redirect() => {
            *appended |= error.may_be_appended();
            (*appended && !resend_is_deduplicated(request)).then_some(Err(WriteError::Timeout))
        }
        other => Some(settle(other, *appended)),
    }
}

/// Whether apply would recognise `request` sent again: only by its idempotency token.
#[cfg(not(feature = "broken-blind-resend"))]
fn resend_is_deduplicated(request: &KeyedCommand) -> bool {
    request.idempotency.is_some()
}

/// Deliberately broken build for the simulation's detection test: a request that may have been
/// appended is sent again whether or not it carries a token, as before writes carried node
/// tokens (`proposer::give_node_tokens` gives none in this build either).
#[cfg(feature = "broken-blind-resend")]
fn resend_is_deduplicated(_: &KeyedCommand) -> bool {
    true
}

/// The answer for a request that may have been appended by an earlier attempt (`appended`): an
/// error that says "nothing was applied" (503) is not true of it, so it reads as `Timeout` (504,
/// outcome unknown). Outcomes and errors that already say "unknown" stand.
fn settle(answer: Answer, appended: bool) -> Answer {
    match answer {
        Err(error) if appended && !error.may_be_appended() => Err(WriteError::Timeout),
        other => other,
    }
}

/// What a failed `client_write` on this node means for its requests. openraft answers
/// `ForwardToLeader` both when this node no longer leads (nothing appended) and when it
/// truncates the entry it had appended for them (a copy may survive on another node and commit
/// there): the two cannot be told apart, so both are `Superseded`.
fn write_error(error: RaftError<NodeId, ClientWriteError<NodeId, NodeInfo>>) -> WriteError {
    match error {
        RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => {
            WriteError::Superseded { leader: forward.leader_id.zip(forward.leader_node) }
        }
        RaftError::APIError(ClientWriteError::ChangeMembershipError(error)) => {
            tracing::error!(%error, "a coupon write failed with a membership error");
            WriteError::Stopped
        }
        RaftError::Fatal(fatal) => {
            tracing::error!(%fatal, "raft stopped");
            WriteError::Stopped
        }
    }
}

/// Runs `work` until it ends, or until `metrics` name a leader other than `from` (`None`): a
/// forward to a leader that was superseded is not waited for. openraft's metrics channel closing
/// (raft stopped) leaves `work` to its own deadline.
async fn until_leader_moves<F: std::future::Future>(
    mut metrics: watch::Receiver<RaftMetrics<NodeId, NodeInfo>>,
    from: NodeId,
    work: F,
) -> Option<F::Output> {
    let moved = async move {
        let other_leader = |m: &RaftMetrics<NodeId, NodeInfo>| {
            m.current_leader.is_some_and(|leader| leader != from)
        };
        if metrics.wait_for(other_leader).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        output = work => Some(output),
        () = moved => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use openraft::error::{ClientWriteError, ForwardToLeader, RaftError};
    use openraft::RaftMetrics;
    use raft_store::command::{Command, KeyedCommand};
    use raft_store::idempotency::IdempotencyToken;
    use raft_store::outcome::{AppliedOutcome, Outcome};
    use raft_store::NodeInfo;
    use tokio::sync::watch;
    use tokio::time::Instant;

    use super::{after_attempt, settle, until_leader_moves, write_error};
    use crate::limits::FORWARD_TIMEOUT;
    use crate::write::WriteError;

    fn node() -> NodeInfo {
        NodeInfo { api_addr: "127.0.0.1:1".into(), peer_addr: "127.0.0.1:2".into(), region: None }
    }

    fn request(token: bool) -> KeyedCommand {
        KeyedCommand {
            idempotency: token.then(|| IdempotencyToken::node_assigned([7; 16], 0)),
            actor: None,
            command: Command::ConfirmAlertDelivery { alert_ids: Vec::new() },
        }
    }

    fn outcome() -> AppliedOutcome {
        AppliedOutcome { outcome: Outcome::AlertDeliveryConfirmed, replayed: false }
    }

    #[test]
    fn a_truncated_entry_is_superseded_not_refused() {
        let forward = ForwardToLeader { leader_id: Some(2), leader_node: Some(node()) };
        let error = write_error(RaftError::APIError(ClientWriteError::ForwardToLeader(forward)));
        assert_eq!(error, WriteError::Superseded { leader: Some((2, node())) });
        assert!(error.may_be_appended(), "its entry may survive elsewhere");
        assert!(error.is_redirect(), "sent again, deduplicated by its token");
    }

    #[test]
    fn a_superseded_request_is_resent_only_under_a_token() {
        let superseded = || Err(WriteError::Superseded { leader: None });
        let mut appended = false;
        assert_eq!(after_attempt(&request(true), superseded(), &mut appended), None);
        assert!(appended);
        let mut appended = false;
        let answer = after_attempt(&request(false), superseded(), &mut appended);
        assert_eq!(answer, Some(Err(WriteError::Timeout)), "no blind resend");
    }

    #[test]
    fn a_request_that_may_have_been_appended_is_never_answered_not_applied() {
        for refusal in [
            WriteError::NoLeader,
            WriteError::NotLeader { leader: None },
            WriteError::Overloaded,
            WriteError::LeaderUnreachable,
            WriteError::Stopped,
        ] {
            assert_eq!(settle(Err(refusal.clone()), true), Err(WriteError::Timeout));
            assert_eq!(settle(Err(refusal.clone()), false), Err(refusal));
        }
        assert_eq!(settle(Ok(outcome()), true), Ok(outcome()));
        let mut appended = true;
        let redirect = Err(WriteError::NotLeader { leader: None });
        assert_eq!(after_attempt(&request(true), redirect, &mut appended), None);
        let refused = after_attempt(&request(true), Err(WriteError::NoLeader), &mut appended);
        assert_eq!(refused, Some(Err(WriteError::Timeout)));
    }

    /// Goal: a forward to a leader that was superseded frees its batch slot when the new leader
    /// is known, not at the forward's deadline. Steps: a forward that would answer only at
    /// `FORWARD_TIMEOUT`; one second in, this node's metrics name another leader (this node
    /// itself, after winning the election); the wait ends then, with no answer.
    #[tokio::test(start_paused = true)]
    async fn a_forward_is_abandoned_when_another_leader_is_known() {
        let mut metrics = RaftMetrics::new_initial(1);
        metrics.current_leader = Some(2);
        let (publish, watched) = watch::channel(metrics.clone());
        let start = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            metrics.current_leader = None;
            publish.send_replace(metrics.clone());
            tokio::time::sleep(Duration::from_millis(500)).await;
            metrics.current_leader = Some(1);
            publish.send_replace(metrics.clone());
            tokio::time::sleep(FORWARD_TIMEOUT).await;
        });
        let stale_forward = tokio::time::sleep(FORWARD_TIMEOUT);
        assert_eq!(until_leader_moves(watched, 2, stale_forward).await, None);
        assert_eq!(start.elapsed(), Duration::from_secs(1), "abandoned when the leader moved");
    }

    #[tokio::test(start_paused = true)]
    async fn a_forward_to_the_standing_leader_is_waited_for() {
        let mut metrics = RaftMetrics::new_initial(1);
        metrics.current_leader = Some(2);
        let (_publish, watched) = watch::channel(metrics);
        let answer = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "answered"
        };
        assert_eq!(until_leader_moves(watched, 2, answer).await, Some("answered"));
    }
}
