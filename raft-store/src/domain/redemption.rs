//! `Redemption`: one use of a coupon, kept as history; a rollback marks it instead of deleting it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CouponId, Currency, OrderId, RedemptionId, Timestamp, UserId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub id: RedemptionId,
    pub coupon_id: CouponId,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub order_amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub redeemed_at: Timestamp,
    /// `None` when it cannot be known: a percentage discount with no order amount.
    pub discount_amount: Option<Decimal>,
    pub rolled_back_at: Option<Timestamp>,
}

impl Redemption {
    pub fn is_live(&self) -> bool {
        self.rolled_back_at.is_none()
    }
}
