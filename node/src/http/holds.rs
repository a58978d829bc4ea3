//! The hold endpoints: place a hold at checkout (by id and by code), confirm it after payment,
//! release it, read it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Json};
use coupon_client::api::{
    self, CouponId as WireCouponId, HoldId as WireHoldId, HoldRequest, IdempotencyKey, ReadQuery,
    RedeemResponse,
};
use raft_store::domain::{CouponId, HoldId};

use super::app::{App, AppState};
use super::extract::{CodePath, JsonBody, PathId, QueryParams};
use super::idempotency::idempotency_key;
use super::outcome::{render, Subject};
use super::problems::{
    ConfirmHoldProblems, HoldReadProblems, PlaceHoldProblems, ReleaseHoldProblems,
};
use super::ApiError;
use crate::convert;
use crate::service::Caller;

/// Hold a use of a coupon at checkout, until payment succeeds (confirm) or fails (release).
///
/// The use counts against `remaining` (and the user's `per_user_limit`, and takes `order_id`)
/// until the hold ends; at `expires_at` (log time, `ttl_seconds` after placing, never after the
/// coupon's expiry) it goes back by itself. Decided as a redeem would be: a refusal is the
/// redeem's 409. Rate limited per caller.
#[utoipa::path(
    post, path = "/coupons/{id}/holds", tag = "holds",
    params(("id" = WireCouponId, Path, description = "The coupon to hold a use of"), IdempotencyKey),
    request_body = HoldRequest,
    responses(
        (status = 201, description = "Held: the hold", body = api::Hold,
            headers(("Location" = String, description = "`/holds/{id}` of the new hold"))),
        PlaceHoldProblems,
    )
)]
pub async fn hold_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonBody(request): JsonBody<HoldRequest>,
) -> Result<Response, ApiError> {
    place(&app, &caller, CouponId(id), &headers, &request).await
}

/// Hold a use of a coupon by its code (case-insensitive).
///
/// Exactly the id form once the code names its coupon (a key replays across both forms). An
/// unknown code is 404 `coupon_not_found`. Rate limited per caller.
#[utoipa::path(
    post, path = "/codes/{code}/holds", tag = "holds",
    params(("code" = String, Path, description = "The coupon's code, in any case, blanks around it ignored", pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{3,64}[ \\t\\n\\f\\r]*$"), IdempotencyKey),
    request_body = HoldRequest,
    responses(
        (status = 201, description = "Held: the hold", body = api::Hold,
            headers(("Location" = String, description = "`/holds/{id}` of the new hold"))),
        PlaceHoldProblems,
    )
)]
pub async fn hold_by_code(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    CodePath(id): CodePath,
    headers: HeaderMap,
    JsonBody(request): JsonBody<HoldRequest>,
) -> Result<Response, ApiError> {
    place(&app, &caller, CouponId(id), &headers, &request).await
}

/// The one placing both path forms run.
async fn place(
    app: &App,
    caller: &Caller,
    id: CouponId,
    headers: &HeaderMap,
    request: &HoldRequest,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let response = app.service.place_hold(id, caller, key, request).await?;
    Ok(render(response, Subject::Coupon(id)))
}

/// Confirm a hold: its use becomes a redemption (payment succeeded).
///
/// Answers as a redeem does (201, the redemption and the coupon). Confirming a confirmed hold
/// answers its redemption again. At or after the hold's `expires_at` it is 409 `hold_expired`,
/// whatever uses the coupon has left: the use went back, and another order may have it now.
#[utoipa::path(
    post, path = "/holds/{id}/confirm", tag = "holds",
    params(("id" = WireHoldId, Path, description = "The hold to confirm"), IdempotencyKey),
    responses(
        (status = 201, description = "Redeemed: the redemption and the coupon after it",
            body = RedeemResponse),
        ConfirmHoldProblems,
    )
)]
pub async fn confirm_hold(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.confirm_hold(HoldId(id), &caller, key).await?;
    Ok(render(response, Subject::Hold(HoldId(id))))
}

/// Release a hold: its use goes back (the checkout was abandoned).
///
/// Releasing a released or expired hold answers it as it is (200). A confirmed hold is 409
/// `hold_confirmed`: roll its redemption back instead.
#[utoipa::path(
    post, path = "/holds/{id}/release", tag = "holds",
    params(("id" = WireHoldId, Path, description = "The hold to release"), IdempotencyKey),
    responses(
        (status = 200, description = "The hold, ended", body = api::Hold),
        ReleaseHoldProblems,
    )
)]
pub async fn release_hold(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.release_hold(HoldId(id), &caller, key).await?;
    Ok(render(response, Subject::Hold(HoldId(id))))
}

/// Get one hold, as it stands in log time (a hold past its `expires_at` reads `expired`).
#[utoipa::path(
    get, path = "/holds/{id}", tag = "holds",
    params(("id" = WireHoldId, Path, description = "The hold"), ReadQuery),
    responses((status = 200, description = "The hold", body = api::Hold), HoldReadProblems)
)]
pub async fn get_hold(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<api::Hold>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    match app.service.hold(HoldId(id), consistency).await? {
        Some(hold) => Ok(Json(convert::hold(&hold))),
        None => {
            Err(ApiError::new(api::ErrorCode::HoldNotFound, format!("hold {id} does not exist")))
        }
    }
}
