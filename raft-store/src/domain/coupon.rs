//! `Coupon`: the terms a shop sets at creation, and the counters the log moves.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::{parse_amount, parse_positive_amount};
use super::{
    AlertId, BoundsError, CampaignId, CouponCode, CouponId, Currency, Discount, Invalid, Metadata,
    Timestamp,
};
use crate::limits::USAGE_LIMIT_MAX;

/// What the shop decides when it creates a coupon. Checked by the node before it is proposed,
/// and again (`check_bounds`) where the command enters the log and in apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTerms {
    pub discount: Discount,
    /// Cap on the amount a percentage discount takes off one order, in the discount's currency.
    pub max_discount_amount: Option<Decimal>,
    /// Orders below this amount (or with no amount) cannot use the coupon; in the discount's
    /// currency.
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

impl CouponTerms {
    /// Every bound of the terms (`crate::limits`), the first one broken named by its field.
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        self.discount.check().map_err(BoundsError::at("discount"))?;
        let currency = self.discount.currency();
        if let Some(cap) = self.max_discount_amount {
            let on_fixed_discount = matches!(self.discount, Discount::Fixed { .. });
            parse_cap(cap, on_fixed_discount, currency)
                .map_err(BoundsError::at("max_discount_amount"))?;
        }
        if let Some(minimum) = self.min_order_amount {
            parse_minimum(minimum, currency).map_err(BoundsError::at("min_order_amount"))?;
        }
        if let Some(starts_at) = self.starts_at {
            starts_at.check().map_err(BoundsError::at("starts_at"))?;
        }
        self.expires_at.check().map_err(BoundsError::at("expires_at"))?;
        check_window(self.starts_at, self.expires_at).map_err(BoundsError::at("starts_at"))?;
        let usage_limit = u64::from(self.usage_limit);
        parse_count(usage_limit, 1).map_err(BoundsError::at("usage_limit"))?;
        if let Some(limit) = self.per_user_limit {
            parse_count(u64::from(limit), 1).map_err(BoundsError::at("per_user_limit"))?;
        }
        if let Some(threshold) = self.low_stock_threshold {
            parse_count(u64::from(threshold), 0).map_err(BoundsError::at("low_stock_threshold"))?;
        }
        self.metadata.check().map_err(BoundsError::at("metadata"))
    }
}

/// A count of uses (`usage_limit`, `per_user_limit`, `low_stock_threshold`) from `min` to
/// `USAGE_LIMIT_MAX`.
pub fn parse_count(value: u64, min: u64) -> Result<u32, Invalid> {
    let max = u64::from(USAGE_LIMIT_MAX);
    match u32::try_from(value) {
        Ok(count) if (min..=max).contains(&value) => Ok(count),
        _ => Err(Invalid::OutOfRange { min, max }),
    }
}

/// `max_discount_amount`: a positive amount in the discount's `currency` (`None`: a percentage
/// that names none, whose amounts have the contract's two fraction digits), and only on a
/// percentage discount (the kind rule needs only the discount's kind, so the node reports it even
/// when the discount's value is bad).
pub fn parse_cap(
    cap: Decimal,
    on_fixed_discount: bool,
    currency: Option<&Currency>,
) -> Result<Decimal, Invalid> {
    if on_fixed_discount {
        return Err(Invalid::CapOnFixedDiscount);
    }
    parse_positive_amount(cap, currency)
}

/// `min_order_amount`: an amount in the discount's `currency`, as `parse_cap` reads it.
pub fn parse_minimum(minimum: Decimal, currency: Option<&Currency>) -> Result<Decimal, Invalid> {
    parse_amount(minimum, currency)
}

