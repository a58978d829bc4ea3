//! Test builders for domain values, shared by the unit tests of the domain and of apply.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal")
}

pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000)
}

pub fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

/// 10 % off, 100 uses, valid until t = 1000 s, no other conditions.
pub fn terms() -> CouponTerms {
    CouponTerms {
        discount: Discount::percentage(dec("10"), None).expect("10 %"),
        max_discount_amount: None,
        min_order_amount: None,
        starts_at: None,
        expires_at: at(1000),
        usage_limit: 100,
        per_user_limit: None,
        low_stock_threshold: None,
        metadata: Metadata::default(),
    }
}

pub fn coupon(terms: CouponTerms) -> Coupon {
    Coupon {
        id: CouponId(1),
        code: CouponCode::parse("TEST-1").expect("code"),
        terms,
        times_redeemed: 0,
        held: 0,
        active: true,
        created_at: at(0),
        low_stock_alert: None,
        campaign_id: None,
    }
}

pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("user id")
}

pub fn order(id: &str) -> OrderId {
    OrderId::parse(id).expect("order id")
}
