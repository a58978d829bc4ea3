//! `Currency`: an ISO 4217 code the service takes, and the minor unit of its amounts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// A currency the contract takes (`coupon_client::api::Currency::minor_units`: ISO 4217's codes
/// that have a minor unit), with that minor unit: the fraction digits an amount in it may have.
/// Stored and sent as its three letters; a decoded value is parsed like a new one, so every
/// `Currency` in the state is one the table lists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: String,
    minor_units: u32,
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let wire = coupon_client::api::Currency::from(raw);
        let minor_units = wire.minor_units().ok_or(Invalid::Currency)?;
        Ok(Self { code: raw.to_owned(), minor_units })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// Fraction digits of an amount in this currency: EUR 2, JPY 0, KWD 3.
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }
}

impl TryFrom<String> for Currency {
    type Error = Invalid;

    fn try_from(code: String) -> Result<Self, Invalid> {
        Self::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.code
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_iso_4217_codes_with_a_minor_unit_are_currencies() {
        let units = |code: &str| Currency::parse(code).map(|currency| currency.minor_units());
        assert_eq!(units("EUR"), Ok(2));
        assert_eq!(units("JPY"), Ok(0));
        assert_eq!(units("KWD"), Ok(3));
        for bad in ["XYZ", "eur", "EU", "EURO", "E1R", "", "XAU", "XXX"] {
            assert_eq!(units(bad), Err(Invalid::Currency), "{bad}");
        }
    }

    #[test]
    fn a_currency_is_stored_as_its_code_and_decoded_only_if_listed() {
        let eur = Currency::parse("EUR").unwrap();
        let bytes = bincode::serialize(&eur).unwrap();
        assert_eq!(bytes, bincode::serialize("EUR").unwrap());
        assert_eq!(bincode::deserialize::<Currency>(&bytes).unwrap(), eur);
        let unlisted = bincode::serialize("XYZ").unwrap();
        assert!(bincode::deserialize::<Currency>(&unlisted).is_err());
    }
}
