//! `CouponStatus`: where a coupon stands at an instant, in the precedence a redeem's refusal
//! takes (inactive, not started, expired, exhausted), so a listing by status and a redeem agree.

use serde::{Deserialize, Serialize};

use super::{Coupon, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponStatus {
    Active,
    Inactive,
    NotStarted,
    Expired,
    Exhausted,
}

impl CouponStatus {
    pub fn of(coupon: &Coupon, now: Timestamp) -> Self {
        if !coupon.active {
            Self::Inactive
        } else if coupon.terms.starts_at.is_some_and(|starts_at| now < starts_at) {
            Self::NotStarted
        } else if now >= coupon.terms.expires_at {
            Self::Expired
        } else if coupon.uses_taken() >= u64::from(coupon.terms.usage_limit) {
            Self::Exhausted
        } else {
            Self::Active
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{self, at};
    use crate::domain::CouponTerms;

    #[test]
    fn the_status_follows_the_refusal_precedence() {
        let mut coupon =
            fixtures::coupon(CouponTerms { starts_at: Some(at(10)), ..fixtures::terms() });
        assert_eq!(CouponStatus::of(&coupon, at(5)), CouponStatus::NotStarted);
        assert_eq!(CouponStatus::of(&coupon, at(10)), CouponStatus::Active);
        assert_eq!(CouponStatus::of(&coupon, at(1000)), CouponStatus::Expired);
        coupon.times_redeemed = coupon.terms.usage_limit;
        assert_eq!(CouponStatus::of(&coupon, at(10)), CouponStatus::Exhausted);
        assert_eq!(CouponStatus::of(&coupon, at(1000)), CouponStatus::Expired);
        coupon.active = false;
        assert_eq!(CouponStatus::of(&coupon, at(10)), CouponStatus::Inactive);
    }
}
