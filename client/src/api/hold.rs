//! Holds: `POST /coupons/{id}/holds` (or `/codes/{code}/holds`), `POST /holds/{id}/confirm`,
//! `POST /holds/{id}/release`, `GET /holds/{id}`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decimal::option_decimal_str;
use super::{CouponId, Currency, ExternalId, HoldId, RedemptionId};

/// Body of a hold request: a redeem's body and how long the use stays set aside. Unknown fields
/// are a 422 on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(example = json!({
    "user_id": "u-1", "order_id": "o-9", "order_amount": "50.00", "currency": "EUR",
    "ttl_seconds": 900
})))]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// Who checks out; the hold counts against `per_user_limit`.
    pub user_id: ExternalId,
    /// The order; while the hold lasts, no other redeem or hold takes the coupon for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<ExternalId>,
    /// Money, as in a redeem.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", example = "50.00"))]
    pub order_amount: Option<Decimal>,
    /// Checked against a fixed discount's currency, as in a redeem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Seconds until the use goes back by itself (log time): 1 to 86,400, 900 when absent. A
    /// hold never outlives its coupon's `expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 86_400, example = 900))]
    pub ttl_seconds: Option<u32>,
}

impl HoldRequest {
    /// A hold for `user_id` alone, with the default time to live.
    pub fn new(user_id: impl Into<ExternalId>) -> Self {
        Self {
            user_id: user_id.into(),
            order_id: None,
            order_amount: None,
            currency: None,
            ttl_seconds: None,
        }
    }
}

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    /// The use is set aside until `expires_at`.
    Held,
    /// The use became the redemption `redemption_id`.
    Confirmed,
    /// The use was given back by a release.
    Released,
    /// `expires_at` passed first: the use went back by itself.
    Expired,
}

/// A hold as the API returns it (the answer to placing, releasing and getting one). Unknown fields are ignored; the server sends every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(example = json!({
    "id": 5, "coupon_id": 42, "user_id": "u-1", "order_id": "o-9", "state": "held",
    "placed_at": "2026-11-26T10:00:00Z", "expires_at": "2026-11-26T10:15:00Z",
    "discount_amount": "7.50", "redemption_id": null, "ended_at": null
})))]
pub struct Hold {
    pub id: HoldId,
    pub coupon_id: CouponId,
    pub user_id: ExternalId,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub order_id: Option<ExternalId>,
    /// `held` is reported only while `expires_at` is ahead of log time: a due hold reads as
    /// `expired` even before apply has ended it.
    pub state: HoldState,
    /// When it was placed (log time).
    pub placed_at: DateTime<Utc>,
    /// When the use goes back by itself (log time); a confirm at or after it is 409
    /// `hold_expired`.
    pub expires_at: DateTime<Utc>,
    /// What a confirm grants; `null` for a percentage without `order_amount`.
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$", required = true, example = "7.50"))]
    pub discount_amount: Option<Decimal>,
    /// The redemption a confirm made; `null` until then.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub redemption_id: Option<RedemptionId>,
    /// When a release ended it; `null` otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub ended_at: Option<DateTime<Utc>>,
}
