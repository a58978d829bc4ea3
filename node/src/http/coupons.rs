//! The coupon endpoints: generate, get, list and look up by code, change, validate and redeem
//! (by id and by code), history, rollback, deactivate and reactivate.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Json};
use coupon_client::api::{
    self, Coupon, CouponId as WireCouponId, CouponList, CouponsAnswer, CouponsQuery,
    CreateCouponRequest, HistoryPage, HistoryQuery, IdempotencyKey, ReadQuery, RedeemRequest,
    RedeemResponse, Redemption, RedemptionId as WireRedemptionId, UpdateCouponRequest,
    ValidateQuery, ValidateResponse,
};
use raft_store::domain::{CouponCode, CouponId, RedemptionId};
use raft_store::limits::{HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX};
use raft_store::outcome::{AppliedOutcome, Outcome};

use super::app::{App, AppState};
use super::extract::{CodePath, JsonBody, PathId, QueryParams};
use super::idempotency::idempotency_key;
use super::outcome::{render, Subject};
use super::problems::{
    CouponPatchProblems, CouponReadProblems, CouponUpdateProblems, CreateCouponProblems,
    RedeemProblems, RollBackProblems,
};
use super::ApiError;
use crate::convert;
use crate::service::{Caller, ServiceError};

/// Create a coupon.
///
/// `code` is optional: absent, the service generates 12 characters of Crockford's base-32
/// alphabet. `expires_at` must be in the future. Every field out of bounds is listed in the
/// 422's `errors`.
#[utoipa::path(
    post, path = "/coupons/generate", tag = "coupons",
    params(IdempotencyKey),
    request_body = CreateCouponRequest,
    responses(
        (status = 201, description = "Created", body = Coupon,
            headers(("Location" = String, description = "`/coupons/{id}` of the new coupon"))),
        CreateCouponProblems,
    )
)]
pub async fn generate_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateCouponRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.create_coupon(&caller, key, &request).await?;
    Ok(render(response, Subject::NewCoupon))
}

/// Redeem a coupon: use it once.
///
/// A refusal is 409 with the first reason that applies, in the precedence `RejectionReason`
/// states. Rate limited per client.
#[utoipa::path(
    post, path = "/coupons/{id}/redeem", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon to redeem"), IdempotencyKey),
    request_body = RedeemRequest,
    responses(
        (status = 201, description = "Redeemed: the new redemption and the coupon after it",
            body = RedeemResponse),
        RedeemProblems,
    )
)]
pub async fn redeem_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonBody(request): JsonBody<RedeemRequest>,
) -> Result<Response, ApiError> {
    redeem(&app, &caller, CouponId(id), &headers, &request).await
}

/// Redeem a coupon by its code (case-insensitive): what a checkout sends when the shopper types a
/// code.
///
/// Exactly the id form once the code names its coupon: the same body, answers and idempotency (a
/// key replays across both forms). An unknown code is 404 `coupon_not_found`. Rate limited per
/// caller.
#[utoipa::path(
    post, path = "/codes/{code}/redeem", tag = "coupons",
    params(("code" = String, Path, description = "The coupon's code, in any case, blanks around it ignored", pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{3,64}[ \\t\\n\\f\\r]*$"), IdempotencyKey),
    request_body = RedeemRequest,
    responses(
        (status = 201, description = "Redeemed: the new redemption and the coupon after it",
            body = RedeemResponse),
        RedeemProblems,
    )
)]
pub async fn redeem_by_code(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    CodePath(id): CodePath,
    headers: HeaderMap,
    JsonBody(request): JsonBody<RedeemRequest>,
) -> Result<Response, ApiError> {
    redeem(&app, &caller, CouponId(id), &headers, &request).await
}

/// The one redeem both path forms run.
async fn redeem(
    app: &App,
    caller: &Caller,
    id: CouponId,
    headers: &HeaderMap,
    request: &RedeemRequest,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let result = app.service.redeem(id, caller, key, request).await;
    let result = match result {
        // Counted are only the requests that reached the log.
        Err(error @ (ServiceError::Invalid(_) | ServiceError::Fingerprint(_))) => {
            return Err(error.into())
        }
        other => other.map_err(ApiError::from),
    };
    record_redeem(app, &result);
    Ok(render(result?, Subject::Coupon(id)))
}

