//! `GET /alerts`: the low-stock alerts raised so far, oldest first.

use axum::extract::State;
use axum::Json;
use coupon_client::api::{AlertList, ReadQuery};

use super::extract::QueryParams;
use super::ApiError;
use crate::app::AppState;
use crate::convert;

/// Alerts listed at most per answer.
pub const ALERTS_LISTED_MAX: usize = 1000;

pub async fn list_alerts(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<AlertList>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    let alerts =
        app.service.read(consistency, |state| state.alerts(None, ALERTS_LISTED_MAX)).await?;
    Ok(Json(AlertList { alerts: alerts.iter().map(convert::alert).collect() }))
}
