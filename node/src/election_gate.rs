//! `ElectionGate`: a voter campaigns only while it can reach a majority of the voters.
//!
//! openraft 0.9 has no pre-vote. A voter cut off from the others times out again and again, and
//! every election it starts raises its term. When the link heals, its higher term deposes the
//! leader, and it cannot win the election that follows (its log is behind), so the cluster can go
//! without a leader for several election timeouts: 11.7 s after a region of a wide-area cluster
//! of five healed, in the simulation. A voter that cannot reach a majority could not win anyway.
//! So every heartbeat interval a follower asks the other voters for their clock (`path::CLOCK`;
//! any answer will do) and turns its election timer off while fewer than a majority, itself
//! included, answer within the interval; on again as soon as they do. It notices a cut within two
//! intervals, before its first election timeout (at least three, `Config`'s rule) has run out.
//!
//! Only the timer is gated: a leader handoff (`trigger().elect()`) still campaigns, and a leader
//! never gates itself.

use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use openraft::ServerState;
use raft_store::domain::Timestamp;

use crate::forward::Forwarder;
use crate::peer::path;
use crate::shutdown::Shutdown;

pub struct ElectionGate {
    pub forwarder: Forwarder,
    /// The heartbeat interval: how often the voters are asked, and how long an answer may take.
    pub interval: Duration,
}

impl ElectionGate {
    pub async fn run(self, shutdown: Shutdown) {
        let stop = shutdown.requested();
        tokio::pin!(stop);
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut campaigns = true;
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {}
            }
            let leads = self.forwarder.raft().metrics().borrow().state == ServerState::Leader;
            let may_campaign = leads || ungated() || self.majority_answers().await;
            if may_campaign != campaigns {
                campaigns = may_campaign;
                self.forwarder.raft().runtime_config().elect(campaigns);
                if campaigns {
                    tracing::info!("a majority of the voters answers again: elections on");
                } else {
                    tracing::warn!("fewer than a majority of the voters answer: elections off");
                }
            }
        }
    }

    /// Whether a majority of the voters, this node included, answered within the interval.
    async fn majority_answers(&self) -> bool {
        let (others, voter_count) = self.forwarder.other_voters();
        let majority = voter_count / 2 + 1;
        let mut answered = voter_count - others.len();
        if answered >= majority {
            return true;
        }
        let rpc = self.forwarder.rpc();
        let mut asked: FuturesUnordered<_> = others
            .iter()
            .map(|voter| async move {
                let answer: Result<Timestamp, _> =
                    rpc.call(&voter.peer_addr, path::CLOCK, &(), self.interval).await;
                answer.is_ok()
            })
            .collect();
        while let Some(answer) = asked.next().await {
            answered += usize::from(answer);
            if answered >= majority {
                return true;
            }
        }
        false
    }
}

#[cfg(not(feature = "broken-ungated-elections"))]
fn ungated() -> bool {
    false
}

/// Deliberately broken build for the simulation's detection test: a voter cut off from the
/// majority campaigns on, and its term deposes the leader when the link heals.
#[cfg(feature = "broken-ungated-elections")]
fn ungated() -> bool {
    true
}
