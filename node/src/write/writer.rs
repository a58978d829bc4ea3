//! `Writer`: writes a batch of requests as one log entry through the leader.
//!
//! On the leader it stamps the batch with the leader's clock and calls `client_write`. Anywhere
//! else it forwards the batch to the leader's peer listener. The node that receives a forwarded
//! batch never forwards it again (a hop budget of one): if it is no longer the leader it answers
//! `NotLeader` with its hint, and the sender tries the new leader, a bounded number of times.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use openraft::error::{ClientWriteError, RaftError};
use raft_store::command::{Batch, KeyedCommand};
use raft_store::domain::Timestamp;
use raft_store::outcome::AppliedOutcome;
use raft_store::{NodeId, NodeInfo};

use super::WriteError;
use crate::forward::{
    known_leader, leader_now, leader_patience, ForwardError, Forwarder, Leader, LeaderAt,
};
use crate::limits::{FORWARD_ATTEMPTS_MAX, FORWARD_TIMEOUT, LEADER_RETRY_BACKOFF};
use crate::metrics::Metrics;
use crate::peer::path;

#[derive(Clone)]
pub struct Writer {
    forwarder: Forwarder,
    /// How long the leader waits for its entry to be committed and applied.
    commit_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl Writer {
    pub fn new(forwarder: Forwarder, commit_timeout: Duration, metrics: Arc<Metrics>) -> Self {
        Self { forwarder, commit_timeout, metrics }
    }

    /// Writes `requests` through whichever node leads, following leader changes: one answer per
    /// request. Requests the leader refused as `NotLeader` (nothing appended) are sent again to
    /// the next leader, at most `FORWARD_ATTEMPTS_MAX` times in all.
    pub async fn write(
        &self,
        requests: Vec<KeyedCommand>,
    ) -> Vec<Result<AppliedOutcome, WriteError>> {
        let mut answers: Vec<Option<Result<AppliedOutcome, WriteError>>> =
            vec![None; requests.len()];
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
            let mut redirected = Vec::new();
            for (index, result) in pending.iter().zip(results) {
                match result {
                    Err(WriteError::NotLeader { leader: Some((id, node)) }) if id != leader_id => {
                        hint = Some(Leader { id, node });
                        redirected.push(*index);
                    }
                    Err(error) if error.is_redirect() => redirected.push(*index),
                    other => answers[*index] = Some(other),
                }
            }
            pending = redirected;
            if pending.is_empty() {
                break;
            }
            if hint.is_none() {
                // Give the election that made the leader unknown time to finish.
                tokio::time::sleep(LEADER_RETRY_BACKOFF).await;
            }
        }
        answers.into_iter().map(|answer| answer.unwrap_or(Err(WriteError::NoLeader))).collect()
    }

    /// Whether this node leads, as far as it knows now.
    pub fn leads(&self) -> bool {
        self.forwarder.leads()
    }

    /// The leader this node knows of, for a `NotLeader` answer.
    pub fn leader_hint(&self) -> Option<(NodeId, NodeInfo)> {
        leader_now(self.forwarder.raft()).map(|leader| (leader.id, leader.node))
    }

    /// Appends `requests` as one entry if this node leads; `NotLeader` otherwise.
    pub async fn write_as_leader(
        &self,
        requests: Vec<KeyedCommand>,
    ) -> Result<Vec<AppliedOutcome>, WriteError> {
        let count = requests.len();
        let batch = Batch { stamped_at: Timestamp::from_datetime(Utc::now()), requests };
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
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(WriteError::NotLeader { leader: forward.leader_id.zip(forward.leader_node) })
            }
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(error))) => {
                tracing::error!(%error, "a coupon write failed with a membership error");
                Err(WriteError::Stopped)
            }
            Err(RaftError::Fatal(fatal)) => {
                tracing::error!(%fatal, "raft stopped");
                Err(WriteError::Stopped)
            }
        }
    }

    async fn forward(
        &self,
        leader: &Leader,
        requests: &[KeyedCommand],
    ) -> Vec<Result<AppliedOutcome, WriteError>> {
        self.metrics.forwarded_batches.inc();
        self.metrics.forwarded_requests.inc_by(requests.len() as u64);
        let answer: Result<Vec<Result<AppliedOutcome, WriteError>>, ForwardError> =
            self.forwarder.call(leader, path::PROPOSE, &requests, FORWARD_TIMEOUT).await;
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
