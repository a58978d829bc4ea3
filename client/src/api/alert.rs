//! `GET /alerts`: low-stock alerts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AlertId, CouponId};

/// Raised when a coupon's `remaining` fell to or below its `low_stock_threshold`: once per
/// coupon, decided in the replicated state so every node lists the same alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    /// Alert id.
    pub id: AlertId,
    /// The coupon running low.
    pub coupon_id: CouponId,
    /// Its code.
    #[cfg_attr(feature = "openapi", schema(example = "SUMMER-2026"))]
    pub code: String,
    /// Uses left when the alert was raised.
    #[cfg_attr(feature = "openapi", schema(example = 9))]
    pub remaining: u64,
    /// The coupon's `low_stock_threshold`.
    #[cfg_attr(feature = "openapi", schema(example = 10))]
    pub threshold: u64,
    /// When (the leader's clock of the redeem that crossed the threshold).
    pub raised_at: DateTime<Utc>,
}

/// Query of `GET /alerts`, paged like history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// The previous page's `next_after`; absent: from the oldest alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<u64>, minimum = 0, maximum = 9_223_372_036_854_775_807_u64, example = 3))]
    pub after: Option<AlertId>,
    /// Page size, 1 to 500; absent: 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500, example = 50))]
    pub limit: Option<u32>,
    /// `linearizable` (the default) or `local`, as on every `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<super::ReadConsistency>,
}

/// 200 answer of `GET /alerts`: one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertList {
    /// The alerts, oldest first.
    pub alerts: Vec<Alert>,
    /// Pass as `after` for the next page; `null` on the last page.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_after: Option<AlertId>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::AlertList;

    #[test]
    fn api_md_alerts_round_trip() {
        let literal = json!({"alerts": [{
            "id": 3, "coupon_id": 42, "code": "SUMMER-2026", "remaining": 9, "threshold": 10,
            "raised_at": "2026-11-26T11:00:00Z"
        }], "next_after": null});
        let list: AlertList = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(list.alerts[0].remaining, 9);
        assert_eq!(serde_json::to_value(&list).unwrap(), literal);
    }
}
