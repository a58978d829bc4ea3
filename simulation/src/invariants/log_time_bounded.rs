//! Log time, the leader-stamped clock that expires coupons and idempotency records, is bounded
//! whatever a leader's clock says: one value per index on every node, never back, and at most
//! `LOG_TIME_STEP_MAX` forward per entry (`harness::LogTimes` checks each as it is seen), so a
//! leader with a wrong clock expires a record or a coupon early by at most that much per entry
//! it writes.
//!
//! How far log time ran ahead of the true time of day is measured (`LogTimes::lead_max_ms`) and
//! reported by `sim.sh`, not bounded here: a node whose clock leapt before its first stamp as
//! leader is trusted whole by its leader clock, and apply then lets log time follow it by the
//! step bound per entry (see simulation/README.md).

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    evidence.observations.log_times.violations.clone()
}
