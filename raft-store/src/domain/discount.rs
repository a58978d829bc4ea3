//! `Discount`: what a coupon takes off an order, and how much that is for a given order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::{parse_positive_amount, round_to_minor_unit};
use super::{Currency, Invalid};
use crate::limits::PERCENTAGE_SCALE_MAX;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// A share of the order: more than 0, at most 100, up to four fraction digits. `currency`
    /// is the currency of the coupon's money bounds (required when it has any); with one, the
    /// coupon takes orders in that currency only.
    Percentage { percent: Decimal, currency: Option<Currency> },
    /// A fixed amount off, in one currency, to its minor unit.
    Fixed { amount: Decimal, currency: Currency },
}

impl Discount {
    pub fn percentage(percent: Decimal, currency: Option<Currency>) -> Result<Self, Invalid> {
        if percent <= Decimal::ZERO {
            return Err(Invalid::NotPositive);
        }
        if percent > Decimal::ONE_HUNDRED {
            return Err(Invalid::AboveMax { max: Decimal::ONE_HUNDRED });
        }
        if percent.normalize().scale() > PERCENTAGE_SCALE_MAX {
            return Err(Invalid::Scale { max: PERCENTAGE_SCALE_MAX });
        }
        Ok(Self::Percentage { percent, currency })
    }

    pub fn fixed(amount: Decimal, currency: Currency) -> Result<Self, Invalid> {
        Ok(Self::Fixed { amount: parse_positive_amount(amount, Some(&currency))?, currency })
    }

    /// A discount from elsewhere (a decoded command) that `percentage` or `fixed` would accept.
    pub fn check(&self) -> Result<(), Invalid> {
        match self {
            Self::Percentage { percent, currency } => {
                Self::percentage(*percent, currency.clone()).map(drop)
            }
            Self::Fixed { amount, currency } => {
                parse_positive_amount(*amount, Some(currency)).map(drop)
            }
        }
    }

    /// The currency the coupon's money is in: a fixed discount's, or the one a percentage
    /// names; `None` for a percentage that works in any currency.
    pub fn currency(&self) -> Option<&Currency> {
        match self {
            Self::Percentage { currency, .. } => currency.as_ref(),
            Self::Fixed { currency, .. } => Some(currency),
        }
    }

