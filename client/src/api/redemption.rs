//! Redemptions: `POST /coupons/{id}/redeem`, `POST /redemptions/{id}/rollback`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decimal::option_decimal_str;
use super::{Coupon, CouponId, Currency, ExternalId, RedemptionId};

/// Body of `POST /coupons/{id}/redeem`. Unknown fields are a 422 on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(example = json!({
    "user_id": "u-1", "order_id": "o-9", "order_amount": "50.00", "currency": "EUR"
})))]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// Who redeems; counts against `per_user_limit`.
    pub user_id: ExternalId,
    /// The order; a coupon redeems at most once per order (`order_already_redeemed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<ExternalId>,
    /// Money in `currency` (a decimal string, 0 or more, at most the currency's minor units as
    /// fraction digits); needs `currency`. Needed for a percentage discount amount and for
    /// `min_order_amount`.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", example = "50.00"))]
    pub order_amount: Option<Decimal>,
    /// The order's currency: required with `order_amount`, and for a coupon whose money is in a
    /// currency (a fixed discount, or a percentage with `discount.currency`: 422 without);
    /// another one than the coupon's is `currency_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

impl RedeemRequest {
    /// A redeem by `user_id` alone, without order details.
    pub fn new(user_id: impl Into<ExternalId>) -> Self {
        Self { user_id: user_id.into(), order_id: None, order_amount: None, currency: None }
    }
}

/// One use of a coupon. Unknown fields are ignored. The server always sends every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "One use of a \
    coupon. Every field is always sent, `null` where it has no value.", example = json!({
    "id": 7, "coupon_id": 42, "user_id": "u-1", "order_id": "o-9",
    "redeemed_at": "2026-11-26T10:05:00Z", "discount_amount": "7.50", "rolled_back_at": null
})))]
pub struct Redemption {
    /// Service-assigned id, increasing in apply order.
    pub id: RedemptionId,
    /// The coupon used.
    pub coupon_id: CouponId,
    /// Who redeemed.
    pub user_id: ExternalId,
    /// The order, if one was given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub order_id: Option<ExternalId>,
    /// When (the leader's clock).
    pub redeemed_at: DateTime<Utc>,
    /// The amount taken off; `null` when it could not be computed (a percentage without
    /// `order_amount`). Money in the order's currency, with exactly its minor units; a
    /// percentage of the order is rounded half up to them.
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", required = true, example = "7.50"))]
    pub discount_amount: Option<Decimal>,
    /// When it was rolled back; `null` while it stands.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub rolled_back_at: Option<DateTime<Utc>>,
}

/// 201 answer to a redeem: the new redemption and the coupon after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemResponse {
    /// The redemption just made.
    pub redemption: Redemption,
    /// The coupon with this use counted.
    pub coupon: Coupon,
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::{RedeemRequest, Redemption};
    use crate::api::{Currency, ExternalId};

    #[test]
    fn api_md_redeem_body_round_trips() {
        let literal = json!({"user_id": "u-1", "order_id": "o-9", "order_amount": "50.00", "currency": "EUR"});
        let request: RedeemRequest = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(request.order_amount, Some(Decimal::new(5000, 2)));
        assert_eq!(request.currency, Some(Currency::from("EUR")));
        assert_eq!(serde_json::to_value(&request).unwrap(), literal);
    }

    #[test]
    fn redeem_body_accepts_integer_ids_and_omits_absent_fields() {
        let request: RedeemRequest = serde_json::from_value(json!({"user_id": 17})).unwrap();
        assert_eq!(request, RedeemRequest::new(ExternalId::from("17")));
        assert_eq!(serde_json::to_value(&request).unwrap(), json!({"user_id": "17"}));
    }

    #[test]
    fn redeem_body_rejects_unknown_fields_and_float_amounts() {
        let typo = json!({"user_id": "u-1", "orderid": "o-9"});
        let float = json!({"user_id": "u-1", "order_amount": 50.0});
        assert!(serde_json::from_value::<RedeemRequest>(typo).is_err());
        assert!(serde_json::from_value::<RedeemRequest>(float).is_err());
    }

    #[test]
    fn api_md_redemption_round_trips() {
        let literal = json!({
            "id": 7, "coupon_id": 42, "user_id": "u-1", "order_id": "o-9",
            "redeemed_at": "2026-11-26T10:05:00Z", "discount_amount": "7.50", "rolled_back_at": null
        });
        let redemption: Redemption = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(redemption.discount_amount, Some(Decimal::new(750, 2)));
        assert_eq!(serde_json::to_value(&redemption).unwrap(), literal);
    }
}
