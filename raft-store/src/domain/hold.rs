//! `Hold`: a use set aside at checkout, confirmed into a redemption once payment succeeds, or given
//! back. It counts against the coupon's `remaining` from the moment it is placed; at its
//! `expires_at` (log time) the use comes back by itself.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CouponId, Currency, HoldId, OrderId, RedemptionId, Timestamp, UserId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: HoldId,
    pub coupon_id: CouponId,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub order_amount: Option<Decimal>,
    pub currency: Option<Currency>,
    /// The discount the confirmed redemption grants, decided when the hold was placed.
    pub discount_amount: Option<Decimal>,
    pub placed_at: Timestamp,
    /// The use is back at this instant of log time; a confirm at or after it is refused.
    pub expires_at: Timestamp,
    pub state: HoldState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HoldState {
    /// The use is set aside (until `expires_at`).
    Held,
    /// The use became this redemption.
    Confirmed { redemption_id: RedemptionId },
    /// The shop gave the use back.
    Released { at: Timestamp },
    /// `expires_at` passed before a confirm: the use went back by itself.
    Expired,
}

impl Hold {
    /// The hold still sets its use aside at `now`: neither ended nor past its expiry.
    pub fn is_held_at(&self, now: Timestamp) -> bool {
        self.state == HoldState::Held && now < self.expires_at
    }

    /// The hold as it stands at `now`: a live hold past its expiry reads as expired, even before
    /// apply has ended it (its confirm is refused all the same).
    pub fn as_of(mut self, now: Timestamp) -> Self {
        if self.state == HoldState::Held && !self.is_held_at(now) {
            self.state = HoldState::Expired;
        }
        self
    }
}
