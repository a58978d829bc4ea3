//! The coupon object and the request that creates one (`POST /coupons/generate`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::decimal::option_decimal_str;
use super::{CouponId, Discount};

/// Free-form key/value data attached to a coupon (at most 32 keys; keys and string values at
/// most 256 characters, checked by the server).
pub type Metadata = Map<String, Value>;

/// A coupon as the API returns it. Fields are in API.md's order. Unknown fields are ignored so
/// an older client keeps working when the server adds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// Service-assigned id.
    pub id: CouponId,
    /// The code, stored upper-case.
    pub code: String,
    /// What it takes off.
    pub discount: Discount,
    /// Caps a percentage discount; `null`: no cap.
    #[serde(with = "option_decimal_str", default)]
    pub max_discount_amount: Option<Decimal>,
    /// Orders below this amount are `min_order_not_met`; `null`: no minimum.
    #[serde(with = "option_decimal_str", default)]
    pub min_order_amount: Option<Decimal>,
    /// Not valid before; `null`: valid from creation.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Not valid at or after.
    pub expires_at: DateTime<Utc>,
    /// Total uses allowed.
    pub usage_limit: u64,
    /// Uses allowed per `user_id`; `null`: no per-user limit.
    #[serde(default)]
    pub per_user_limit: Option<u64>,
    /// Uses consumed (rolled-back redemptions do not count).
    pub times_redeemed: u64,
    /// `usage_limit - times_redeemed`.
    pub remaining: u64,
    /// True once `times_redeemed == usage_limit`.
    pub redeemed: bool,
    /// False once the coupon is voided; an inactive coupon rejects with `inactive`.
    pub active: bool,
    /// Raise a low-stock alert when `remaining` falls to or below it; `null`: never.
    #[serde(default)]
    pub low_stock_threshold: Option<u64>,
    /// Caller's data, `{}` by default.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: Metadata,
    /// When it was created (the leader's clock).
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /coupons/generate`. Absent optional fields take API.md's defaults; unknown
/// fields are a 422 on the server, so a typo is not silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCouponRequest {
    /// The code; absent: the server generates 12 Crockford base-32 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What it takes off.
    pub discount: Discount,
    /// Cap on a percentage discount.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    pub max_discount_amount: Option<Decimal>,
    /// Minimum order amount.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    pub min_order_amount: Option<Decimal>,
    /// Not valid before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Not valid at or after; must be in the future.
    pub expires_at: DateTime<Utc>,
    /// Total uses, 1 to 1,000,000,000.
    pub usage_limit: u64,
    /// Uses per user, 1 to 1,000,000,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_limit: Option<u64>,
    /// Low-stock alert threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_stock_threshold: Option<u64>,
    /// Caller's data; absent or `null` means `{}`.
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Map::is_empty")]
    pub metadata: Metadata,
}

impl CreateCouponRequest {
    /// A request with only the required fields; set the optional ones on the result.
    pub fn new(discount: Discount, expires_at: DateTime<Utc>, usage_limit: u64) -> Self {
        Self {
            code: None,
            discount,
            max_discount_amount: None,
            min_order_amount: None,
            starts_at: None,
            expires_at,
            usage_limit,
            per_user_limit: None,
            low_stock_threshold: None,
            metadata: Metadata::new(),
        }
    }
}

/// `metadata: null` reads as `{}`: "no metadata" has one meaning however it is spelled.
fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Metadata, D::Error> {
    Ok(Option::<Metadata>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Coupon, CreateCouponRequest};

    fn api_md_coupon() -> serde_json::Value {
        json!({
            "id": 42,
            "code": "SUMMER-2026",
            "discount": {"type": "percentage", "value": "15"},
            "max_discount_amount": "30.00",
            "min_order_amount": null,
            "starts_at": null,
            "expires_at": "2026-12-31T23:59:59Z",
            "usage_limit": 100,
            "per_user_limit": 1,
            "times_redeemed": 3,
            "remaining": 97,
            "redeemed": false,
            "active": true,
            "low_stock_threshold": 10,
            "metadata": {},
            "created_at": "2026-11-26T10:00:00Z"
        })
    }

    #[test]
    fn api_md_coupon_round_trips_in_order() {
        let literal = api_md_coupon();
        let coupon: Coupon = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(coupon.remaining, 97);
        assert_eq!(serde_json::to_value(&coupon).unwrap(), literal);
        // Field order is part of "as in API.md". `json!` objects are sorted maps, so the order
        // is spelled out here and checked against the serialized text.
        let order = [
            "id",
            "code",
            "discount",
            "max_discount_amount",
            "min_order_amount",
            "starts_at",
            "expires_at",
            "usage_limit",
            "per_user_limit",
            "times_redeemed",
            "remaining",
            "redeemed",
            "active",
            "low_stock_threshold",
            "metadata",
            "created_at",
        ];
        assert_eq!(order.len(), literal.as_object().unwrap().len());
        let text = serde_json::to_string(&coupon).unwrap();
        let positions: Vec<usize> =
            order.iter().map(|key| text.find(&format!("\"{key}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "out of order: {text}");
    }

    #[test]
    fn coupon_tolerates_unknown_fields() {
        let mut literal = api_md_coupon();
        literal["added_later"] = json!(true);
        assert!(serde_json::from_value::<Coupon>(literal).is_ok());
    }

    #[test]
    fn minimal_create_request_takes_defaults() {
        let body = json!({
            "discount": {"type": "fixed", "value": "10.00", "currency": "EUR"},
            "expires_at": "2026-12-31T23:59:59Z",
            "usage_limit": 100,
            "metadata": null
        });
        let request: CreateCouponRequest = serde_json::from_value(body).unwrap();
        assert_eq!(
            request,
            CreateCouponRequest::new(request.discount.clone(), request.expires_at, 100)
        );
        let written = serde_json::to_value(&request).unwrap();
        assert_eq!(written.as_object().unwrap().len(), 3, "absent options stay absent: {written}");
    }

    #[test]
    fn create_request_rejects_unknown_fields_and_missing_required_ones() {
        let base = json!({
            "discount": {"type": "percentage", "value": "15"},
            "expires_at": "2026-12-31T23:59:59Z",
            "usage_limit": 100
        });
        let mut unknown = base.clone();
        unknown["usage_limt"] = json!(5);
        assert!(serde_json::from_value::<CreateCouponRequest>(unknown).is_err());
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("expires_at");
        assert!(serde_json::from_value::<CreateCouponRequest>(missing).is_err());
        let mut float_money = base;
        float_money["min_order_amount"] = json!(10.5);
        assert!(serde_json::from_value::<CreateCouponRequest>(float_money).is_err());
    }
}