/// Counts the outcome (or the error), and announces a low-stock alert that this redeem raised.
fn record_redeem(app: &App, result: &Result<AppliedOutcome, ApiError>) {
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            app.metrics.redeems.with_label_values(&[error.code().as_str()]).inc();
            return;
        }
    };
    let outcome = match &response.outcome {
        Outcome::Redeemed { alert: Some(alert), .. } if !response.replayed => {
            app.metrics.alerts_raised.inc();
            tracing::warn!(
                alert_id = %alert.id,
                coupon_id = %alert.coupon_id,
                code = %alert.code,
                remaining = alert.remaining,
                threshold = alert.threshold,
                "low stock: a coupon fell to its threshold"
            );
            "granted"
        }
        Outcome::Redeemed { .. } => "granted",
        Outcome::Rejected(rejection) => convert::rejection_code(*rejection).as_str(),
        Outcome::Created(_)
        | Outcome::RolledBack { .. }
        | Outcome::Updated(_)
        | Outcome::AlertDeliveryConfirmed
        | Outcome::KeyCreated(_)
        | Outcome::KeyRevoked(_)
        | Outcome::MembershipNoted
        | Outcome::HoldPlaced { .. }
        | Outcome::HoldReleased { .. }
        | Outcome::CampaignCreated(_)
        | Outcome::CampaignCodesAdded { .. }
        | Outcome::CampaignCodesTaken { .. }
        | Outcome::CodeJob(_) => "other",
    };
    app.metrics.redeems.with_label_values(&[outcome]).inc();
}

/// Roll a redemption back (the order was cancelled): its use is given back.
///
/// No body: the redemption id says it all. The redemption stays in the history with
/// `rolled_back_at`.
#[utoipa::path(
    post, path = "/redemptions/{id}/rollback", tag = "redemptions",
    params(("id" = WireRedemptionId, Path, description = "The redemption to undo"), IdempotencyKey),
    responses(
        (status = 200, description = "Rolled back: the redemption with `rolled_back_at`",
            body = Redemption),
        RollBackProblems,
    )
)]
pub async fn roll_back_redemption(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let response =
        app.service.roll_back(RedemptionId(id), &caller, idempotency_key(&headers)?).await?;
    Ok(render(response, Subject::Redemption(RedemptionId(id))))
}

/// Change a coupon's terms.
///
/// A JSON merge patch of `expires_at` (in the future), `starts_at`, `usage_limit` (never below
/// `times_redeemed`), `per_user_limit` (added or removed only while no redemption is live),
/// `min_order_amount`, `max_discount_amount` (percentage discounts only), `low_stock_threshold`
/// and `metadata`: absent leaves a term, `null` removes an optional one. Every bound of create
/// holds for the result; a refused change changes nothing.
#[utoipa::path(
    patch, path = "/coupons/{id}", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon to change"), IdempotencyKey),
    request_body = UpdateCouponRequest,
    responses(
        (status = 200, description = "The coupon with its new terms", body = Coupon),
        CouponPatchProblems,
    )
)]
pub async fn patch_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonBody(request): JsonBody<UpdateCouponRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.update_coupon(CouponId(id), &caller, key, &request).await?;
    Ok(render(response, Subject::Coupon(CouponId(id))))
}

/// Deactivate (void) a coupon: from now on redeem and validate answer `inactive`.
///
/// No body. Deactivating an inactive coupon changes nothing and answers 200 too.
#[utoipa::path(
    post, path = "/coupons/{id}/deactivate", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon to void"), IdempotencyKey),
    responses(
        (status = 200, description = "The coupon, now inactive", body = Coupon),
        CouponUpdateProblems,
    )
)]
pub async fn deactivate_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let response =
        app.service.deactivate(CouponId(id), &caller, idempotency_key(&headers)?).await?;
    Ok(render(response, Subject::Coupon(CouponId(id))))
}

