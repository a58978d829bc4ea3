//! Campaigns: `POST /campaigns`, `GET /campaigns/{id}`, `POST /campaigns/{id}/codes/import`,
//! `GET /campaigns/{id}/codes/export`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decimal::option_decimal_str;
use super::{CampaignId, CouponId, Discount, JobId, Metadata};

/// A campaign's budget: uses across all of its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Redemptions (and holds) across all codes, 1 to 1,000,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000, example = 1000))]
    pub redemptions: u64,
}

/// Body of `POST /campaigns`: the rules of every code. Unknown fields are 422.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(example = json!({
    "name": "winter-2026", "discount": {"type": "percentage", "value": "10"},
    "expires_at": "2027-01-31T23:59:59Z", "usage_limit_per_code": 1, "per_user_limit": 1,
    "budget": {"redemptions": 1000}
})))]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    /// For people: 1 to 128 characters, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")
    )]
    pub name: String,
    pub discount: Discount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Must be in the future.
    pub expires_at: DateTime<Utc>,
    /// Uses of each code, 1 to 1,000,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000, example = 1))]
    pub usage_limit_per_code: u64,
    /// Uses of each code per user, 1 to 1,000,000,000. Absent: no per-user limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000))]
    pub per_user_limit: Option<u64>,
    /// As on a coupon.
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9]+([.][0-9]+)?$"))]
    pub min_order_amount: Option<Decimal>,
    /// As on a coupon (percentage discounts only; more than 0).
    #[serde(with = "option_decimal_str", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^(0*[1-9][0-9]*([.][0-9]+)?|0+[.][0-9]*[1-9][0-9]*)$"))]
    pub max_discount_amount: Option<Decimal>,
    /// Absent: only each code's own limit applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// Every code's metadata, as on a coupon (`null` reads as `{}`).
    #[serde(
        default,
        deserialize_with = "super::coupon::null_as_empty",
        skip_serializing_if = "Metadata::is_empty"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::metadata_or_null))]
    pub metadata: Metadata,
}

/// A campaign as the API returns it. Unknown fields are ignored; the server sends every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub discount: Discount,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub starts_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub usage_limit_per_code: u64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub per_user_limit: Option<u64>,
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true))]
    pub min_order_amount: Option<Decimal>,
    #[serde(with = "option_decimal_str", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true))]
    pub max_discount_amount: Option<Decimal>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub budget: Option<Budget>,
    /// Live redemptions across all codes.
    pub times_redeemed: u64,
    /// Uses held across all codes.
    pub held: u64,
    /// Uses the budget has left; `null` without a budget.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub budget_remaining: Option<u64>,
    /// Codes the campaign has.
    pub codes: u64,
    pub created_at: DateTime<Utc>,
}

/// The answer to an import: every code was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedCodes {
    /// Codes added (all of the request's).
    pub added: u64,
    /// The coupon id of the first; the others follow in the request's order.
    pub first_coupon_id: CouponId,
}

/// Body of `POST /campaigns/{id}/codes`: generate codes on the server, as a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(example = json!({
    "count": 100000, "prefix": "XMAS-", "length": 10
})))]
#[serde(deny_unknown_fields)]
pub struct GenerateCodesRequest {
    /// Codes to generate, 1 to 1,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub count: u32,
    /// Every code starts with it (`A-Z 0-9 - _`, any case); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]*$", max_length = 58))]
    pub prefix: Option<String>,
    /// Characters after the prefix, 6 to 32, the last a check character; absent: 12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 6, maximum = 32))]
    pub length: Option<u8>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Done,
    /// A code could not be drawn free (codes imported since filled the pattern); the codes made
    /// so far stay.
    Failed,
}

/// A code generation job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeJob {
    pub id: JobId,
    pub campaign_id: CampaignId,
    pub state: JobState,
    /// Codes made so far.
    pub created: u32,
    pub requested: u32,
    pub prefix: String,
    pub length: u8,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub finished_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::CreateCampaignRequest;

    #[test]
    fn a_campaign_s_metadata_null_reads_as_none_as_a_coupon_s_does() {
        let body = |metadata| {
            json!({"name": "w", "discount": {"type": "percentage", "value": "10"},
                "expires_at": "2027-01-31T23:59:59Z", "usage_limit_per_code": 1, "metadata": metadata})
        };
        let null: CreateCampaignRequest = serde_json::from_value(body(json!(null))).unwrap();
        assert!(null.metadata.is_empty());
        let given: CreateCampaignRequest = serde_json::from_value(body(json!({"k": "v"}))).unwrap();
        assert_eq!(given.metadata.len(), 1);
        assert!(serde_json::from_value::<CreateCampaignRequest>(body(json!(3))).is_err());
    }
}
