//! `UniqueKeys`: a JSON value read so that no object names a field twice.
//!
//! A request body is read into a `serde_json::Value` first (so that `21.0` can count as the
//! integer 21), and `Value` keeps the last of two fields of one name. `{"usage_limit": 1,
//! "usage_limit": 1000}` means different things to different readers (a proxy that checked the
//! first, this node that would apply the last), so it is refused, as the typed deserializer
//! refuses a duplicate field.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

pub struct UniqueKeys(pub Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<Value, E> {
        Ok(value.into())
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<Value, E> {
        Number::from_f64(value).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E: Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::new();
        while let Some(UniqueKeys(item)) = items.next_element()? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = fields.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(A::Error::custom(format!("duplicate field `{name}`")));
            }
            let UniqueKeys(value) = fields.next_value()?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::UniqueKeys;

    fn read(text: &str) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str::<UniqueKeys>(text).map(|UniqueKeys(value)| value)
    }

    #[test]
    fn a_field_named_twice_is_refused_at_any_depth_and_the_rest_reads_as_serde_json_does() {
        let text = r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}}"#;
        assert_eq!(read(text).unwrap(), serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(read(r#"{"n": 2.0}"#).unwrap(), json!({"n": 2.0}));
        for twice in [r#"{"a": 1, "a": 2}"#, r#"{"b": {"c": 1, "c": 1}}"#, r#"[{"d": 1, "d": 2}]"#]
        {
            let error = read(twice).unwrap_err();
            assert!(error.to_string().contains("duplicate field"), "{twice}: {error}");
        }
    }
}