/// Reactivate a deactivated coupon.
///
/// No body. Reactivating an active coupon changes nothing and answers 200 too.
#[utoipa::path(
    post, path = "/coupons/{id}/reactivate", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon to reactivate"), IdempotencyKey),
    responses(
        (status = 200, description = "The coupon, now active", body = Coupon),
        CouponUpdateProblems,
    )
)]
pub async fn reactivate_coupon(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let response =
        app.service.reactivate(CouponId(id), &caller, idempotency_key(&headers)?).await?;
    Ok(render(response, Subject::Coupon(CouponId(id))))
}

/// Get one coupon.
#[utoipa::path(
    get, path = "/coupons/{id}", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon"), ReadQuery),
    responses((status = 200, description = "The coupon", body = Coupon), CouponReadProblems)
)]
pub async fn get_coupon(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<api::Coupon>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    let coupon = app.service.read(consistency, |state| state.coupon(CouponId(id))).await?;
    coupon.map(|coupon| Json(convert::coupon(&coupon))).ok_or_else(|| coupon_not_found(id))
}

/// List coupons, or look one up by its code.
///
/// With `code` (case-insensitive): that coupon, or 404; the listing's filters (`status`,
/// `code_prefix`, `created_after`, `campaign_id`, `after`) still apply, so a coupon they leave
/// out is 404 too, and `limit` is checked and has nothing to cut. Without: one page of the
/// catalogue, oldest first by id, filtered by `status` (as of now), `code_prefix`,
/// `created_after` and `campaign_id`, each read through an index, so a page costs about what it
/// lists. A page examines at most 5000 candidates, so one that combines filters whose matches
/// interleave may come back short, or empty, with a `next_after`: page on until `next_after` is
/// null.
#[utoipa::path(
    get, path = "/coupons", tag = "coupons",
    params(CouponsQuery),
    responses(
        (status = 200, description = "With `code`: the coupon. Without: one page of coupons",
            body = CouponsAnswer),
        CouponReadProblems,
    )
)]
pub async fn list_coupons(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<CouponsQuery>,
) -> Result<Json<CouponsAnswer>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    let filter = convert::coupon_filter(&query, app.service.now())?;
    // Statuses at the later of this node's clock and the log time, as validate judges them.
    let limit = page_limit(query.limit)?;
    let after = query.after.map(|after| CouponId(after.0));
    if let Some(code) = &query.code {
        let code = CouponCode::parse(code)
            .map_err(|invalid| ApiError::invalid_field("code", invalid.to_string()))?;
        let listed = |coupon: &raft_store::domain::Coupon| {
            filter.admits(coupon) && after.is_none_or(|after| coupon.id > after)
        };
        let coupon = app
            .service
            .read(consistency, |state| match state.coupon_id_by_code(&code)? {
                Some(id) => Ok(state.coupon(id)?.filter(listed)),
                None => Ok(None),
            })
            .await?;
        return match coupon {
            Some(coupon) => Ok(Json(CouponsAnswer::Coupon(Box::new(convert::coupon(&coupon))))),
            None => Err(ApiError::new(
                api::ErrorCode::CouponNotFound,
                format!("no coupon has the code {code}"),
            )),
        };
    }
    let page =
        app.service.read(consistency, |state| state.coupons_page(&filter, after, limit)).await?;
    Ok(Json(CouponsAnswer::Page(CouponList {
        coupons: page.coupons.iter().map(convert::coupon).collect(),
        next_after: page.next_after.map(|id| WireCouponId(id.0)),
    })))
}

/// Cuts `items` (read with one more than `limit`, to learn whether another page follows) to a
/// page, and names the cursor of the next page: the id of its last item, or `None` on the last.
pub(super) fn page_of<T>(
    mut items: Vec<T>,
    limit: usize,
    id: impl Fn(&T) -> u64,
) -> (Vec<T>, Option<u64>) {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_after = if more { items.last().map(id) } else { None };
    (items, next_after)
}

