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

/// 200 answer of `GET /alerts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertList {
    /// The alerts, oldest first.
    pub alerts: Vec<Alert>,
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
        }]});
        let list: AlertList = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(list.alerts[0].remaining, 9);
        assert_eq!(serde_json::to_value(&list).unwrap(), literal);
    }
}
