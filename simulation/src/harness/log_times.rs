//! `LogTimes`: log time as every node's state reports it at the indexes it applied, checked as
//! it is seen: one log time per index on every node (apply is deterministic), never back from a
//! lower index to a higher, at most `LOG_TIME_STEP_MAX` per entry forward (but for the first
//! stamped entry, which sets it from zero, as apply says); and how far it ever
//! ran ahead of the true (simulated) time of day, which is how early a record or a coupon can
//! expire.

use std::collections::BTreeMap;
use std::ops::Bound;

use raft_store::limits::LOG_TIME_STEP_MAX;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct LogTimes {
    /// Log time (Unix ms) after each index seen applied. Left out of reports: the state holds it.
    #[serde(skip)]
    at_index: BTreeMap<u64, i64>,
    /// What broke the rules above.
    pub violations: Vec<String>,
    /// The most log time was seen ahead of the true time of day (ms), and at which index.
    pub lead_max_ms: i64,
    pub lead_max_index: u64,
}

impl LogTimes {
    /// Node `node`'s state says log time is `log_time_ms` after index `index`, when the true
    /// time of day is `now_ms`.
    pub fn note(&mut self, node: u64, index: u64, log_time_ms: i64, now_ms: i64) {
        if log_time_ms - now_ms > self.lead_max_ms {
            (self.lead_max_ms, self.lead_max_index) = (log_time_ms - now_ms, index);
        }
        if let Some(seen) = self.at_index.get(&index) {
            if *seen != log_time_ms {
                self.violations.push(format!(
                    "node {node}: log time {log_time_ms} after index {index}, another node {seen}"
                ));
            }
            return;
        }
        let step_ms = i64::try_from(LOG_TIME_STEP_MAX.as_millis()).unwrap_or(i64::MAX);
        let before = self.at_index.range(..index).next_back().map(|(i, t)| (*i, *t));
        let after = self
            .at_index
            .range((Bound::Excluded(index), Bound::Unbounded))
            .next()
            .map(|(i, t)| (*i, *t));
        for ((low_index, low), (high_index, high)) in
            [before.map(|b| (b, (index, log_time_ms))), after.map(|a| ((index, log_time_ms), a))]
                .into_iter()
                .flatten()
        {
            let entries = i64::try_from(high_index - low_index).unwrap_or(i64::MAX);
            if high < low {
                self.violations.push(format!(
                    "node {node}: log time went back from {low} (index {low_index}) to {high} \
                     (index {high_index})"
                ));
            } else if low != 0 && high - low > entries.saturating_mul(step_ms) {
                self.violations.push(format!(
                    "node {node}: log time moved {} ms over {entries} entries ({low_index} to \
                     {high_index}), more than {step_ms} ms per entry",
                    high - low
                ));
            }
        }
        self.at_index.insert(index, log_time_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::LogTimes;

    const STEP_MS: i64 = 60_000;

    #[test]
    fn log_time_is_judged_against_its_neighbours_whatever_order_it_is_seen_in() {
        // Goal: each rule fires, and only when broken. Steps: the first stamped entry sets log
        // time from zero; honest steps; then a step too long, a step back, and two nodes
        // disagreeing about one index.
        let mut times = LogTimes::default();
        times.note(1, 1, 0, 0);
        times.note(1, 2, 1_700_000_000_000, 1_700_000_000_000);
        times.note(2, 4, 1_700_000_000_000 + 2 * STEP_MS, 1_700_000_000_000);
        assert!(times.violations.is_empty(), "{:?}", times.violations);
        assert_eq!(times.lead_max_ms, 2 * STEP_MS);
        times.note(1, 5, 1_700_000_000_000 + 3 * STEP_MS + 1, 1_700_000_000_000);
        assert_eq!(times.violations.len(), 1, "more than one step in one entry");
        times.note(3, 6, 1_700_000_000_000, 1_700_000_000_000);
        assert_eq!(times.violations.len(), 2, "index 6 below index 5: back");
        times.note(2, 2, 1_700_000_000_001, 1_700_000_000_000);
        assert_eq!(times.violations.len(), 3, "two values for index 2");
    }
}
