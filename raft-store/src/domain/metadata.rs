//! `Metadata`: the shop's own data about a coupon, as a compact JSON object with its bounds.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Invalid;
use crate::limits::{METADATA_JSON_BYTES_MAX, METADATA_KEYS_MAX, METADATA_STRING_CHARS_MAX};

/// A JSON object of at most 32 keys, keys and string values (at any depth) of at most 256
/// characters, and at most 16 KiB as compact JSON. Stored canonically: compact, keys sorted; the
/// replicated state keeps it without looking inside.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata(String);

impl Metadata {
    /// The bounded, canonical form of `object`.
    pub fn from_object(object: &Map<String, Value>) -> Result<Self, Invalid> {
        if object.len() > METADATA_KEYS_MAX {
            return Err(Invalid::TooManyKeys { max: METADATA_KEYS_MAX });
        }
        let too_long = |text: &str| text.chars().count() > METADATA_STRING_CHARS_MAX;
        if object.iter().any(|(key, value)| too_long(key) || has_long_string(value, &too_long)) {
            return Err(Invalid::MetadataString { max: METADATA_STRING_CHARS_MAX });
        }
        let json = serde_json::to_string(object).map_err(|_| Invalid::NotAnObject)?;
        if json.len() > METADATA_JSON_BYTES_MAX {
            return Err(Invalid::TooLarge { max: METADATA_JSON_BYTES_MAX });
        }
        Ok(Self(json))
    }

    /// Metadata from elsewhere (a decoded command) is what `from_object` makes of some object,
    /// or the empty default.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            return Ok(());
        }
        if self.0.len() > METADATA_JSON_BYTES_MAX {
            return Err(Invalid::TooLarge { max: METADATA_JSON_BYTES_MAX });
        }
        let object: Map<String, Value> =
            serde_json::from_str(&self.0).map_err(|_| Invalid::NotAnObject)?;
        if Self::from_object(&object)? == *self {
            Ok(())
        } else {
            Err(Invalid::NotCanonical)
        }
    }

    pub fn as_json(&self) -> &str {
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }
}

fn has_long_string(value: &Value, too_long: &impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(text) => too_long(text),
        Value::Array(items) => items.iter().any(|item| has_long_string(item, too_long)),
        Value::Object(fields) => {
            fields.iter().any(|(key, item)| too_long(key) || has_long_string(item, too_long))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn metadata_is_stored_canonically_and_checks_as_such() {
        let stored = Metadata::from_object(&object(json!({"z": 1, "a": [true, null]}))).unwrap();
        assert_eq!(stored.as_json(), r#"{"a":[true,null],"z":1}"#);
        assert_eq!(stored.check(), Ok(()));
        assert_eq!(Metadata::default().check(), Ok(()));
        assert_eq!(Metadata(r#"{ "a": 1 }"#.into()).check(), Err(Invalid::NotCanonical));
        assert_eq!(Metadata("[1]".into()).check(), Err(Invalid::NotAnObject));
        assert_eq!(Metadata("{".into()).check(), Err(Invalid::NotAnObject));
        let huge = Metadata("x".repeat(METADATA_JSON_BYTES_MAX + 1));
        assert_eq!(huge.check(), Err(Invalid::TooLarge { max: METADATA_JSON_BYTES_MAX }));
    }

    #[test]
    fn metadata_is_bounded() {
        let too_many: Map<String, Value> = (0..33).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(Metadata::from_object(&too_many), Err(Invalid::TooManyKeys { max: 32 }));
        let deep = object(json!({"k": {"deep": "x".repeat(257)}}));
        assert_eq!(Metadata::from_object(&deep), Err(Invalid::MetadataString { max: 256 }));
        let long = Metadata(format!(r#"{{"k":"{}"}}"#, "x".repeat(257)));
        assert_eq!(long.check(), Err(Invalid::MetadataString { max: 256 }));
    }
}
