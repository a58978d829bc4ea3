//! The properties every run is checked for, one per file. Each reads the same `Evidence` (the
//! clients' history, the final state, what the observer saw) and returns what it found wrong.

mod acknowledged_confirms_durable;
mod acknowledged_membership;
mod acknowledged_writes_durable;
mod audit_chain_agrees;
mod committed_entries_kept;
mod evidence_complete;
mod exactly_once;
mod expired_hold_never_confirms;
mod leader_in_preferred_region;
mod linearizable_counter;
mod liveness_after_heal;
mod log_time_bounded;
mod nodes_keep_running;
mod one_leader_per_term;
mod one_redemption_per_order;
mod per_user_limit;
mod replicas_converge;
mod uses_within_limits;
mod votes_never_regress;
mod within_limit;

use std::collections::BTreeMap;

use serde::Serialize;

pub use leader_in_preferred_region::{quiet_stretches, QuietStretch, PREFERRED_LEADER_BOUND};

use crate::faults::{FaultWindow, MembershipResult};
use crate::final_state::{FinalRedemption, FinalState};
use crate::harness::Observations;
use crate::liveness::Liveness;
use crate::region::RegionLayout;
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
    /// When each fault held, on the history's clock.
    pub fault_windows: &'a [FaultWindow],
    /// In a region run, where everything sits.
    pub regions: Option<&'a RegionLayout>,
}

impl Evidence<'_> {
    /// The final redemptions of each logical redeem, named by its (user, order). A logical redeem
    /// has a user of its own, or shares one (`workload::spec::is_shared_user`) and then has an
    /// order of its own: either way, two redemptions under one name are a redeem applied twice.
    pub fn redemptions_by_request(&self) -> BTreeMap<RequestName<'_>, Vec<&FinalRedemption>> {
        let mut by_request: BTreeMap<RequestName<'_>, Vec<&FinalRedemption>> = BTreeMap::new();
        for redemption in &self.final_state.redemptions {
            let name = (redemption.user.as_str(), redemption.order.as_deref());
            by_request.entry(name).or_default().push(redemption);
        }
        by_request
    }
}

/// The (user, order) a logical redeem is known by.
pub type RequestName<'a> = (&'a str, Option<&'a str>);

#[derive(Clone, Debug, Serialize)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

type Check = fn(&Evidence<'_>) -> Vec<String>;

const CHECKS: [(&str, Check); 20] = [
    ("evidence_complete", evidence_complete::check),
    ("linearizable_counter", linearizable_counter::check),
    ("acknowledged_writes_durable", acknowledged_writes_durable::check),
    ("exactly_once", exactly_once::check),
    ("one_redemption_per_order", one_redemption_per_order::check),
    ("within_limit", within_limit::check),
    ("per_user_limit", per_user_limit::check),
    ("uses_within_limits", uses_within_limits::check),
    ("expired_hold_never_confirms", expired_hold_never_confirms::check),
    ("acknowledged_confirms_durable", acknowledged_confirms_durable::check),
    ("liveness_after_heal", liveness_after_heal::check),
    ("replicas_converge", replicas_converge::check),
    ("audit_chain_agrees", audit_chain_agrees::check),
    ("log_time_bounded", log_time_bounded::check),
    ("one_leader_per_term", one_leader_per_term::check),
    ("votes_never_regress", votes_never_regress::check),
    ("committed_entries_kept", committed_entries_kept::check),
    ("acknowledged_membership", acknowledged_membership::check),
    ("nodes_keep_running", nodes_keep_running::check),
    ("leader_in_preferred_region", leader_in_preferred_region::check),
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
