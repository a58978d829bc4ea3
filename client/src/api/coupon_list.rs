//! `GET /coupons`: the code lookup (`?code=`) and the catalogue listing (every other parameter).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CampaignId, Coupon, CouponId, ReadConsistency};

/// Where a coupon stands now, in the precedence a redeem's refusal takes: `inactive`, then
/// `not_started`, `expired`, `exhausted`; `active` when a redeem could succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    Active,
    Inactive,
    NotStarted,
    Expired,
    Exhausted,
}

/// Query of `GET /coupons`. With `code`, the lookup of one coupon (the listing's filters still
/// apply: a coupon they leave out is 404); without, one page of the listing, oldest first by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CouponsQuery {
    /// Look up the coupon with this code, case-insensitively (trimmed, then upper-cased).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{3,64}[ \\t\\n\\f\\r]*$",
            example = "summer-2026"
        )
    )]
    pub code: Option<String>,
    /// Only coupons in this status now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub status: Option<CouponStatus>,
    /// Only coupons whose code starts with this (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{1,64}[ \\t\\n\\f\\r]*$",
            example = "SUMMER-"
        )
    )]
    pub code_prefix: Option<String>,
    /// Only coupons created after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<DateTime<Utc>>,
    /// Only the codes of this campaign (read through the campaign's index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<u64>, minimum = 0, maximum = 9_223_372_036_854_775_807_u64, example = 3))]
    pub campaign_id: Option<CampaignId>,
    /// The previous page's `next_after`; absent: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<u64>, minimum = 0, maximum = 9_223_372_036_854_775_807_u64, example = 57))]
    pub after: Option<CouponId>,
    /// Page size, 1 to 500; absent: 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500, example = 50))]
    pub limit: Option<u32>,
    /// `linearizable` (the default) or `local`, as on every `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<ReadConsistency>,
}

impl CouponsQuery {
    /// The lookup of one coupon by `code`.
    pub fn by_code(code: &str, consistency: Option<ReadConsistency>) -> Self {
        Self { code: Some(code.to_owned()), consistency, ..Self::default() }
    }
}

/// One page of the listing. A filtered page may hold fewer than `limit` coupons (each page
/// examines a bounded number of coupons) and still have a `next_after`: keep paging until it is
/// null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouponList {
    pub coupons: Vec<Coupon>,
    /// Pass as `after` for the next page; `null` once the listing is complete.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_after: Option<CouponId>,
}

/// The answer of `GET /coupons`: one coupon for `?code=`, else a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CouponsAnswer {
    Page(CouponList),
    Coupon(Box<Coupon>),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_query_takes_the_listing_parameters_and_nothing_else() {
        let query: CouponsQuery = serde_json::from_value(json!({
            "status": "not_started", "code_prefix": "SUM", "after": 5, "limit": 10,
            "created_after": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(query.status, Some(CouponStatus::NotStarted));
        assert_eq!(query.after, Some(CouponId(5)));
        assert!(serde_json::from_value::<CouponsQuery>(json!({"status": "gone"})).is_err());
        assert!(serde_json::from_value::<CouponsQuery>(json!({"campaign": 1})).is_err());
    }
}
