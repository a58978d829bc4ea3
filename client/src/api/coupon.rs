//! The coupon object and the request that creates one (`POST /coupons/generate`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::decimal::option_decimal_str;
use super::{CampaignId, CouponId, Discount};

/// Free-form key/value data attached to a coupon (at most 32 keys; keys and string values at
/// most 256 characters, checked by the server).
pub type Metadata = Map<String, Value>;

/// A coupon as the API returns it. Fields are in API.md's order. Unknown fields are ignored so
/// an older client keeps working when the server adds one.
///
/// The server always sends every field, `null` where a field has no value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "A coupon. \
    Every field is always sent, `null` where it has no value. New fields may be added: ignore \
    those you do not know.", example = json!({
    "id": 42, "code": "SUMMER-2026", "discount": {"type": "percentage", "value": "15"},
    "max_discount_amount": "30.00", "min_order_amount": null, "starts_at": null,
    "expires_at": "2026-12-31T23:59:59Z", "usage_limit": 100, "per_user_limit": 1,
    "times_redeemed": 3, "held": 0, "remaining": 97, "redeemed": false, "active": true,
    "low_stock_threshold": 10, "metadata": {}, "created_at": "2026-11-26T10:00:00Z",
    "campaign_id": null
})))]
pub struct Coupon {
    /// Service-assigned id.
    pub id: CouponId,
    /// The code, stored upper-case: `A-Z 0-9 - _`, 3 to 64 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Z0-9_-]{3,64}$", example = "SUMMER-2026")
    )]
    pub code: String,
    /// What it takes off.
    pub discount: Discount,
    /// Caps a percentage discount (money in `discount.currency`, a decimal string); `null`: no
    /// cap.
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", required = true, example = "30.00"))]
    pub max_discount_amount: Option<Decimal>,
    /// Orders below this amount (money in `discount.currency`, a decimal string) are
    /// `min_order_not_met`; `null`: no minimum.
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", required = true, example = "20.00"))]
    pub min_order_amount: Option<Decimal>,
    /// Not valid before; `null`: valid from creation.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub starts_at: Option<DateTime<Utc>>,
    /// Not valid at or after.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-31T23:59:59Z"))]
    pub expires_at: DateTime<Utc>,
    /// Total uses allowed, 1 to 1,000,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000, example = 100))]
    pub usage_limit: u64,
    /// Uses allowed per `user_id`, 1 to 1,000,000,000; `null`: no per-user limit.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, minimum = 1, maximum = 1_000_000_000, example = 1)
    )]
    pub per_user_limit: Option<u64>,
    /// Uses consumed (rolled-back redemptions do not count).
    #[cfg_attr(feature = "openapi", schema(example = 3))]
    pub times_redeemed: u64,
    /// Uses set aside by holds that are not confirmed, released or expired yet.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = 0))]
    pub held: u64,
    /// `usage_limit - times_redeemed - held`: the uses a redeem or a hold can still take.
    #[cfg_attr(feature = "openapi", schema(example = 97))]
    pub remaining: u64,
    /// True once `times_redeemed == usage_limit`.
    pub redeemed: bool,
    /// False once the coupon is voided; an inactive coupon rejects with `inactive`.
    pub active: bool,
    /// Raise a low-stock alert when `remaining` falls to or below it; `null`: never.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, maximum = 1_000_000_000, example = 10)
    )]
    pub low_stock_threshold: Option<u64>,
    /// Caller's data, `{}` by default: at most 32 keys; keys and string values (at any depth)
    /// at most 256 characters; at most 16 KiB as compact JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[cfg_attr(feature = "openapi", schema(required = true, schema_with = super::schema::metadata))]
    pub metadata: Metadata,
    /// When it was created (the leader's clock).
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-26T10:00:00Z"))]
    pub created_at: DateTime<Utc>,
    /// The campaign whose code this is; `null` for a coupon of its own.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub campaign_id: Option<CampaignId>,
}

/// Body of `POST /coupons/generate`. Absent optional fields take API.md's defaults; unknown
/// fields are a 422 on the server, so a typo is not silently dropped. Absent and `null` mean
/// the same. Every field out of bounds is listed in the 422's `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "Body of \
    `POST /coupons/generate`. Absent and `null` optional fields take their defaults; unknown \
    fields are 422. Every field out of bounds is listed in the 422's `errors`.", example = json!({
    "code": "SUMMER-2026", "discount": {"type": "percentage", "value": "15"},
    "max_discount_amount": "30.00", "expires_at": "2026-12-31T23:59:59Z", "usage_limit": 100,
    "per_user_limit": 1, "low_stock_threshold": 10
})))]
#[serde(deny_unknown_fields)]
pub struct CreateCouponRequest {
    /// The code, case-insensitive: trimmed and stored upper-case; `A-Z 0-9 - _`, 3 to 64
    /// characters; 409 `code_already_exists` if taken. Absent: the server generates 12
    /// characters of Crockford's base-32 alphabet (no I, L, O, U).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{3,64}[ \\t\\n\\f\\r]*$",
            example = "SUMMER-2026"
        )
    )]
    pub code: Option<String>,
    /// What it takes off.
    pub discount: Discount,
    /// Cap on a percentage discount: money in `discount.currency` (required with it), a decimal
    /// string with at most the currency's minor units as fraction digits, greater than 0;
    /// refused on a fixed discount.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^(0*[1-9][0-9]*([.][0-9]+)?|0+[.][0-9]*[1-9][0-9]*)$", example = "30.00"))]
    pub max_discount_amount: Option<Decimal>,
    /// Minimum order amount: money in `discount.currency` (required with it), a decimal string
    /// with at most the currency's minor units as fraction digits, 0 or more.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", example = "20.00"))]
    pub min_order_amount: Option<Decimal>,
    /// Not valid before; must be before `expires_at`. Absent: valid at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Not valid at or after; must be in the future.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-31T23:59:59Z"))]
    pub expires_at: DateTime<Utc>,
    /// Total uses, 1 to 1,000,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000, example = 100))]
    pub usage_limit: u64,
    /// Uses per user, 1 to 1,000,000,000. Absent: no per-user limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000, example = 1))]
    pub per_user_limit: Option<u64>,
    /// Low-stock alert threshold, 0 to 1,000,000,000. Absent: no alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 1_000_000_000, example = 10))]
    pub low_stock_threshold: Option<u64>,
    /// Caller's data: at most 32 keys; keys and string values (at any depth) at most 256
    /// characters; at most 16 KiB as compact JSON. Absent or `null` means `{}`.
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::metadata_or_null))]
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
pub(super) fn null_as_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Metadata, D::Error> {
    Ok(Option::<Metadata>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Coupon, CreateCouponRequest};

    /// API.md's example coupon, with the `held` count of its holds section and the
    /// `campaign_id` of its campaigns section.
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
            "held": 0,
            "remaining": 97,
            "redeemed": false,
            "active": true,
            "low_stock_threshold": 10,
            "metadata": {},
            "created_at": "2026-11-26T10:00:00Z",
            "campaign_id": null
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
            "held",
            "remaining",
            "redeemed",
            "active",
            "low_stock_threshold",
            "metadata",
            "created_at",
            "campaign_id",
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
