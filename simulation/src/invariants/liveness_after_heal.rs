//! Once every fault has healed, a redeem succeeds within `LIVENESS_DEADLINE` (simulated time).

use super::Evidence;
use crate::liveness::LIVENESS_DEADLINE;

pub fn check(evidence: &Evidence<'_>) -> Vec<String> {
    let liveness = evidence.liveness;
    let deadline_ns = u64::try_from(LIVENESS_DEADLINE.as_nanos()).unwrap_or(u64::MAX);
    match liveness.redeemed_at_ns {
        Some(at) if at.saturating_sub(liveness.healed_at_ns) <= deadline_ns => Vec::new(),
        Some(at) => vec![format!(
            "the first redeem after healing took {} ms",
            (at - liveness.healed_at_ns) / 1_000_000
        )],
        None => vec![format!(
            "no redeem succeeded within {LIVENESS_DEADLINE:?} of healing; last failures: {:?}",
            liveness.failures.iter().rev().take(3).collect::<Vec<_>>()
        )],
    }
}
