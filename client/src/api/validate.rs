//! `GET /coupons/{id}/validate`: would a redeem succeed now? Never consumes a use.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decimal::option_decimal_str;
use super::{CouponId, Currency, ExternalId, ReadConsistency, RejectionReason};

/// Query of the validate endpoint; the same inputs as a redeem, minus `order_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ValidateQuery {
    /// Checked against `per_user_limit` when given: 1 to 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(
            value_type = Option<String>,
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
            example = "u-1"
        )
    )]
    pub user_id: Option<ExternalId>,
    /// Money in `currency` (a decimal string, at most the currency's minor units as fraction
    /// digits), for the discount amount and `min_order_amount`; needs `currency`.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", example = "50.00")
    )]
    pub order_amount: Option<Decimal>,
    /// The order's currency (ISO 4217, e.g. `EUR`): required with `order_amount`, and for a
    /// coupon whose money is in a currency (a fixed discount, or a percentage with
    /// `discount.currency`); another one than the coupon's is `currency_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<Currency>, example = "EUR"))]
    pub currency: Option<Currency>,
    /// `linearizable` (the default) or `local`, as on every `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<ReadConsistency>,
}

/// 200 answer of validate, valid or not.
///
/// Every optional field is omitted when `None` and read back from either an absent field or
/// `null`, so both of API.md's examples (`{"valid": true, "coupon_id": 42, "remaining": 97,
/// "discount_amount": "7.50"}` and `{"valid": false, "reason": "expired"}`) are exact
/// round-trips. The server sends `coupon_id` and `remaining` whenever the coupon exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "The verdict \
    of validate, valid or not. `coupon_id` and `remaining` are sent whenever the coupon exists, \
    `discount_amount` when it can be computed, `reason` when not valid; absent fields are \
    omitted.", examples(
    json!({"valid": true, "coupon_id": 42, "remaining": 97, "discount_amount": "7.50"}),
    json!({"valid": false, "coupon_id": 42, "remaining": 0, "reason": "usage_limit_reached"})
)))]
pub struct ValidateResponse {
    /// Whether a redeem with these inputs would succeed now.
    pub valid: bool,
    /// The coupon checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_id: Option<CouponId>,
    /// Uses left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = 97))]
    pub remaining: Option<u64>,
    /// What a redeem would take off; absent when it cannot be computed (a percentage without
    /// `order_amount`) or the coupon is not valid. Money in the order's currency, a decimal
    /// string with exactly its minor units; a percentage of the order is rounded half up to them.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", example = "7.50"))]
    pub discount_amount: Option<Decimal>,
    /// Why not; absent when `valid`. The same word a redeem would return as its 409 `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectionReason>,
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::{ValidateQuery, ValidateResponse};
    use crate::api::{CouponId, RejectionReason};

    #[test]
    fn api_md_examples_round_trip() {
        let valid =
            json!({"valid": true, "coupon_id": 42, "remaining": 97, "discount_amount": "7.50"});
        let invalid = json!({"valid": false, "reason": "expired"});
        let parsed: ValidateResponse = serde_json::from_value(valid.clone()).unwrap();
        assert_eq!(parsed.coupon_id, Some(CouponId(42)));
        assert_eq!(parsed.discount_amount, Some(Decimal::new(750, 2)));
        assert_eq!(parsed.reason, None);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), valid);
        let parsed: ValidateResponse = serde_json::from_value(invalid.clone()).unwrap();
        assert_eq!(parsed.reason, Some(RejectionReason::Expired));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), invalid);
    }

    #[test]
    fn nulls_read_as_absent() {
        let body = json!({"valid": true, "coupon_id": 1, "remaining": 2, "discount_amount": null, "reason": null});
        let parsed: ValidateResponse = serde_json::from_value(body).unwrap();
        assert_eq!(parsed.discount_amount, None);
        assert_eq!(parsed.reason, None);
    }

    #[test]
    fn query_rejects_unknown_parameters() {
        let typo = json!({"user": "u-1"});
        assert!(serde_json::from_value::<ValidateQuery>(typo).is_err());
        assert_eq!(serde_json::to_value(ValidateQuery::default()).unwrap(), json!({}));
    }
}
