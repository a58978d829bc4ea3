//! `Metrics`: this node's Prometheus metrics, in a registry of its own (several nodes share a
//! process in tests and in the simulation, so nothing is global). Event counters move where the
//! events happen; Raft's gauges are read from openraft when `/metrics` is scraped.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use raft_store::{NodeId, Raft, StateHandle};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_seconds: HistogramVec,
    pub redeems: IntCounterVec,
    pub forwarded_batches: IntCounter,
    pub forwarded_requests: IntCounter,
    pub forwards_abandoned: IntCounter,
    pub stamps_held_back: IntCounter,
    pub batch_requests: Histogram,
    pub rate_limited: IntCounter,
    pub shed: IntCounter,
    pub alerts_raised: IntCounter,
    pub alerts_delivered: IntCounter,
    pub leader_handoffs: IntCounterVec,
    raft: RaftGauges,
}

struct RaftGauges {
    term: IntGauge,
    leader_id: IntGauge,
    is_leader: IntGauge,
    last_log_index: IntGauge,
    committed_index: IntGauge,
    applied_index: IntGauge,
    apply_lag: IntGauge,
    snapshot_index: IntGauge,
    snapshot_bytes: IntGauge,
    snapshots_built: IntGauge,
    snapshots_installed: IntGauge,
    clamped_stamps: IntGauge,
    proposals_in_flight: IntGauge,
    node_region: IntGaugeVec,
    leader_region: IntGaugeVec,
}

impl RaftGauges {
    fn new(r: &Registry) -> Self {
        Self {
            term: gauge(r, "raft_term", "Current Raft term."),
            leader_id: gauge(r, "raft_leader_id", "Id of the leader this node knows (0: none)."),
            is_leader: gauge(r, "raft_is_leader", "1 when this node is the leader."),
            last_log_index: gauge(r, "raft_last_log_index", "Index of this node's last log entry."),
            committed_index: gauge(
                r,
                "raft_committed_index",
                "Index of the last entry this node knows is committed.",
            ),
            applied_index: gauge(
                r,
                "raft_applied_index",
                "Index of the last entry applied to the state machine.",
            ),
            apply_lag: gauge(r, "raft_apply_lag", "Log entries appended but not yet applied."),
            snapshot_index: gauge(
                r,
                "raft_snapshot_index",
                "Last log index covered by the current snapshot.",
            ),
            snapshot_bytes: gauge(r, "raft_snapshot_bytes", "Size of the stored snapshot."),
            snapshots_built: gauge(
                r,
                "raft_snapshots_built_total",
                "Snapshots this node built since it started.",
            ),
            snapshots_installed: gauge(
                r,
                "raft_snapshots_installed_total",
                "Snapshots this node installed from a leader since it started.",
            ),
            clamped_stamps: gauge(
                r,
                "log_time_clamped_stamps_total",
                "Entries this node applied since it started whose leader stamp was ahead of log \
                 time by more than the step bound (60 s), and moved it by the bound only.",
            ),
            proposals_in_flight: gauge(
                r,
                "proposals_in_flight",
                "Writes this node holds (queued or awaiting commit).",
            ),
            node_region: gauge_vec(
                r,
                "node_region",
                "1 for the region the membership records for this node.",
                &["region"],
            ),
            leader_region: gauge_vec(
                r,
                "leader_region",
                "1 for the region of the leader this node knows.",
                &["region"],
            ),
        }
    }
}

/// Metric definitions are constants: a bad one is a bug that the unit test below catches.
const DEFINITION: &str = "metric definitions are valid and registered once";

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let metric = IntCounter::new(name, help).expect(DEFINITION);
    registry.register(Box::new(metric.clone())).expect(DEFINITION);
    metric
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect(DEFINITION);
    registry.register(Box::new(metric.clone())).expect(DEFINITION);
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = IntGauge::new(name, help).expect(DEFINITION);
    registry.register(Box::new(metric.clone())).expect(DEFINITION);
    metric
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels).expect(DEFINITION);
    registry.register(Box::new(metric.clone())).expect(DEFINITION);
    metric
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let metric =
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect(DEFINITION);
    registry.register(Box::new(metric.clone())).expect(DEFINITION);
    metric
}

const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

const STAMPS_HELD_BACK: &str = "Entries this node stamped as leader while its wall clock ran \
    ahead of its monotonic clock: the stamp followed the monotonic clock.";