/// A coupon's window: it starts (if it names a start) before it expires.
pub fn check_window(starts_at: Option<Timestamp>, expires_at: Timestamp) -> Result<(), Invalid> {
    match starts_at {
        Some(starts_at) if starts_at >= expires_at => Err(Invalid::StartsAfterExpiry),
        _ => Ok(()),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub code: CouponCode,
    pub terms: CouponTerms,
    /// Live redemptions: rolled-back ones are not counted.
    pub times_redeemed: u32,
    /// Uses set aside by holds not yet confirmed, released or expired by apply.
    pub held: u32,
    pub active: bool,
    pub created_at: Timestamp,
    /// The low-stock alert this coupon raised, if it did (at most one per coupon).
    pub low_stock_alert: Option<AlertId>,
    /// The campaign whose code this is: its uses also count against the campaign's budget.
    pub campaign_id: Option<CampaignId>,
}

impl Coupon {
    /// Uses redeemed or held: never more than `usage_limit` (`assert_within_limit`).
    pub fn uses_taken(&self) -> u64 {
        u64::from(self.times_redeemed) + u64::from(self.held)
    }

    /// Uses left for a redeem or a hold: the limit less those redeemed and those held.
    pub fn remaining(&self) -> u32 {
        self.assert_within_limit();
        self.terms.usage_limit - self.times_redeemed - self.held
    }

    /// The seed's `redeemed` flag: every use is redeemed (held ones do not count).
    pub fn is_fully_redeemed(&self) -> bool {
        self.times_redeemed == self.terms.usage_limit
    }

    /// The write-path invariant, checked wherever a coupon is stored or read back: the uses taken
    /// stay within the limit.
    pub fn assert_within_limit(&self) {
        assert!(
            self.uses_taken() <= u64::from(self.terms.usage_limit),
            "coupon {} over its limit: {} redeemed and {} held of {}",
            self.id,
            self.times_redeemed,
            self.held,
            self.terms.usage_limit
        );
    }

    /// The low-stock threshold this coupon has crossed without an alert yet.
    pub fn low_stock_threshold_crossed(&self) -> Option<u32> {
        let threshold = self.terms.low_stock_threshold?;
        (self.low_stock_alert.is_none() && self.remaining() <= threshold).then_some(threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::*;

    #[test]
    fn terms_within_the_bounds_pass() {
        assert_eq!(terms().check_bounds(), Ok(()));
        let edge = CouponTerms {
            usage_limit: USAGE_LIMIT_MAX,
            per_user_limit: Some(1),
            low_stock_threshold: Some(0),
            discount: Discount::percentage(dec("10"), Some(eur())).unwrap(),
            max_discount_amount: Some(dec("0.01")),
            min_order_amount: Some(dec("0")),
            starts_at: Some(at(999)),
            ..terms()
        };
        assert_eq!(edge.check_bounds(), Ok(()));
    }

    #[test]
    fn each_bound_of_the_terms_is_named_by_its_field() {
        let field = |terms: CouponTerms| terms.check_bounds().unwrap_err().field;
        assert_eq!(field(CouponTerms { usage_limit: 0, ..terms() }), "usage_limit");
        assert_eq!(field(CouponTerms { usage_limit: u32::MAX, ..terms() }), "usage_limit");
        assert_eq!(field(CouponTerms { per_user_limit: Some(0), ..terms() }), "per_user_limit");
        let threshold = CouponTerms { low_stock_threshold: Some(u32::MAX), ..terms() };
        assert_eq!(field(threshold), "low_stock_threshold");
        let percent = Discount::Percentage { percent: Decimal::MAX, currency: None };
        assert_eq!(field(CouponTerms { discount: percent, ..terms() }), "discount");
        let in_eur = Discount::percentage(dec("10"), Some(eur())).unwrap();
        let min = CouponTerms {
            discount: in_eur.clone(),
            min_order_amount: Some(Decimal::MAX),
            ..terms()
        };
        assert_eq!(field(min), "min_order_amount");
        let cap = CouponTerms {
            discount: in_eur,
            max_discount_amount: Some(Decimal::new(1, 28)),
            ..terms()
        };
        assert_eq!(field(cap), "max_discount_amount");
        let far = CouponTerms { expires_at: Timestamp::from_unix_millis(i64::MAX), ..terms() };
        assert_eq!(field(far), "expires_at");
        assert_eq!(field(CouponTerms { starts_at: Some(at(1000)), ..terms() }), "starts_at");
    }

    #[test]
    fn a_cap_only_goes_with_a_percentage() {
        let eur = eur();
        assert_eq!(parse_cap(dec("1"), true, Some(&eur)), Err(Invalid::CapOnFixedDiscount));
        assert_eq!(parse_cap(dec("1"), false, Some(&eur)), Ok(dec("1")));
        let fixed = Discount::fixed(dec("5"), eur).unwrap();
        let capped =
            CouponTerms { discount: fixed, max_discount_amount: Some(dec("1")), ..terms() };
        assert_eq!(capped.check_bounds().unwrap_err().field, "max_discount_amount");
        assert_eq!(parse_count(0, 1), Err(Invalid::OutOfRange { min: 1, max: 1_000_000_000 }));
        assert_eq!(
            parse_count(u64::MAX, 0),
            Err(Invalid::OutOfRange { min: 0, max: 1_000_000_000 })
        );
    }

    #[test]
    fn money_bounds_are_in_the_discounts_currency() {
        // Goal: a cap or minimum is held to the minor unit of the discount's currency, and
        // without one to the contract's two fraction digits.
        let bounds = |code: Option<&str>, minimum: &str| {
            let currency = code.map(|code| Currency::parse(code).unwrap());
            let discount = Discount::percentage(dec("10"), currency).unwrap();
            let terms = CouponTerms { discount, min_order_amount: Some(dec(minimum)), ..terms() };
            terms.check_bounds().map_err(|error| (error.field, error.invalid))
        };
        assert_eq!(bounds(None, "20.50"), Ok(()));
        let in_mills = bounds(None, "20.505");
        assert_eq!(in_mills, Err(("min_order_amount", Invalid::Scale { max: 2 })));
        assert_eq!(bounds(Some("EUR"), "20.50"), Ok(()));
        let in_yen = bounds(Some("JPY"), "20.50");
        assert!(matches!(in_yen, Err(("min_order_amount", Invalid::MinorUnits { .. }))));
        assert_eq!(bounds(Some("KWD"), "20.505"), Ok(()));
        assert_eq!(parse_cap(dec("5"), false, None), Ok(dec("5")));
        assert_eq!(parse_minimum(dec("5"), None), Ok(dec("5")));
    }
}
