//! `Coupon`: the terms a shop sets at creation, and the counters the log moves.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AlertId, CouponCode, CouponId, Discount, Timestamp};

/// What the shop decides when it creates a coupon. Checked by the node before it is proposed;
/// apply trusts these bounds and asserts them in debug builds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTerms {
    pub discount: Discount,
    /// Cap on the amount a percentage discount takes off one order.
    pub max_discount_amount: Option<Decimal>,
    /// Orders below this amount (or with no amount) cannot use the coupon.
    pub min_order_amount: Option<Decimal>,
    /// `None`: valid from creation.
    pub starts_at: Option<Timestamp>,
    /// The coupon is expired at this instant and after it.
    pub expires_at: Timestamp,
    pub usage_limit: u32,
    /// `None`: a customer may use every remaining use.
    pub per_user_limit: Option<u32>,
    /// Raise a low-stock alert once `remaining` falls to or below this.
    pub low_stock_threshold: Option<u32>,
    pub metadata: Metadata,
}

/// The shop's own data about a coupon, as a compact JSON object. The node validates and
/// canonicalises it; the replicated state stores it without looking inside.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata(String);

impl Metadata {
    /// `json` must be a compact JSON object the node has already validated.
    pub fn from_validated_json(json: String) -> Self {
        debug_assert!(json.starts_with('{') && json.ends_with('}'), "metadata is a JSON object");
        Self(json)
    }

    pub fn as_json(&self) -> &str {
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub code: CouponCode,
    pub terms: CouponTerms,
    /// Live redemptions: rolled-back ones are not counted.
    pub times_redeemed: u32,
    pub active: bool,
    pub created_at: Timestamp,
    /// The low-stock alert this coupon raised, if it did (at most one per coupon).
    pub low_stock_alert: Option<AlertId>,
}

impl Coupon {
    pub fn remaining(&self) -> u32 {
        assert!(self.times_redeemed <= self.terms.usage_limit, "coupon {} over its limit", self.id);
        self.terms.usage_limit.saturating_sub(self.times_redeemed)
    }

    /// The seed's `redeemed` flag: every use is taken.
    pub fn is_fully_redeemed(&self) -> bool {
        self.remaining() == 0
    }

    /// The low-stock threshold this coupon has crossed without an alert yet.
    pub fn low_stock_threshold_crossed(&self) -> Option<u32> {
        let threshold = self.terms.low_stock_threshold?;
        (self.low_stock_alert.is_none() && self.remaining() <= threshold).then_some(threshold)
    }
}
