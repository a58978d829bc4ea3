//! `CouponStatus`: where a coupon stands at an instant, in the precedence a redeem's refusal
//! takes (inactive, not started, expired, exhausted), so a listing by status and a redeem agree;
//! and `IndexedStatus`, a coupon's status as the listing indexes hold it, with the instant time
//! alone next changes it.

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

    /// The first instant after `now` at which `coupon`'s status changes with no write to it: its
    /// start while it has not started, then its expiry. `None`: time alone changes nothing more
    /// (inactive, or expired). Counts change the status only through a write.
    pub fn changes_at(coupon: &Coupon, now: Timestamp) -> Option<Timestamp> {
        if !coupon.active {
            return None;
        }
        match coupon.terms.starts_at {
            Some(starts_at) if now < starts_at => Some(starts_at),
            _ => (now < coupon.terms.expires_at).then_some(coupon.terms.expires_at),
        }
    }

    /// The status's byte in an index key; its order is of no meaning.
    pub fn as_byte(self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Inactive => 1,
            Self::NotStarted => 2,
            Self::Expired => 3,
            Self::Exhausted => 4,
        }
    }

    pub fn from_byte(byte: u8) -> Option<Self> {
        [Self::Active, Self::Inactive, Self::NotStarted, Self::Expired, Self::Exhausted]
            .into_iter()
            .find(|status| status.as_byte() == byte)
    }
}

/// A coupon's status at the instant apply last indexed it, and when time alone changes it next.
/// Until `changes_at`, the status holds whatever the time; apply indexes the coupon again at
/// every write of it and once log time reaches `changes_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedStatus {
    pub status: CouponStatus,
    pub changes_at: Option<Timestamp>,
}

impl IndexedStatus {
    pub fn of(coupon: &Coupon, now: Timestamp) -> Self {
        Self {
            status: CouponStatus::of(coupon, now),
            changes_at: CouponStatus::changes_at(coupon, now),
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

    #[test]
    fn the_status_holds_until_it_changes_at() {
        // Goal: between an instant and its `changes_at`, the status is the same at every instant,
        // and at `changes_at` it differs: what lets the listing indexes trust an indexed status.
        let mut coupon =
            fixtures::coupon(CouponTerms { starts_at: Some(at(10)), ..fixtures::terms() });
        let expires = coupon.terms.expires_at;
        for now in [at(0), at(10), at(500), expires] {
            let indexed = IndexedStatus::of(&coupon, now);
            let Some(changes_at) = indexed.changes_at else {
                assert_eq!(indexed.status, CouponStatus::Expired);
                continue;
            };
            assert!(changes_at > now);
            let before = Timestamp::from_unix_millis(changes_at.unix_millis() - 1);
            assert_eq!(CouponStatus::of(&coupon, before), indexed.status);
            assert_ne!(CouponStatus::of(&coupon, changes_at), indexed.status);
        }
        coupon.active = false;
        assert_eq!(CouponStatus::changes_at(&coupon, at(0)), None);
        for status in [CouponStatus::Active, CouponStatus::Expired, CouponStatus::Exhausted] {
            assert_eq!(CouponStatus::from_byte(status.as_byte()), Some(status));
        }
        assert_eq!(CouponStatus::from_byte(9), None);
    }
}
