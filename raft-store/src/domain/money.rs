//! Money: decimal amounts (never floats), each held to its currency's minor unit, and how a
//! computed amount is rounded to it.

use rust_decimal::{Decimal, RoundingStrategy};

use super::{Currency, Invalid};

/// The largest amount the service accepts: far above any real order, and low enough that a
/// percentage of it can never overflow `Decimal`.
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 10^15

/// How a computed amount (a percentage of an order) is rounded to its currency's minor unit:
/// half up (a half is rounded away from zero, and amounts are never negative), as a shopper
/// reckons it by hand: 15 % of EUR 0.10 is EUR 0.02, of JPY 5 is JPY 1.
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// An amount from zero to `AMOUNT_MAX`, whatever its currency (how many fraction digits it may
/// have is the currency's: `parse_amount`).
pub fn check_amount_range(value: Decimal) -> Result<Decimal, Invalid> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Invalid::Negative);
    }
    if value > AMOUNT_MAX {
        return Err(Invalid::AboveMax { max: AMOUNT_MAX });
    }
    Ok(value)
}

/// Fraction digits of an amount whose currency is not stated (a percentage coupon that names no
/// currency, and an order to it that names none): the contract's rule for money, two.
pub const UNSTATED_CURRENCY_MINOR_UNITS: u32 = 2;

/// The minor units of `currency`, or `UNSTATED_CURRENCY_MINOR_UNITS` when none is stated.
pub fn minor_units(currency: Option<&Currency>) -> u32 {
    currency.map_or(UNSTATED_CURRENCY_MINOR_UNITS, Currency::minor_units)
}

/// An amount in `currency` (`None`: not stated): from zero to `AMOUNT_MAX`, with at most the
/// currency's minor units as fraction digits (trailing zeros are not digits: "10.500" is EUR
/// 10.50).
pub fn parse_amount(value: Decimal, currency: Option<&Currency>) -> Result<Decimal, Invalid> {
    let value = check_amount_range(value)?;
    if value.normalize().scale() > minor_units(currency) {
        return Err(match currency {
            Some(currency) => Invalid::MinorUnits { currency: currency.clone() },
            None => Invalid::Scale { max: UNSTATED_CURRENCY_MINOR_UNITS },
        });
    }
    Ok(value)
}

/// Like `parse_amount`, and zero is refused too.
pub fn parse_positive_amount(
    value: Decimal,
    currency: Option<&Currency>,
) -> Result<Decimal, Invalid> {
    let value = parse_amount(value, currency)?;
    if value.is_zero() {
        return Err(Invalid::NotPositive);
    }
    Ok(value)
}

