//! Money: decimal amounts (never floats) and ISO 4217 currency codes.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Invalid;
use crate::limits::MONEY_SCALE_MAX;

/// The largest amount the service accepts: far above any real order, and low enough that a
/// percentage of it can never overflow `Decimal`.
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 10^15

/// A money amount of at most two fraction digits, from zero to `AMOUNT_MAX`.
pub fn parse_amount(value: Decimal) -> Result<Decimal, Invalid> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Invalid::Negative);
    }
    if value.normalize().scale() > MONEY_SCALE_MAX {
        return Err(Invalid::Scale { max: MONEY_SCALE_MAX });
    }
    if value > AMOUNT_MAX {
        return Err(Invalid::AboveMax { max: AMOUNT_MAX });
    }
    Ok(value)
}

/// Like `parse_amount`, and zero is refused too.
pub fn parse_positive_amount(value: Decimal) -> Result<Decimal, Invalid> {
    let value = parse_amount(value)?;
    if value.is_zero() {
        return Err(Invalid::NotPositive);
    }
    Ok(value)
}

/// Three upper-case ASCII letters, as ISO 4217 writes them ("EUR").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::Currency)
        }
    }

    /// A currency from elsewhere (a decoded command) that `parse` would accept.
    pub fn check(&self) -> Result<(), Invalid> {
        Self::parse(&self.0).map(drop)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_have_at_most_two_fraction_digits() {
        assert_eq!(parse_amount(dec("10.50")), Ok(dec("10.50")));
        assert_eq!(parse_amount(dec("10.500")), Ok(dec("10.500")), "trailing zeros are not digits");
        assert_eq!(parse_amount(dec("10.505")), Err(Invalid::Scale { max: 2 }));
    }

    #[test]
    fn amounts_are_bounded() {
        assert_eq!(AMOUNT_MAX, dec("1000000000000000"));
        assert!(parse_amount(AMOUNT_MAX).is_ok());
        assert!(parse_amount(AMOUNT_MAX + Decimal::ONE).is_err());
        assert_eq!(parse_amount(dec("-0.01")), Err(Invalid::Negative));
        assert_eq!(parse_amount(Decimal::ZERO), Ok(Decimal::ZERO));
        assert_eq!(parse_positive_amount(Decimal::ZERO), Err(Invalid::NotPositive));
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        assert!(Currency::parse("EUR").is_ok());
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert_eq!(Currency::parse(bad), Err(Invalid::Currency), "{bad}");
        }
    }
}
