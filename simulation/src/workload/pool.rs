//! `CouponPool`: the coupons clients race for. A coupon joins once its creation is acknowledged;
//! its limits are what the checkers hold it to.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::Rng;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PoolCoupon {
    pub id: u64,
    pub usage_limit: u32,
    pub per_user_limit: Option<u32>,
}

#[derive(Clone, Default)]
pub struct CouponPool(Arc<Mutex<BTreeMap<u64, PoolCoupon>>>);

impl CouponPool {
    pub fn add(&self, coupon: PoolCoupon) {
        self.lock().insert(coupon.id, coupon);
    }

    pub fn pick(&self, rng: &mut impl Rng) -> Option<PoolCoupon> {
        let coupons = self.lock();
        if coupons.is_empty() {
            return None;
        }
        coupons.values().nth(rng.gen_range(0..coupons.len())).copied()
    }

    pub fn all(&self) -> Vec<PoolCoupon> {
        self.lock().values().copied().collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, PoolCoupon>> {
        // Plain data, valid whatever a panicking holder left behind.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
