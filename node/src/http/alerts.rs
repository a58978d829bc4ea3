//! `GET /alerts`: the low-stock alerts raised so far, oldest first, paged like history.

use axum::extract::State;
use axum::Json;
use coupon_client::api::{AlertId as WireAlertId, AlertList, AlertsQuery};
use raft_store::domain::AlertId;

use super::app::AppState;
use super::coupons::{page_limit, page_of};
use super::extract::QueryParams;
use super::problems::ReadProblems;
use super::ApiError;
use crate::convert;

/// Low-stock alerts: coupons whose `remaining` fell to or below their `low_stock_threshold`,
/// oldest first, paged by `after` and `limit` like history.
///
/// Each alert is raised once, in the replicated state: every node lists the same ones.
#[utoipa::path(
    get, path = "/alerts", tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, description = "One page; `next_after` is null on the last", body = AlertList),
        ReadProblems,
    )
)]
pub async fn list_alerts(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<AlertsQuery>,
) -> Result<Json<AlertList>, ApiError> {
    let limit = page_limit(query.limit)?;
    let consistency = query.consistency.unwrap_or_default();
    let after = query.after.map(|after| AlertId(after.0));
    let alerts =
        app.service.read(consistency, |state| state.alerts(after, limit.saturating_add(1))).await?;
    let (alerts, next_after) = page_of(alerts, limit, |alert| alert.id.0);
    let alerts = alerts.iter().map(convert::alert).collect();
    Ok(Json(AlertList { alerts, next_after: next_after.map(WireAlertId) }))
}
