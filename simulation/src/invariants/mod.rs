//! The properties every run is checked for, one per file. Each reads the same `Evidence` (the
//! clients' history, the final state, what the observer saw) and returns what it found wrong.

mod acknowledged_membership;
mod acknowledged_writes_durable;
mod committed_entries_kept;
mod evidence_complete;
mod exactly_once;
mod linearizable_counter;
mod liveness_after_heal;
mod nodes_keep_running;
mod one_leader_per_term;
mod one_redemption_per_order;
mod replicas_converge;
mod votes_never_regress;
mod within_limit;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::faults::MembershipResult;
use crate::final_state::{FinalRedemption, FinalState};
use crate::harness::Observations;
use crate::liveness::Liveness;
use crate::workload::{Op, PoolCoupon};

/// Everything a run produced that the invariants judge.
pub struct Evidence<'a> {
    pub ops: &'a [Op],
    /// Coupons whose creation was acknowledged, with their limits.
    pub pool: &'a [PoolCoupon],
    pub final_state: &'a FinalState,
    pub observations: &'a Observations,
    pub liveness: &'a Liveness,
    pub membership: &'a [MembershipResult],
}

impl Evidence<'_> {
    /// The final redemptions of each user. Every logical redeem has its own user, so a user with
    /// two redemptions is a redeem applied twice.
    pub fn redemptions_by_user(&self) -> BTreeMap<&str, Vec<&FinalRedemption>> {
        let mut by_user: BTreeMap<&str, Vec<&FinalRedemption>> = BTreeMap::new();
        for redemption in &self.final_state.redemptions {
            by_user.entry(redemption.user.as_str()).or_default().push(redemption);
        }
        by_user
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

type Check = fn(&Evidence<'_>) -> Vec<String>;

const CHECKS: [(&str, Check); 13] = [
    ("evidence_complete", evidence_complete::check),
    ("linearizable_counter", linearizable_counter::check),
    ("acknowledged_writes_durable", acknowledged_writes_durable::check),
    ("exactly_once", exactly_once::check),
    ("one_redemption_per_order", one_redemption_per_order::check),
    ("within_limit", within_limit::check),
    ("liveness_after_heal", liveness_after_heal::check),
    ("replicas_converge", replicas_converge::check),
    ("one_leader_per_term", one_leader_per_term::check),
    ("votes_never_regress", votes_never_regress::check),
    ("committed_entries_kept", committed_entries_kept::check),
    ("acknowledged_membership", acknowledged_membership::check),
    ("nodes_keep_running", nodes_keep_running::check),
];

/// Runs every invariant; an empty result is a passing run.
pub fn check_all(evidence: &Evidence<'_>) -> Vec<Violation> {
    CHECKS
        .iter()
        .flat_map(|(invariant, check)| {
            check(evidence).into_iter().map(|detail| Violation { invariant, detail })
        })
        .collect()
}
