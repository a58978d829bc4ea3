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

    /// A discount from elsewhere (a decoded command) that `percentage` or `fixed` would accept.
    pub fn check(&self) -> Result<(), Invalid> {
        match self {
            Self::Percentage { percent } => Self::percentage(*percent).map(drop),
            Self::Fixed { amount, currency } => {
                currency.check()?;
                parse_positive_amount(*amount).map(drop)
            }
        }
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
    /// percentage with no order amount. The arithmetic is checked: within the bounds (amounts
    /// up to `AMOUNT_MAX`, percentages up to 100) it cannot overflow, and past them it is an
    /// `AmountOverflow`, never a panic.
    pub fn amount_off(
        &self,
        order_amount: Option<Decimal>,
        cap: Option<Decimal>,
    ) -> Result<Option<Decimal>, AmountOverflow> {
        let raw = match (self, order_amount) {
            (Self::Percentage { percent }, Some(order)) => order
                .checked_mul(*percent)
                .and_then(|product| product.checked_div(Decimal::ONE_HUNDRED))
                .ok_or(AmountOverflow)?,
            (Self::Percentage { .. }, None) => return Ok(None),
            (Self::Fixed { amount, .. }, _) => *amount,
        };
        let capped = [Some(raw), cap, order_amount].into_iter().flatten().min().unwrap_or(raw);
        let rounding = RoundingStrategy::MidpointAwayFromZero;
        Ok(Some(capped.round_dp_with_strategy(MONEY_SCALE_MAX, rounding)))
    }
}

/// A discount amount past what `Decimal` holds: only for amounts outside the bounds, which the
/// node and apply refuse before any amount is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the discount amount is beyond what a decimal holds")]
pub struct AmountOverflow;

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::AMOUNT_MAX;

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
        assert_eq!(fifteen.amount_off(Some(dec("50.00")), None), Ok(Some(dec("7.50"))));
        assert_eq!(
            fifteen.amount_off(Some(dec("0.10")), None),
            Ok(Some(dec("0.02"))),
            "0.015 rounds up"
        );
        assert_eq!(
            fifteen.amount_off(Some(dec("1000")), Some(dec("30.00"))),
            Ok(Some(dec("30.00")))
        );
        assert_eq!(fifteen.amount_off(None, Some(dec("30.00"))), Ok(None));
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_order() {
        let ten = Discount::fixed(dec("10.00"), eur()).unwrap();
        assert_eq!(ten.amount_off(None, None), Ok(Some(dec("10.00"))));
        assert_eq!(ten.amount_off(Some(dec("4.99")), None), Ok(Some(dec("4.99"))));
        assert_eq!(ten.amount_off(Some(dec("50")), None), Ok(Some(dec("10.00"))));
        assert_eq!(ten.currency(), Some(&eur()));
    }

    #[test]
    fn an_amount_past_decimal_overflows_instead_of_panicking() {
        let all = Discount::percentage(Decimal::ONE_HUNDRED).unwrap();
        assert_eq!(all.amount_off(Some(Decimal::MAX), None), Err(AmountOverflow));
        assert_eq!(all.amount_off(Some(AMOUNT_MAX), None), Ok(Some(AMOUNT_MAX)));
    }

    #[test]
    fn a_decoded_discount_is_checked_like_a_new_one() {
        assert!(Discount::Percentage { percent: dec("100") }.check().is_ok());
        let too_much = Discount::Percentage { percent: Decimal::MAX };
        assert_eq!(too_much.check(), Err(Invalid::AboveMax { max: Decimal::ONE_HUNDRED }));
        let unbounded = Discount::Fixed { amount: Decimal::MAX, currency: eur() };
        assert_eq!(unbounded.check(), Err(Invalid::AboveMax { max: AMOUNT_MAX }));
    }
}
