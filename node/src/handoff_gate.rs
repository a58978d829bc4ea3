//! `HandoffGate`: holds this node's own traffic to its followers while it hands leadership on.
//!
//! A follower refuses to vote for a lease (openraft's `leader_lease`: the maximum election
//! timeout) after the last message it had from its leader. So a leader that hands over goes
//! quiet, with no appends, heartbeats or read-index rounds, until its chosen successor has won
//! (`leader_preference`). Every write this node appends as leader (`Writer::write_as_leader`)
//! and every read index it confirms (`ReadBarrier`) passes the gate first. While the gate is
//! closed they wait, for at most as long as a handoff may take: the guard that closes it lives
//! only inside one bounded handoff.

use tokio::sync::watch;

pub struct HandoffGate {
    closed: watch::Sender<bool>,
}

/// Keeps the gate closed until dropped.
pub struct Closed<'gate> {
    gate: &'gate HandoffGate,
}

impl HandoffGate {
    pub fn new() -> Self {
        Self { closed: watch::Sender::new(false) }
    }

    pub fn close(&self) -> Closed<'_> {
        self.closed.send_replace(true);
        Closed { gate: self }
    }

    /// Returns at once while the gate is open; otherwise once it opens.
    pub async fn pass(&self) {
        let mut closed = self.closed.subscribe();
        // The sender lives as long as `self`, so waiting cannot end in an error.
        let _ = closed.wait_for(|closed| !closed).await;
    }
}

impl Default for HandoffGate {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.gate.closed.send_replace(false);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::HandoffGate;

    #[tokio::test(start_paused = true)]
    async fn traffic_waits_while_the_gate_is_closed_and_passes_once_it_opens() {
        let gate = HandoffGate::new();
        gate.pass().await;
        let closed = gate.close();
        let waiting = tokio::time::timeout(Duration::from_secs(5), gate.pass());
        assert!(waiting.await.is_err(), "passed a closed gate");
        let opened = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(closed);
        };
        let ((), passed) =
            tokio::join!(opened, tokio::time::timeout(Duration::from_secs(5), gate.pass()));
        assert!(passed.is_ok(), "still waiting after the gate opened");
    }
}
