//! Log time, the leader-stamped clock that expires coupons and idempotency records, is bounded
//! whatever a leader's clock says: one value per index on every node, never back, at most
//! `LOG_TIME_STEP_MAX` forward per entry (`harness::LogTimes` checks each as it is seen), and
//! never more than `LOG_TIME_LEAD_MAX` ahead of the true time of day: a leader holds its stamps
//! to the clocks a quorum of voters vouches for, and the scenarios make at most one clock wrong
//! at a time, so a record or a coupon never expires earlier than that.

use coupon_node::write::LOG_TIME_LEAD_MAX;

use super::Evidence;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let log_times = &evidence.observations.log_times;
    let mut violations = log_times.violations.clone();
    let bound_ms = i64::try_from(LOG_TIME_LEAD_MAX.as_millis()).unwrap_or(i64::MAX);
    if log_times.lead_max_ms > bound_ms {
        violations.push(format!(
            "log time ran {} ms ahead of the true time after index {}, past the bound of {bound_ms} ms",
            log_times.lead_max_ms, log_times.lead_max_index
        ));
    }
    violations
}
