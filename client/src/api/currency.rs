//! `Currency`: an ISO 4217 code such as `EUR`, and the minor unit its amounts are kept to.
//!
//! The codes and minor units are ISO 4217's as the `iso_currency` crate publishes them, never a
//! table of our own. That crate rather than `rusty-money`: it is kept up to date (it lists ZWG,
//! 2024, and XCG, 2025), it gives the minor unit as an `Option`, `None` where ISO 4217 defines
//! none (XAU, XDR, XXX), where `rusty-money` writes 0 and so would take gold in whole ounces as
//! if it were yen, and it is only the table (one small dependency), not an arithmetic, formatting
//! and exchange library this service does not use. The contract takes a code exactly when the
//! table gives it a minor unit, superseded codes included (HRK): the table, not this crate, says
//! which codes exist.

use std::fmt;

use iso_currency::IntoEnumIterator;
use serde::{Deserialize, Serialize};

/// A currency code as sent on the wire. The server refuses a code it does not take
/// (`minor_units` is `None`); the client keeps whatever the server sent, so it never rejects a
/// valid answer from a server whose table is newer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Wraps a code as is.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code, e.g. `"EUR"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fraction digits an amount in this currency may have (EUR 2, JPY 0, KWD 3), or `None`
    /// when the contract does not take the code: unknown to ISO 4217 ("XYZ", "eur"), or one for
    /// which it defines no minor unit (XAU, XXX).
    pub fn minor_units(&self) -> Option<u32> {
        iso_currency::Currency::from_code(&self.0)?.exponent().map(u32::from)
    }

    /// Every code the contract takes, in alphabetical order.
    pub fn accepted_codes() -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = iso_currency::Currency::iter()
            .filter(|currency| currency.exponent().is_some())
            .map(|currency| currency.code())
            .collect();
        codes.sort_unstable();
        codes
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl From<&str> for Currency {
    fn from(code: &str) -> Self {
        Self(code.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Currency;

    #[test]
    fn minor_units_are_iso_4217s() {
        let units = |code: &str| Currency::from(code).minor_units();
        assert_eq!(units("EUR"), Some(2));
        assert_eq!(units("JPY"), Some(0));
        assert_eq!(units("KWD"), Some(3));
        assert_eq!(units("CLF"), Some(4));
        for refused in ["XYZ", "eur", "EURO", "E1R", "", "XAU", "XXX", "XTS"] {
            assert_eq!(units(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_accepted_codes_are_those_with_a_minor_unit() {
        let codes = Currency::accepted_codes();
        assert!(codes.windows(2).all(|pair| pair[0] < pair[1]), "sorted and unique");
        assert!(codes.contains(&"EUR") && codes.contains(&"JPY") && codes.contains(&"KWD"));
        assert!(!codes.contains(&"XAU") && !codes.contains(&"XYZ"));
        assert!(codes.iter().all(|code| Currency::from(*code).minor_units().is_some()));
    }
}
