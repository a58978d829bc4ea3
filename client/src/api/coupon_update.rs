//! `PATCH /coupons/{id}`: the terms a shop may change after creation. A JSON merge patch: an
//! absent field is left as it is, `null` removes an optional one, a value sets it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::decimal::option_decimal_str;
use super::Currency;

/// Body of `PATCH /coupons/{id}`. Every bound of create holds for the coupon after the change;
/// `usage_limit` never falls below `times_redeemed` (409 `usage_limit_below_used`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(min_properties = 1))]
#[serde(deny_unknown_fields)]
pub struct UpdateCouponRequest {
    /// A new expiry, in the future; never `null` (a coupon always expires: 422).
    #[serde(default, deserialize_with = "set_only", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>, nullable = false))]
    pub expires_at: Option<DateTime<Utc>>,
    /// A new start (before `expires_at`); `null`: valid at once.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>, nullable))]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// Total uses, 1 to 1,000,000,000, at least `times_redeemed`; never `null` (422).
    #[serde(default, deserialize_with = "set_only", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, nullable = false, minimum = 1, maximum = 1_000_000_000))]
    pub usage_limit: Option<u64>,
    /// Uses per user, 1 to 1,000,000,000; `null`: none. Added or removed only while the coupon has
    /// no live redemption (409 `per_user_limit_after_redemptions`); changed any time.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, nullable, minimum = 1, maximum = 1_000_000_000))]
    pub per_user_limit: Option<Option<u64>>,
    /// Minimum order amount (money in the coupon's currency, to its minor unit, as a decimal
    /// string); `null`: none. A percentage coupon without a currency cannot have one (422).
    #[serde(
        default,
        deserialize_with = "present_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable, pattern = "^[0-9]+([.][0-9]+)?$"))]
    pub min_order_amount: Option<Option<Decimal>>,
    /// Cap on a percentage discount (money in the coupon's currency, to its minor unit, as a
    /// decimal string); `null`: none. Refused on a fixed discount and on a percentage without a
    /// currency (422).
    #[serde(
        default,
        deserialize_with = "present_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable, pattern = "^(0*[1-9][0-9]*([.][0-9]+)?|0+[.][0-9]*[1-9][0-9]*)$"))]
    pub max_discount_amount: Option<Option<Decimal>>,
    /// Low-stock alert threshold, 0 to 1,000,000,000; `null`: no alert.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, nullable, maximum = 1_000_000_000))]
    pub low_stock_threshold: Option<Option<u64>>,
    /// The currency of a percentage discount (ISO 4217, as create takes it): the currency of the
    /// coupon's money bounds, which the same request may then set, and the only one its orders
    /// may be in. On a fixed discount only its own currency is accepted (a fixed amount does not
    /// change currency: 422). A currency is not removed once set, so `null` is refused (422).
    #[serde(default, deserialize_with = "set_only", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Currency>, nullable = false))]
    pub currency: Option<Currency>,
    /// Replaces the caller's data (same bounds as create); `{}` empties it, `null` is 422.
    #[serde(default, deserialize_with = "set_only", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>, nullable = false))]
    pub metadata: Option<Map<String, Value>>,
}

impl UpdateCouponRequest {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A field that is present: `Some(None)` for `null`, `Some(Some(v))` for a value (absent fields
/// are `None` through `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A field that may be set but not removed: a value when present, `null` refused.
fn set_only<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

fn present_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Decimal>>, D::Error> {
    option_decimal_str::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn absent_null_and_value_are_three_things() {
        let patch: UpdateCouponRequest =
            serde_json::from_value(json!({"per_user_limit": null, "min_order_amount": "5.00"}))
                .unwrap();
        assert_eq!(patch.per_user_limit, Some(None));
        assert_eq!(patch.min_order_amount, Some(Some(Decimal::new(500, 2))));
        assert_eq!(patch.low_stock_threshold, None);
        assert!(serde_json::from_value::<UpdateCouponRequest>(json!({"code": "X"})).is_err());
        assert!(UpdateCouponRequest::default().is_empty());
        let currency: UpdateCouponRequest =
            serde_json::from_value(json!({"currency": "EUR"})).unwrap();
        assert_eq!(currency.currency, Some(Currency::new("EUR")));
        for field in ["currency", "expires_at", "usage_limit", "metadata"] {
            let null = serde_json::from_value::<UpdateCouponRequest>(json!({field: null}));
            assert!(null.is_err(), "{field}: null is refused, not taken as absent");
        }
    }
}
