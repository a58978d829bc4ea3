//! `Discount`: what a coupon takes off an order, and how much that is for a given order.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::money::{parse_positive_amount, Currency};
use super::Invalid;
use crate::limits::{MONEY_SCALE_MAX, PERCENTAGE_SCALE_MAX};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// A share of the order: more than 0, at most 100, up to four fraction digits.
    Percentage { percent: Decimal },
    /// A fixed amount off, in one currency.
    Fixed { amount: Decimal, currency: Currency },
}

impl Discount {
    pub fn percentage(percent: Decimal) -> Result<Self, Invalid> {
        if percent <= Decimal::ZERO {
            return Err(Invalid::NotPositive);
        }
        if percent > Decimal::ONE_HUNDRED {
            return Err(Invalid::AboveMax { max: Decimal::ONE_HUNDRED });
        }
        if percent.normalize().scale() > PERCENTAGE_SCALE_MAX {
            return Err(Invalid::Scale { max: PERCENTAGE_SCALE_MAX });
        }
        Ok(Self::Percentage { percent })
    }

    pub fn fixed(amount: Decimal, currency: Currency) -> Result<Self, Invalid> {
        Ok(Self::Fixed { amount: parse_positive_amount(amount)?, currency })
    }

    /// The currency a fixed discount is in; a percentage works in any currency.
    pub fn currency(&self) -> Option<&Currency> {
        match self {
            Self::Percentage { .. } => None,
            Self::Fixed { currency, .. } => Some(currency),
        }
    }

    /// The amount taken off an order of `order_amount`, never more than the order itself nor
    /// than `cap`, rounded half away from zero to cents. `None` when it cannot be known: a
    /// percentage with no order amount.
    pub fn amount_off(
        &self,
        order_amount: Option<Decimal>,
        cap: Option<Decimal>,
    ) -> Option<Decimal> {
        let raw = match (self, order_amount) {
            (Self::Percentage { percent }, Some(order)) => order * percent / Decimal::ONE_HUNDRED,
            (Self::Percentage { .. }, None) => return None,
            (Self::Fixed { amount, .. }, _) => *amount,
        };
        let capped = [Some(raw), cap, order_amount].into_iter().flatten().min().unwrap_or(raw);
        Some(capped.round_dp_with_strategy(MONEY_SCALE_MAX, RoundingStrategy::MidpointAwayFromZero))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn percentages_are_in_zero_to_one_hundred() {
        assert!(Discount::percentage(dec("100")).is_ok());
        assert!(Discount::percentage(dec("0.0001")).is_ok());
        assert_eq!(Discount::percentage(Decimal::ZERO), Err(Invalid::NotPositive));
        assert!(Discount::percentage(dec("100.01")).is_err());
        assert_eq!(Discount::percentage(dec("0.00001")), Err(Invalid::Scale { max: 4 }));
    }

    #[test]
    fn a_percentage_is_rounded_to_cents_and_capped() {
        let fifteen = Discount::percentage(dec("15")).unwrap();
        assert_eq!(fifteen.amount_off(Some(dec("50.00")), None), Some(dec("7.50")));
        assert_eq!(
            fifteen.amount_off(Some(dec("0.10")), None),
            Some(dec("0.02")),
            "0.015 rounds up"
        );
        assert_eq!(fifteen.amount_off(Some(dec("1000")), Some(dec("30.00"))), Some(dec("30.00")));
        assert_eq!(fifteen.amount_off(None, Some(dec("30.00"))), None);
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_order() {
        let ten = Discount::fixed(dec("10.00"), eur()).unwrap();
        assert_eq!(ten.amount_off(None, None), Some(dec("10.00")));
        assert_eq!(ten.amount_off(Some(dec("4.99")), None), Some(dec("4.99")));
        assert_eq!(ten.amount_off(Some(dec("50")), None), Some(dec("10.00")));
        assert_eq!(ten.currency(), Some(&eur()));
    }
}
