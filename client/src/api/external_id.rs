//! `ExternalId`: a caller's own identifier (`user_id`, `order_id`), opaque to the service.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A user or order id chosen by the caller. On the wire it is a string; a JSON integer is also
/// accepted and becomes its decimal string, because shops often key orders by number and
/// `42` and `"42"` must name the same order. Length bounds (1 to 128) are checked by the server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Wraps a string as is; the server checks its length.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl From<String> for ExternalId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for ExternalId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<u64> for ExternalId {
    fn from(value: u64) -> Self {
        Self(value.to_string())
    }
}

impl Serialize for ExternalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ExternalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any`, so that query strings (always text) and JSON integers both work.
        deserializer.deserialize_any(ExternalIdVisitor)
    }
}

struct ExternalIdVisitor;

impl Visitor<'_> for ExternalIdVisitor {
    type Value = ExternalId;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ExternalId, E> {
        Ok(ExternalId(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<ExternalId, E> {
        Ok(ExternalId(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<ExternalId, E> {
        Ok(ExternalId(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<ExternalId, E> {
        Ok(ExternalId(value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::ExternalId;

    #[test]
    fn strings_and_integers_are_accepted() {
        let from_string: ExternalId = serde_json::from_str(r#""u-1""#).unwrap();
        let from_integer: ExternalId = serde_json::from_str("42").unwrap();
        let from_negative: ExternalId = serde_json::from_str("-7").unwrap();
        assert_eq!(from_string.as_str(), "u-1");
        assert_eq!(from_integer, ExternalId::from("42"));
        assert_eq!(from_negative.as_str(), "-7");
    }

    #[test]
    fn serializes_as_a_string() {
        assert_eq!(serde_json::to_string(&ExternalId::from(42u64)).unwrap(), r#""42""#);
    }

    #[test]
    fn floats_booleans_and_null_are_rejected() {
        for bad in ["4.2", "true", "null", "[]", "{}"] {
            assert!(serde_json::from_str::<ExternalId>(bad).is_err(), "{bad} was accepted");
        }
    }
}
