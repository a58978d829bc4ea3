//! Decimal amounts on the wire: JSON strings only (`"10.00"`, `"15"`), never numbers.
//!
//! rust_decimal's own serde impl changes shape with cargo features (`serde-float` turns it into
//! floats, and feature unification can switch it on from any crate in the build), so the wire
//! contract does not rely on it: every `Decimal` field goes through these modules.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

/// `#[serde(with = "decimal_str")]` for a required `Decimal`.
pub mod decimal_str {
    use super::{Decimal, DecimalStrVisitor, Deserializer, Serializer};

    /// Writes the decimal as a string, keeping its scale (`10.00` stays `"10.00"`).
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal from a JSON string; a JSON number is a type error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_str(DecimalStrVisitor)
    }
}

/// `#[serde(with = "option_decimal_str", default)]` for a nullable `Decimal`.
pub mod option_decimal_str {
    use super::{de, fmt, Decimal, DecimalStrVisitor, Deserializer, Serializer, Visitor};

    /// Writes `null` or the decimal as a string.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null` (or an absent field, with `default`) as `None`, else a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Decimal>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("null or a decimal number as a string")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_str(DecimalStrVisitor).map(Some)
        }
    }
}

/// Accepts only string input; the numeric `visit_*` methods keep serde's default (a type error).
struct DecimalStrVisitor;

impl Visitor<'_> for DecimalStrVisitor {
    type Value = Decimal;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a decimal number as a string, like \"10.00\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        let invalid = || E::invalid_value(de::Unexpected::Str(value), &self);
        if !is_plain_decimal(value) {
            return Err(invalid());
        }
        // `from_str_exact` refuses to round: too many digits is an error, not a different amount.
        Decimal::from_str_exact(value).map_err(|_| invalid())
    }
}

/// `-?digits(.digits)?`: what `Decimal`'s own `Display` writes. rust_decimal's parser also takes
/// exponents (`"1e3"`), `+`, `_` and a bare `".5"`; the contract has one spelling per amount.
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits =
        |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Amounts {
        #[serde(with = "super::decimal_str")]
        required: Decimal,
        #[serde(with = "super::option_decimal_str", default)]
        optional: Option<Decimal>,
    }

    #[test]
    fn strings_round_trip_with_their_scale() {
        let json = r#"{"required":"10.00","optional":"7.5"}"#;
        let amounts: Amounts = serde_json::from_str(json).unwrap();
        assert_eq!(amounts.required, Decimal::new(1000, 2));
        assert_eq!(serde_json::to_string(&amounts).unwrap(), json);
    }

    #[test]
    fn null_and_absent_optional_are_none() {
        let with_null: Amounts =
            serde_json::from_str(r#"{"required":"1","optional":null}"#).unwrap();
        let absent: Amounts = serde_json::from_str(r#"{"required":"1"}"#).unwrap();
        assert_eq!(with_null.optional, None);
        assert_eq!(absent.optional, None);
        assert_eq!(serde_json::to_string(&absent).unwrap(), r#"{"required":"1","optional":null}"#);
    }

    #[test]
    fn json_numbers_are_rejected() {
        // Goal: floats never sneak into money. A JSON number is a type error, required or not.
        assert!(serde_json::from_str::<Amounts>(r#"{"required":10.5}"#).is_err());
        assert!(serde_json::from_str::<Amounts>(r#"{"required":10}"#).is_err());
        assert!(serde_json::from_str::<Amounts>(r#"{"required":"1","optional":10.5}"#).is_err());
    }

    #[test]
    fn non_decimal_strings_are_rejected() {
        let bad = ["abc", "1e3", " 1", "", "+1", ".5", "5.", "1_000", "--1", "1.2.3", "NaN"];
        for bad in bad.map(|text| format!("\"{text}\"")) {
            let json = format!(r#"{{"required":{bad}}}"#);
            assert!(serde_json::from_str::<Amounts>(&json).is_err(), "{bad} was accepted");
        }
    }
}
