//! `StateMeta`: the state machine's bookkeeping, written with every applied batch.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AlertId, AuditId, CampaignId, CouponId, HoldId, JobId, RedemptionId, Timestamp,
};
use crate::type_config::{LogId, StoredMembership};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMeta {
    pub last_applied: Option<LogId>,
    pub membership: StoredMembership,
    pub counters: Counters,
    /// The latest leader-stamped time applied. It never moves backwards, even when a new leader's
    /// clock is behind the old one's, so an expired coupon stays expired and records age evenly.
    pub log_time: Timestamp,
}

/// The next id of each kind. Ids come from here, so every node assigns the same ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub next_coupon_id: CouponId,
    pub next_redemption_id: RedemptionId,
    pub next_alert_id: AlertId,
    pub next_audit_id: AuditId,
    pub next_hold_id: HoldId,
    pub next_campaign_id: CampaignId,
    pub next_job_id: JobId,
}

impl Default for Counters {
    /// Ids are positive: the first of each kind is 1.
    fn default() -> Self {
        Self {
            next_coupon_id: CouponId(1),
            next_redemption_id: RedemptionId(1),
            next_alert_id: AlertId(1),
            next_audit_id: AuditId(1),
            next_hold_id: HoldId(1),
            next_campaign_id: CampaignId(1),
            next_job_id: JobId(1),
        }
    }
}
