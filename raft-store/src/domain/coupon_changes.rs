//! `CouponChanges`: what a `PATCH` changes in a coupon's terms. `None` leaves a term as it is;
//! for an optional term, `Some(None)` removes it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::check_amount_range;
use super::{
    parse_count, BoundsError, CouponTerms, Currency, Discount, Invalid, Metadata, Timestamp,
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponChanges {
    pub expires_at: Option<Timestamp>,
    pub starts_at: Option<Option<Timestamp>>,
    pub usage_limit: Option<u32>,
    pub per_user_limit: Option<Option<u32>>,
    pub min_order_amount: Option<Option<Decimal>>,
    pub max_discount_amount: Option<Option<Decimal>>,
    pub low_stock_threshold: Option<Option<u32>>,
    pub metadata: Option<Metadata>,
    /// A percentage discount's currency (set or changed, never removed). A fixed discount keeps
    /// its own (`check_against`).
    pub currency: Option<Currency>,
}

impl CouponChanges {
    /// The terms after the change (bounds that involve several terms are the terms' own
    /// `check_bounds`, which the caller runs on the result).
    pub fn applied_to(&self, terms: &CouponTerms) -> CouponTerms {
        let mut next = terms.clone();
        if let Some(expires_at) = self.expires_at {
            next.expires_at = expires_at;
        }
        if let Some(starts_at) = self.starts_at {
            next.starts_at = starts_at;
        }
        if let Some(usage_limit) = self.usage_limit {
            next.usage_limit = usage_limit;
        }
        if let Some(per_user_limit) = self.per_user_limit {
            next.per_user_limit = per_user_limit;
        }
        if let Some(minimum) = self.min_order_amount {
            next.min_order_amount = minimum;
        }
        if let Some(cap) = self.max_discount_amount {
            next.max_discount_amount = cap;
        }
        if let Some(threshold) = self.low_stock_threshold {
            next.low_stock_threshold = threshold;
        }
        if let Some(metadata) = &self.metadata {
            next.metadata = metadata.clone();
        }
        if let (Some(currency), Discount::Percentage { currency: current, .. }) =
            (&self.currency, &mut next.discount)
        {
            *current = Some(currency.clone());
        }
        next
    }

    /// The rule between the changes and the terms they change that the terms' own bounds cannot
    /// see: a fixed amount is in its currency, which a change may name but not replace.
    pub fn check_against(&self, discount: &Discount) -> Result<(), BoundsError> {
        match (&self.currency, discount) {
            (Some(currency), Discount::Fixed { currency: own, .. }) if currency != own => {
                Err(BoundsError::at("currency")(Invalid::CurrencyOfFixedDiscount))
            }
            _ => Ok(()),
        }
    }

    /// The bounds each changed value keeps on its own (the combination, an amount's fraction
    /// digits in the coupon's currency among them, is checked on the terms).
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        if let Some(expires_at) = self.expires_at {
            expires_at.check().map_err(BoundsError::at("expires_at"))?;
        }
        if let Some(Some(starts_at)) = self.starts_at {
            starts_at.check().map_err(BoundsError::at("starts_at"))?;
        }
        if let Some(limit) = self.usage_limit {
            parse_count(u64::from(limit), 1).map_err(BoundsError::at("usage_limit"))?;
        }
        if let Some(Some(limit)) = self.per_user_limit {
            parse_count(u64::from(limit), 1).map_err(BoundsError::at("per_user_limit"))?;
        }
        if let Some(Some(threshold)) = self.low_stock_threshold {
            parse_count(u64::from(threshold), 0).map_err(BoundsError::at("low_stock_threshold"))?;
        }
        if let Some(Some(minimum)) = self.min_order_amount {
            check_amount_range(minimum).map_err(BoundsError::at("min_order_amount"))?;
        }
        if let Some(Some(cap)) = self.max_discount_amount {
            check_amount_range(cap).map_err(BoundsError::at("max_discount_amount"))?;
        }
        if let Some(metadata) = &self.metadata {
            metadata.check().map_err(BoundsError::at("metadata"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::*;

    #[test]
    fn only_the_named_terms_change_and_null_removes() {
        let terms = CouponTerms { per_user_limit: Some(2), ..terms() };
        let changes = CouponChanges {
            usage_limit: Some(7),
            per_user_limit: Some(None),
            ..CouponChanges::default()
        };
        let next = changes.applied_to(&terms);
        assert_eq!((next.usage_limit, next.per_user_limit), (7, None));
        assert_eq!(next.expires_at, terms.expires_at);
        assert_eq!(CouponChanges::default().applied_to(&terms), terms);
        let bad = CouponChanges { usage_limit: Some(0), ..CouponChanges::default() };
        assert_eq!(bad.check_bounds().unwrap_err().field, "usage_limit");
    }

    #[test]
    fn a_percentage_gains_a_currency_and_a_fixed_amount_keeps_its_own() {
        // Goal: a currency set by a change reaches a percentage discount, and the money bounds
        // are then held to it; a fixed discount accepts only its own.
        let gain = CouponChanges {
            currency: Some(Currency::parse("JPY").unwrap()),
            min_order_amount: Some(Some(dec("20.50"))),
            ..CouponChanges::default()
        };
        let next = gain.applied_to(&terms());
        assert_eq!(next.discount.currency(), Some(&Currency::parse("JPY").unwrap()));
        assert_eq!(next.check_bounds().unwrap_err().field, "min_order_amount");
        let whole = CouponChanges { min_order_amount: Some(Some(dec("20"))), ..gain };
        assert_eq!(whole.applied_to(&terms()).check_bounds(), Ok(()));
        let fixed = CouponTerms { discount: Discount::fixed(dec("5"), eur()).unwrap(), ..terms() };
        assert_eq!(whole.check_against(&fixed.discount).unwrap_err().field, "currency");
        let own = CouponChanges { currency: Some(eur()), ..CouponChanges::default() };
        assert_eq!(own.check_against(&fixed.discount), Ok(()));
        assert_eq!(own.applied_to(&fixed), fixed);
    }
}
