//! `GET /alerts`: the low-stock alerts raised so far, oldest first.

use axum::extract::State;
use axum::Json;
use coupon_client::api::{AlertList, ReadQuery};

use super::app::AppState;
use super::extract::QueryParams;
use super::problems::ReadProblems;
use super::ApiError;
use crate::convert;

/// Alerts listed at most per answer.
pub const ALERTS_LISTED_MAX: usize = 1000;

/// Low-stock alerts: coupons whose `remaining` fell to or below their `low_stock_threshold`,
/// oldest first (at most 1000).
///
/// Each alert is raised once, in the replicated state: every node lists the same ones.
#[utoipa::path(
    get, path = "/alerts", tag = "alerts",
    params(ReadQuery),
    responses((status = 200, description = "The alerts", body = AlertList), ReadProblems)
)]
pub async fn list_alerts(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<AlertList>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    let alerts =
        app.service.read(consistency, |state| state.alerts(None, ALERTS_LISTED_MAX)).await?;
    Ok(Json(AlertList { alerts: alerts.iter().map(convert::alert).collect() }))
}
