//! The audit trail: every administrative change, with the key that made it, what it changed
//! before and after, and a hash that chains it to the record before (the wire contract's rule,
//! `coupon_client::api::audit`). Apply writes one record per change it makes (never for a
//! refusal), in the same atomic write as the change, so the trail and the state cannot disagree.

use chrono::SecondsFormat;
use coupon_client::api::audit::chain_hash;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{AuditId, CampaignId, CouponId, JobId, KeyId, RedemptionId, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: AuditId,
    /// Log time of the change.
    pub at: Timestamp,
    /// The key that made the change; `None` on a node running open.
    pub actor: Option<KeyId>,
    pub action: AuditAction,
    /// The subject before and after the change, as JSON text (the stored form has to be one
    /// that bincode can hold).
    pub before: Option<String>,
    pub after: Option<String>,
    /// The chain's hash through this record, lower-case hex.
    pub hash: String,
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
    CampaignCreated(CampaignId),
    /// Codes given to a campaign (an import); the record's `after` counts them.
    CampaignCodesAdded(CampaignId),
    /// A job that generates codes for a campaign started (its chunks are the node's own work).
    CodeJobStarted(JobId),
}

impl AuditAction {
    /// The action's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CouponCreated(_) => "coupon.create",
            Self::CouponUpdated(_) => "coupon.update",
            Self::CouponDeactivated(_) => "coupon.deactivate",
            Self::CouponReactivated(_) => "coupon.reactivate",
            Self::RedemptionRolledBack(_) => "redemption.rollback",
            Self::KeyCreated(_) => "key.create",
            Self::KeyRevoked(_) => "key.revoke",
            Self::MemberAdded(_) => "member.add",
            Self::MemberRemoved(_) => "member.remove",
            Self::CampaignCreated(_) => "campaign.create",
            Self::CampaignCodesAdded(_) => "campaign.codes_add",
            Self::CodeJobStarted(_) => "campaign.codes_generate",
        }
    }

    /// What the action was done to, on the wire.
    pub fn subject(&self) -> String {
        match self {
            Self::CouponCreated(id)
            | Self::CouponUpdated(id)
            | Self::CouponDeactivated(id)
            | Self::CouponReactivated(id) => format!("coupon:{id}"),
            Self::RedemptionRolledBack(id) => format!("redemption:{id}"),
            Self::KeyCreated(id) | Self::KeyRevoked(id) => format!("key:{id}"),
            Self::MemberAdded(id) | Self::MemberRemoved(id) => format!("node:{id}"),
            Self::CampaignCreated(id) | Self::CampaignCodesAdded(id) => format!("campaign:{id}"),
            Self::CodeJobStarted(id) => format!("job:{id}"),
        }
    }
}

impl AuditRecord {
    /// The record of `action`, chained after the record whose hash is `previous`.
    pub fn sealed(
        id: AuditId,
        at: Timestamp,
        actor: Option<KeyId>,
        action: AuditAction,
        (before, after): (Option<Value>, Option<Value>),
        previous: &str,
    ) -> Self {
        let mut record = Self {
            id,
            at,
            actor,
            action,
            before: before.map(|value| value.to_string()),
            after: after.map(|value| value.to_string()),
            hash: String::new(),
        };
        record.hash = chain_hash(previous, &record.body());
        record
    }

    /// The record as the wire shows it, without its `hash`: what the hash is computed over.
    pub fn body(&self) -> Value {
        let text = |text: &Option<String>| {
            text.as_deref().and_then(|text| serde_json::from_str::<Value>(text).ok())
        };
        let at = self.at.to_datetime().map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true));
        json!({
            "seq": self.id.0,
            "at": at,
            "actor": self.actor.as_ref().map(KeyId::as_str),
            "action": self.action.name(),
            "subject": self.action.subject(),
            "before": text(&self.before),
            "after": text(&self.after),
        })
    }
}

#[cfg(test)]
mod tests {
    use coupon_client::api::audit::{verify_chain, GENESIS_HASH};

    use super::*;

    #[test]
    fn sealed_records_verify_as_a_client_checks_them() {
        let first = AuditRecord::sealed(
            AuditId(1),
            Timestamp::from_unix_millis(1_000),
            None,
            AuditAction::KeyCreated(KeyId::bootstrap()),
            (None, Some(json!({"id": "key_admin"}))),
            GENESIS_HASH,
        );
        let second = AuditRecord::sealed(
            AuditId(2),
            Timestamp::from_unix_millis(2_000),
            Some(KeyId::bootstrap()),
            AuditAction::CouponDeactivated(CouponId(4)),
            (Some(json!({"active": true})), Some(json!({"active": false}))),
            &first.hash,
        );
        let served = |record: &AuditRecord| {
            let mut body = record.body();
            body["hash"] = Value::from(record.hash.clone());
            body
        };
        assert_eq!(verify_chain(&[served(&first), served(&second)]), Ok(2));
        assert_eq!(served(&second)["subject"], "coupon:4");
        assert_eq!(served(&first)["at"], "1970-01-01T00:00:01.000Z");
    }
}
