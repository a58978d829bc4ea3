//! `Alert`: a coupon's remaining uses fell to its low-stock threshold. Decided by apply, so every
//! node agrees on it and a leader change neither loses nor repeats it.

use serde::{Deserialize, Serialize};

use super::{AlertId, CouponCode, CouponId, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub coupon_id: CouponId,
    pub code: CouponCode,
    pub remaining: u32,
    pub threshold: u32,
    pub raised_at: Timestamp,
    /// When the leader's webhook delivery was confirmed; `None` until then (or with no webhook).
    pub delivered_at: Option<Timestamp>,
}