/// A page size from the query: 1 to `HISTORY_PAGE_MAX`, `HISTORY_PAGE_DEFAULT` when absent (every
/// paged route's rule).
pub(super) fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit.map(|limit| limit as usize) {
        None => Ok(HISTORY_PAGE_DEFAULT),
        Some(limit) if (1..=HISTORY_PAGE_MAX).contains(&limit) => Ok(limit),
        Some(_) => {
            Err(ApiError::invalid_field("limit", format!("must be from 1 to {HISTORY_PAGE_MAX}")))
        }
    }
}

/// Would a redeem with these inputs succeed now? Never consumes a use.
///
/// Decided by the same rule as a redeem, except `order_already_redeemed` (validate takes no
/// `order_id`). Rate limited per client.
#[utoipa::path(
    get, path = "/coupons/{id}/validate", tag = "coupons",
    params(("id" = WireCouponId, Path, description = "The coupon to check"), ValidateQuery),
    responses(
        (status = 200, description = "The verdict, valid or not, with `reason` when not",
            body = ValidateResponse),
        CouponReadProblems,
    )
)]
pub async fn validate(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<ValidateQuery>,
) -> Result<Json<api::ValidateResponse>, ApiError> {
    validate_coupon(&app, id, &query).await
}

/// Would a redeem by this code succeed now? Never consumes a use.
///
/// Exactly the id form once the code (case-insensitive) names its coupon; an unknown code is 404
/// `coupon_not_found`. Rate limited per caller.
#[utoipa::path(
    get, path = "/codes/{code}/validate", tag = "coupons",
    params(("code" = String, Path, description = "The coupon's code, in any case, blanks around it ignored", pattern = "^[ \\t\\n\\f\\r]*[A-Za-z0-9_-]{3,64}[ \\t\\n\\f\\r]*$"), ValidateQuery),
    responses(
        (status = 200, description = "The verdict, valid or not, with `reason` when not",
            body = ValidateResponse),
        CouponReadProblems,
    )
)]
pub async fn validate_by_code(
    State(app): State<AppState>,
    CodePath(id): CodePath,
    QueryParams(query): QueryParams<ValidateQuery>,
) -> Result<Json<api::ValidateResponse>, ApiError> {
    validate_coupon(&app, id, &query).await
}

/// The one validate both path forms run.
async fn validate_coupon(
    app: &App,
    id: u64,
    query: &ValidateQuery,
) -> Result<Json<api::ValidateResponse>, ApiError> {
    let verdict = app.service.validate(CouponId(id), query).await?;
    verdict.map(Json).ok_or_else(|| coupon_not_found(id))
}

/// A coupon's redemption history, oldest first, paged.
///
/// Rolled-back redemptions are listed too, with `rolled_back_at`.
#[utoipa::path(
    get, path = "/coupons/{id}/redemptions", tag = "redemptions",
    params(("id" = WireCouponId, Path, description = "The coupon"), HistoryQuery),
    responses(
        (status = 200, description = "One page; `next_after` is null on the last",
            body = HistoryPage),
        CouponReadProblems,
    )
)]
pub async fn coupon_history(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<Json<api::HistoryPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let after = query.after.map(|after| RedemptionId(after.0));
    let consistency = query.consistency.unwrap_or_default();
    let page = app
        .service
        .read(consistency, |state| match state.coupon(CouponId(id))? {
            Some(_) => state.coupon_history(CouponId(id), after, limit).map(Some),
            None => Ok(None),
        })
        .await?
        .ok_or_else(|| coupon_not_found(id))?;
    Ok(Json(api::HistoryPage {
        redemptions: page.redemptions.iter().map(convert::redemption).collect(),
        next_after: page.next_after.map(|id| api::RedemptionId(id.0)),
    }))
}

fn coupon_not_found(id: u64) -> ApiError {
    ApiError::new(api::ErrorCode::CouponNotFound, format!("coupon {id} does not exist"))
}
