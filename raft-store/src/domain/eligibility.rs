//! Whether a redeem may take a use now: the contract's rejection reasons, in its precedence order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Coupon, Currency, Timestamp};

/// Why a redeem is refused (and what validate reports). The declaration order is the contract's
/// precedence: when several apply, the first wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RedeemRejection {
    Inactive,
    NotStarted,
    Expired,
    UsageLimitReached,
    PerUserLimitReached,
    OrderAlreadyRedeemed,
    CurrencyMismatch,
    MinOrderNotMet,
}

/// What a redeem says about the order, as far as eligibility is concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFacts<'a> {
    pub order_amount: Option<Decimal>,
    pub currency: Option<&'a Currency>,
    /// Live redemptions of this coupon by this user.
    pub user_redemptions: u32,
    /// This coupon already has a live redemption for this order.
    pub order_already_redeemed: bool,
}

/// The discount a redeem at `now` would grant, or the first reason it is refused.
pub fn check_redeem(
    coupon: &Coupon,
    order: &OrderFacts<'_>,
    now: Timestamp,
) -> Result<Option<Decimal>, RedeemRejection> {
    let terms = &coupon.terms;
    if !coupon.active {
        return Err(RedeemRejection::Inactive);
    }
    if terms.starts_at.is_some_and(|starts_at| now < starts_at) {
        return Err(RedeemRejection::NotStarted);
    }
    if now >= terms.expires_at {
        return Err(RedeemRejection::Expired);
    }
    if coupon.times_redeemed >= terms.usage_limit {
        return Err(RedeemRejection::UsageLimitReached);
    }
    if terms.per_user_limit.is_some_and(|limit| order.user_redemptions >= limit) {
        return Err(RedeemRejection::PerUserLimitReached);
    }
    if order.order_already_redeemed {
        return Err(RedeemRejection::OrderAlreadyRedeemed);
    }
    if let (Some(coupon_currency), Some(order_currency)) =
        (terms.discount.currency(), order.currency)
    {
        if coupon_currency != order_currency {
            return Err(RedeemRejection::CurrencyMismatch);
        }
    }
    if let Some(minimum) = terms.min_order_amount {
        if order.order_amount.is_none_or(|amount| amount < minimum) {
            return Err(RedeemRejection::MinOrderNotMet);
        }
    }
    Ok(terms.discount.amount_off(order.order_amount, terms.max_discount_amount))
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod tests;