const FORWARDS_ABANDONED: &str = "Forwarded batches no longer waited for because another leader \
    became known; their requests went to the new leader under the same idempotency tokens.";

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("coupon".to_owned()), None).expect(DEFINITION);
        let r = &registry;
        let latency =
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route.")
                .buckets(LATENCY_BUCKETS.to_vec());
        let http_seconds = HistogramVec::new(latency, &["route"]).expect(DEFINITION);
        registry.register(Box::new(http_seconds.clone())).expect(DEFINITION);
        Self {
            http_requests: counter_vec(
                r,
                "http_requests_total",
                "HTTP requests by route, method and status.",
                &["route", "method", "status"],
            ),
            http_seconds,
            redeems: counter_vec(
                r,
                "redeems_total",
                "Redeems answered by this node, by outcome (granted or the refusal code).",
                &["outcome"],
            ),
            forwarded_batches: counter(
                r,
                "forwarded_batches_total",
                "Proposal batches this node forwarded to the leader.",
            ),
            forwarded_requests: counter(
                r,
                "forwarded_requests_total",
                "Requests inside the batches forwarded to the leader.",
            ),
            stamps_held_back: counter(r, "leader_stamps_held_back_total", STAMPS_HELD_BACK),
            forwards_abandoned: counter(r, "forwards_abandoned_total", FORWARDS_ABANDONED),
            batch_requests: histogram(
                r,
                "batch_requests",
                "Requests per proposal batch (one log entry).",
                BATCH_BUCKETS.to_vec(),
            ),
            rate_limited: counter(
                r,
                "rate_limited_total",
                "Requests refused with 429 by the per-client rate limit.",
            ),
            shed: counter(
                r,
                "shed_total",
                "Writes refused with 503 because the in-flight proposal bound was reached.",
            ),
            alerts_raised: counter(
                r,
                "alerts_raised_total",
                "Low-stock alerts raised by redeems this node answered.",
            ),
            alerts_delivered: counter(
                r,
                "alerts_delivered_total",
                "Low-stock alerts this node delivered to the webhook.",
            ),
            leader_handoffs: counter_vec(
                r,
                "leader_handoffs_total",
                "Handoffs of leadership to the preferred leader region this node started as \
                 leader, by outcome (moved, not_caught_up, refused, no_new_leader).",
                &["outcome"],
            ),
            raft: RaftGauges::new(&registry),
            registry,
        }
    }

    /// The Prometheus text exposition of every metric, Raft's gauges read now.
    pub async fn render(
        &self,
        raft: &Raft,
        state: &StateHandle,
        proposals_in_flight: usize,
    ) -> String {
        let committed =
            raft.with_raft_state(|raft_state| raft_state.committed).await.ok().flatten();
        self.read_raft(raft, state, committed.map(|log_id| log_id.index), proposals_in_flight);
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(text).unwrap_or_default()
    }

    fn read_raft(
        &self,
        raft: &Raft,
        state: &StateHandle,
        committed: Option<u64>,
        proposals_in_flight: usize,
    ) {
        let receiver = raft.metrics();
        let metrics = receiver.borrow();
        let index = |value: Option<u64>| i64::try_from(value.unwrap_or(0)).unwrap_or(i64::MAX);
        let gauges = &self.raft;
        gauges.term.set(index(Some(metrics.current_term)));
        gauges.leader_id.set(index(metrics.current_leader));
        gauges.is_leader.set(i64::from(metrics.current_leader == Some(metrics.id)));
        gauges.last_log_index.set(index(metrics.last_log_index));
        gauges.committed_index.set(index(committed));
        gauges.applied_index.set(index(metrics.last_applied.map(|log_id| log_id.index)));
        gauges.apply_lag.set(
            index(metrics.last_log_index) - index(metrics.last_applied.map(|log_id| log_id.index)),
        );
        gauges.snapshot_index.set(index(metrics.snapshot.map(|log_id| log_id.index)));
        let activity = state.snapshot_activity();
        gauges.snapshot_bytes.set(index(Some(activity.stored_bytes)));
        gauges.snapshots_built.set(index(Some(activity.built)));
        gauges.snapshots_installed.set(index(Some(activity.installed)));
        gauges.clamped_stamps.set(index(Some(state.clamped_stamps())));
        gauges.proposals_in_flight.set(index(Some(proposals_in_flight as u64)));
        let membership = metrics.membership_config.membership();
        let region_of = |id: Option<NodeId>| membership.get_node(&id?)?.region.clone();
        for (gauge, region) in [
            (&gauges.node_region, region_of(Some(metrics.id))),
            (&gauges.leader_region, region_of(metrics.current_leader)),
        ] {
            gauge.reset();
            if let Some(region) = region {
                gauge.with_label_values(&[region.as_str()]).set(1);
            }
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_defined_and_named_once() {
        let metrics = Metrics::new();
        metrics.redeems.with_label_values(&["granted"]).inc();
        let names: Vec<String> =
            metrics.registry.gather().iter().map(|family| family.name().to_owned()).collect();
        assert!(names.contains(&"coupon_redeems_total".to_owned()), "{names:?}");
        assert!(names.len() >= 20, "{names:?}");
    }
}
