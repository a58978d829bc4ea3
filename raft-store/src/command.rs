//! What goes through the Raft log: a batch of requests stamped with the leader's clock.
//!
//! These types are a durable on-disk format (they live in log entries and snapshots), distinct
//! from the HTTP wire types; the node converts between the two.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AlertId, CouponCode, CouponId, CouponTerms, Currency, KeyDigest, KeyId, KeyLabel, OrderId,
    RedemptionId, Role, Timestamp, UserId,
};
use crate::type_config::NodeId;
use crate::idempotency::IdempotencyToken;

/// The application payload of one log entry. The node batches concurrent proposals into one
/// entry so that one log append, one fsync and one replication round carry many requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The proposing leader's wall clock. Apply takes time from here, never from a local clock.
    pub stamped_at: Timestamp,
    pub requests: Vec<KeyedCommand>,
}

/// One command of a batch, with the idempotency token it was submitted under (if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedCommand {
    pub idempotency: Option<IdempotencyToken>,
    /// The API key that sent the command, for the audit trail; `None` on an open node and for
    /// the node's own housekeeping.
    pub actor: Option<KeyId>,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    CreateCoupon {
        code: CodeChoice,
        terms: CouponTerms,
    },
    Redeem(RedeemCommand),
    RollBack {
        redemption_id: RedemptionId,
    },
    Deactivate {
        coupon_id: CouponId,
    },
    Reactivate {
        coupon_id: CouponId,
    },
    /// The leader delivered these alerts to the webhook; they are not sent again.
    ConfirmAlertDelivery {
        alert_ids: Vec<AlertId>,
    },
    /// A new API key; the node that took the request drew its id and secret.
    CreateKey(NewKey),
    RevokeKey {
        id: KeyId,
    },
    /// A membership change that completed, for the audit trail (membership itself is Raft's).
    NoteMembershipChange(MembershipNote),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    pub id: KeyId,
    pub role: Role,
    pub label: KeyLabel,
    pub digest: KeyDigest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipNote {
    Added(NodeId),
    Removed(NodeId),
}

/// Where a new coupon's code comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeChoice {
    /// The shop chose it: a collision is a `CodeAlreadyExists` rejection.
    Chosen(CouponCode),
    /// The leader drew it at random: a collision derives another one deterministically.
    Generated(CouponCode),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemCommand {
    pub coupon_id: CouponId,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub order_amount: Option<Decimal>,
    pub currency: Option<Currency>,
}