/// `value` rounded (`ROUNDING`) to `currency`'s minor unit (`None`: not stated), and written
/// with exactly that many fraction digits.
pub fn round_to_minor_unit(value: Decimal, currency: Option<&Currency>) -> Decimal {
    let digits = minor_units(currency);
    let mut rounded = value.round_dp_with_strategy(digits, ROUNDING);
    rounded.rescale(digits);
    rounded
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn amounts_have_at_most_the_currencys_fraction_digits() {
        let (eur, jpy, kwd) = (currency("EUR"), currency("JPY"), currency("KWD"));
        assert_eq!(parse_amount(dec("10.50"), Some(&eur)), Ok(dec("10.50")));
        assert_eq!(
            parse_amount(dec("10.500"), Some(&eur)),
            Ok(dec("10.500")),
            "zeros are not digits"
        );
        assert_eq!(
            parse_amount(dec("10.505"), Some(&eur)),
            Err(Invalid::MinorUnits { currency: eur })
        );
        assert_eq!(parse_amount(dec("500"), Some(&jpy)), Ok(dec("500")));
        assert_eq!(
            parse_amount(dec("500.5"), Some(&jpy)),
            Err(Invalid::MinorUnits { currency: jpy })
        );
        assert_eq!(parse_amount(dec("1.005"), Some(&kwd)), Ok(dec("1.005")));
        assert_eq!(
            parse_amount(dec("1.0005"), Some(&kwd)),
            Err(Invalid::MinorUnits { currency: kwd })
        );
    }

    #[test]
    fn amounts_are_bounded() {
        let eur = currency("EUR");
        assert_eq!(AMOUNT_MAX, dec("1000000000000000"));
        assert!(parse_amount(AMOUNT_MAX, Some(&eur)).is_ok());
        assert!(parse_amount(AMOUNT_MAX + Decimal::ONE, Some(&eur)).is_err());
        assert_eq!(parse_amount(dec("-0.01"), Some(&eur)), Err(Invalid::Negative));
        assert_eq!(parse_amount(Decimal::ZERO, Some(&eur)), Ok(Decimal::ZERO));
        assert_eq!(parse_positive_amount(Decimal::ZERO, Some(&eur)), Err(Invalid::NotPositive));
        // An amount in no stated currency has the contract's two fraction digits.
        assert_eq!(parse_amount(dec("10.25"), None), Ok(dec("10.25")));
        assert_eq!(parse_amount(dec("10.255"), None), Err(Invalid::Scale { max: 2 }));
        assert_eq!(round_to_minor_unit(dec("7.125"), None), dec("7.13"));
    }

    #[test]
    fn computed_amounts_round_half_up_to_the_minor_unit() {
        let round =
            |value: &str, code: &str| round_to_minor_unit(dec(value), Some(&currency(code)));
        assert_eq!(round("0.015", "EUR").to_string(), "0.02");
        assert_eq!(round("0.025", "EUR").to_string(), "0.03", "half up, not half even");
        assert_eq!(round("0.0149", "EUR").to_string(), "0.01");
        assert_eq!(round("7.5", "EUR").to_string(), "7.50");
        assert_eq!(round("0.5", "JPY").to_string(), "1");
        assert_eq!(round("2.5", "JPY").to_string(), "3");
        assert_eq!(round("0.0005", "KWD").to_string(), "0.001");
    }

    /// Any currency the contract takes, drawn from the whole table.
    fn any_currency() -> impl Strategy<Value = Currency> {
        let codes = coupon_client::api::Currency::accepted_codes();
        proptest::sample::select(codes).prop_map(currency)
    }

    /// Any amount from zero to `AMOUNT_MAX`, with up to 8 fraction digits.
    fn any_amount() -> impl Strategy<Value = Decimal> {
        (0..=AMOUNT_MAX.mantissa() * 100_000_000, 0..=8u32).prop_map(|(mantissa, scale)| {
            let amount = Decimal::from_i128_with_scale(mantissa, 8);
            amount.round_dp_with_strategy(scale, RoundingStrategy::ToZero)
        })
    }

    proptest! {
        /// Goal: an amount is accepted in a currency exactly when its fraction digits fit the
        /// currency's minor unit, and rounding gives an accepted amount at most half a minor
        /// unit away, rounding halves up.
        #[test]
        fn any_amount_in_any_currency_rounds_and_compares_by_its_minor_unit(
            currency in any_currency(),
            amount in any_amount(),
        ) {
            let units = currency.minor_units();
            let fits = amount.normalize().scale() <= units;
            prop_assert_eq!(parse_amount(amount, Some(&currency)).is_ok(), fits);
            let rounded = round_to_minor_unit(amount, Some(&currency));
            prop_assert_eq!(rounded.scale(), units);
            prop_assert!(parse_amount(rounded, Some(&currency)).is_ok() || rounded > AMOUNT_MAX);
            let unit = Decimal::new(1, units);
            let distance = rounded - amount;
            prop_assert!(distance.abs() * Decimal::TWO <= unit, "{} to {}", amount, rounded);
            if distance.abs() * Decimal::TWO == unit {
                prop_assert!(rounded > amount, "a half rounds up: {} to {}", amount, rounded);
            }
            if fits {
                prop_assert_eq!(rounded, amount, "an amount that fits is kept");
            }
            // A whole number of minor units, so accepted amounts order as those integers do.
            let minor = rounded * Decimal::from(10u64.pow(units));
            prop_assert!(minor.fract().is_zero(), "{} is whole minor units", rounded);
            // Comparing is by value, not by spelling: the rounded amount equals the amount
            // written with more zeros.
            let mut padded = rounded;
            padded.rescale(units + 2);
            prop_assert_eq!(padded, rounded);
        }
    }
}