    /// The amount taken off `order` (its amount and currency, if it states one), never more
    /// than the order itself nor than `cap`; a percentage is rounded half up (`money::ROUNDING`)
    /// to the minor unit of the order's currency, else the coupon's, else two digits (no
    /// currency stated at all). `None` when it cannot be known: a percentage with no order
    /// amount. The arithmetic is checked: within the bounds (amounts up to `AMOUNT_MAX`,
    /// percentages up to 100) it cannot overflow, and past them it is an `AmountOverflow`,
    /// never a panic.
    pub fn amount_off(
        &self,
        order: Option<(Decimal, Option<&Currency>)>,
        cap: Option<Decimal>,
    ) -> Result<Option<Decimal>, AmountOverflow> {
        let (raw, currency) = match (self, order) {
            (Self::Percentage { percent, currency }, Some((amount, order_currency))) => {
                let share = amount
                    .checked_mul(*percent)
                    .and_then(|product| product.checked_div(Decimal::ONE_HUNDRED))
                    .ok_or(AmountOverflow)?;
                (share, order_currency.or(currency.as_ref()))
            }
            (Self::Percentage { .. }, None) => return Ok(None),
            (Self::Fixed { amount, currency }, _) => (*amount, Some(currency)),
        };
        let order_amount = order.map(|(amount, _)| amount);
        let capped = [Some(raw), cap, order_amount].into_iter().flatten().min().unwrap_or(raw);
        Ok(Some(round_to_minor_unit(capped, currency)))
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

    fn percent(value: &str) -> Discount {
        Discount::percentage(dec(value), None).unwrap()
    }

    #[test]
    fn percentages_are_in_zero_to_one_hundred() {
        let percentage = |value: &str| Discount::percentage(dec(value), None);
        assert!(percentage("100").is_ok());
        assert!(percentage("0.0001").is_ok());
        assert_eq!(percentage("0"), Err(Invalid::NotPositive));
        assert!(percentage("100.01").is_err());
        assert_eq!(percentage("0.00001"), Err(Invalid::Scale { max: 4 }));
    }

    #[test]
    fn a_percentage_is_rounded_half_up_to_the_minor_unit_and_capped() {
        let fifteen = percent("15");
        let (eur, jpy, kwd) =
            (eur(), Currency::parse("JPY").unwrap(), Currency::parse("KWD").unwrap());
        let off = |order: &str, currency: &Currency, cap: Option<&str>| {
            fifteen
                .amount_off(Some((dec(order), Some(currency))), cap.map(dec))
                .unwrap()
                .unwrap()
                .to_string()
        };
        assert_eq!(off("50.00", &eur, None), "7.50");
        assert_eq!(off("0.10", &eur, None), "0.02", "0.015 rounds up");
        assert_eq!(off("0.30", &eur, None), "0.05", "0.045 rounds up, not to the even 0.04");
        assert_eq!(off("1000", &eur, Some("30.00")), "30.00");
        assert_eq!(off("10", &jpy, None), "2", "JPY 1.5 rounds up to a whole yen");
        assert_eq!(off("999", &jpy, None), "150", "149.85");
        assert_eq!(off("1.003", &kwd, None), "0.150", "0.15045 to the fils");
        assert_eq!(fifteen.amount_off(None, Some(dec("30.00"))), Ok(None));
        // No currency stated, by the order or the coupon: the contract's two digits.
        let unstated = fifteen.amount_off(Some((dec("0.30"), None)), None).unwrap();
        assert_eq!(unstated, Some(dec("0.05")));
    }

    #[test]
    fn a_fixed_discount_never_exceeds_the_order() {
        let ten = Discount::fixed(dec("10.00"), eur()).unwrap();
        let eur = eur();
        assert_eq!(ten.amount_off(None, None), Ok(Some(dec("10.00"))));
        assert_eq!(ten.amount_off(Some((dec("4.99"), Some(&eur))), None), Ok(Some(dec("4.99"))));
        assert_eq!(ten.amount_off(Some((dec("50"), Some(&eur))), None), Ok(Some(dec("10.00"))));
        assert_eq!(ten.currency(), Some(&eur));
        assert_eq!(
            Discount::fixed(dec("0.001"), eur.clone()),
            Err(Invalid::MinorUnits { currency: eur })
        );
        let yen = Currency::parse("JPY").unwrap();
        assert!(Discount::fixed(dec("500"), yen.clone()).is_ok());
        assert_eq!(
            Discount::fixed(dec("0.5"), yen.clone()),
            Err(Invalid::MinorUnits { currency: yen })
        );
    }

    #[test]
    fn an_amount_past_decimal_overflows_instead_of_panicking() {
        let all = percent("100");
        let eur = eur();
        assert_eq!(all.amount_off(Some((Decimal::MAX, Some(&eur))), None), Err(AmountOverflow));
        assert_eq!(all.amount_off(Some((AMOUNT_MAX, Some(&eur))), None), Ok(Some(AMOUNT_MAX)));
    }

    #[test]
    fn a_decoded_discount_is_checked_like_a_new_one() {
        assert!(Discount::Percentage { percent: dec("100"), currency: None }.check().is_ok());
        let too_much = Discount::Percentage { percent: Decimal::MAX, currency: Some(eur()) };
        assert_eq!(too_much.check(), Err(Invalid::AboveMax { max: Decimal::ONE_HUNDRED }));
        let unbounded = Discount::Fixed { amount: Decimal::MAX, currency: eur() };
        assert_eq!(unbounded.check(), Err(Invalid::AboveMax { max: AMOUNT_MAX }));
    }
}
