//! The audit trail: every administrative change, with the key that made it, in the replicated
//! state. Apply writes one record per change it makes (never for a refusal), so the trail and the
//! state cannot disagree.

use serde::{Deserialize, Serialize};

use super::{AuditId, CouponId, KeyId, RedemptionId, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: AuditId,
    /// Log time of the change.
    pub at: Timestamp,
    /// The key that made the change; `None` on a node running open (no keys).
    pub actor: Option<KeyId>,
    pub action: AuditAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    CouponCreated(CouponId),
    CouponUpdated(CouponId),
    CouponDeactivated(CouponId),
    CouponReactivated(CouponId),
    RedemptionRolledBack(RedemptionId),
    KeyCreated(KeyId),
    KeyRevoked(KeyId),
    /// A node joined the voters (or was already one).
    MemberAdded(u64),
    MemberRemoved(u64),
}
