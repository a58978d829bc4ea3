//! `RegionLatency`: how long a region run's clients waited, per client region, for a redeem
//! (through the real client, which sends it to a node of its region) and for a validate (at a
//! node of its region), beside the floor the delay matrix implies for that operation.
//!
//! Only operations that ran wholly inside a quiet stretch (no fault held) under one leader of
//! the preferred region are measured: the steady state the floor describes. The floor of an
//! operation: the client's round trip to its node; when that node does not lead, its round trip
//! to the leader; the leader's round trip to the nearest majority (a commit, or a read index
//! confirmed by a quorum); disk, about nothing in the simulation; and for a write, the batching
//! linger on each node it passes (`coupon_node::limits::BATCH_LINGER_DEFAULT`).

use std::collections::BTreeMap;
use std::time::Duration;

use coupon_node::limits::BATCH_LINGER_DEFAULT;
use raft_store::NodeId;

use crate::invariants::{quiet_stretches, Evidence};
use crate::region::{Region, RegionLayout};
use crate::workload::{Call, Op, Outcome, ReadKind, Via};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Redeem,
    Validate,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Redeem => "redeem",
            Kind::Validate => "validate",
        }
    }
}

/// (measured, floor) in ms, per client region and kind of operation.
pub struct RegionLatency(BTreeMap<(Region, Kind), Vec<(f64, f64)>>);

impl RegionLatency {
    pub fn measure(layout: &RegionLayout, evidence: &Evidence<'_>) -> Self {
        let stretches = quiet_stretches(evidence, layout);
        let elections = &evidence.observations.elections;
        let mut samples: BTreeMap<(Region, Kind), Vec<(f64, f64)>> = BTreeMap::new();
        for op in evidence.ops {
            let (Some(kind), Some(returned_ns)) = (kind_of(op), op.returned_ns) else { continue };
            // Racer n is client n of the history and sits where client n - 1 of the layout does;
            // client 0 is the harness's own.
            let Some(index) = op.client.checked_sub(1) else { continue };
            let region = layout.client(index);
            let quiet =
                stretches.iter().any(|s| s.from_ns <= op.invoked_ns && returned_ns <= s.until_ns);
            let leader = elections.leader_at(op.invoked_ns);
            let one_leader = elections.leadership_changes(op.invoked_ns, returned_ns).is_empty();
            let Some(leader) = leader.filter(|id| layout.node(*id) == Some(layout.preferred))
            else {
                continue;
            };
            if !quiet || !one_leader {
                continue;
            }
            let node = match &op.call {
                Call::Read { node, .. } => *node,
                _ => layout.nodes_for_client(region)[0],
            };
            let floor = floor(layout, region, node, leader, kind);
            let measured = (returned_ns - op.invoked_ns) as f64 / 1e6;
            samples.entry((region, kind)).or_default().push((measured, ms(floor)));
        }
        Self(samples)
    }

    /// One line per client region and kind, for `scripts/sim.sh`'s latency table.
    pub fn print(&self, scenario: &str, seed: u64) {
        for ((region, kind), samples) in &self.0 {
            let listed: Vec<String> = samples
                .iter()
                .map(|(measured, floor)| format!("{measured:.1}/{floor:.1}"))
                .collect();
            println!(
                "[sim] region_latency {scenario} {seed} {region} {} ms: {}",
                kind.name(),
                listed.join(" ")
            );
        }
    }
}

fn kind_of(op: &Op) -> Option<Kind> {
    match (&op.call, &op.outcome) {
        (Call::Redeem { via: Via::Client, .. }, Some(Outcome::Redeemed { .. })) => {
            Some(Kind::Redeem)
        }
        (Call::Read { kind: ReadKind::Validate, .. }, Some(Outcome::Read { .. })) => {
            Some(Kind::Validate)
        }
        _ => None,
    }
}

fn floor(
    layout: &RegionLayout,
    client: Region,
    node: NodeId,
    leader: NodeId,
    kind: Kind,
) -> Duration {
    let node_region = layout.node(node).unwrap_or(client);
    let to_node = layout.delays.round_trip(client, node_region);
    let forwarded = node != leader;
    let to_leader = if forwarded { layout.round_trip(node, leader) } else { Duration::ZERO };
    let lingers = match kind {
        Kind::Redeem if forwarded => 2,
        Kind::Redeem => 1,
        Kind::Validate => 0,
    };
    to_node + to_leader + layout.quorum_round_trip(leader) + BATCH_LINGER_DEFAULT * lingers
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
