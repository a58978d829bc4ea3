//! `GET /coupons/{id}/redemptions?after=&limit=`: redemption history, oldest first, paged.

use serde::{Deserialize, Serialize};

use super::{ReadConsistency, Redemption, RedemptionId};

/// Page size when `limit` is absent.
pub const HISTORY_LIMIT_DEFAULT: u32 = 50;
/// Largest accepted `limit`; more is a 422.
pub const HISTORY_LIMIT_MAX: u32 = 500;
const _: () = assert!(HISTORY_LIMIT_DEFAULT <= HISTORY_LIMIT_MAX);

/// Query of the history endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The last redemption id of the previous page (its `next_after`); absent: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<u64>, minimum = 0, maximum = 9_223_372_036_854_775_807_u64, example = 17))]
    pub after: Option<RedemptionId>,
    /// Page size, 1 to 500 (more is a 422); absent: 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500, example = 50))]
    pub limit: Option<u32>,
    /// `linearizable` (the default) or `local`, as on every `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<ReadConsistency>,
}

/// One page of history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// Oldest first by redemption id; rolled-back ones included (with `rolled_back_at`).
    pub redemptions: Vec<Redemption>,
    /// Pass as `after` for the next page; `null` on the last page.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_after: Option<RedemptionId>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::HistoryPage;
    use crate::api::RedemptionId;

    #[test]
    fn pages_round_trip() {
        let middle = json!({"redemptions": [], "next_after": 17});
        let last = json!({"redemptions": [], "next_after": null});
        let parsed: HistoryPage = serde_json::from_value(middle.clone()).unwrap();
        assert_eq!(parsed.next_after, Some(RedemptionId(17)));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), middle);
        let parsed: HistoryPage = serde_json::from_value(last.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), last);
    }
}
