//! The campaign endpoints: create a campaign, read it, import codes into it, export its codes.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use coupon_client::api::{
    self, CampaignId as WireCampaignId, CreateCampaignRequest, ErrorCode, FieldError,
    GenerateCodesRequest, IdempotencyKey, ImportedCodes, JobId as WireJobId, ReadConsistency,
    ReadQuery,
};
use raft_store::domain::{CampaignId, Coupon, CouponId, JobId};
use raft_store::outcome::Outcome;

use super::app::AppState;
use super::extract::{CodesBody, JsonBody, PathId, PathIds, QueryParams};
use super::idempotency::idempotency_key;
use super::outcome::{render, Subject};
use super::problems::{
    CampaignReadProblems, CreateCampaignProblems, GenerateCodesProblems, ImportCodesProblems,
    JobReadProblems,
};
use super::ApiError;
use crate::convert;
use crate::service::Caller;

/// Coupons one page of an export reads at a time: the export never holds more in memory.
const EXPORT_PAGE: usize = 1000;

/// Create a campaign: one set of rules for many codes.
///
/// Its codes come later (an import). Each code is a coupon with the campaign's terms and its
/// `campaign_id`; a use of any code also counts against `budget.redemptions`, in the same apply,
/// so the budget is never exceeded. The terms are checked as a coupon's are.
#[utoipa::path(
    post, path = "/campaigns", tag = "campaigns",
    params(IdempotencyKey),
    request_body = CreateCampaignRequest,
    responses(
        (status = 201, description = "Created", body = api::Campaign,
            headers(("Location" = String, description = "`/campaigns/{id}` of the new campaign"))),
        CreateCampaignProblems,
    )
)]
pub async fn create_campaign(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateCampaignRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.create_campaign(&caller, key, &request).await?;
    Ok(render(response, Subject::NewCampaign))
}

/// Get one campaign, with its counts across all codes.
#[utoipa::path(
    get, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = WireCampaignId, Path, description = "The campaign"), ReadQuery),
    responses((status = 200, description = "The campaign", body = api::Campaign), CampaignReadProblems)
)]
pub async fn get_campaign(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<api::Campaign>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    match app.service.campaign(CampaignId(id), consistency).await? {
        Some(campaign) => Ok(Json(convert::campaign(&campaign))),
        None => Err(campaign_not_found(id)),
    }
}

/// Generate codes for a campaign on the server, as a job.
///
/// Up to 1,000,000 codes: `prefix`, then `length - 1` characters of Crockford's base-32 alphabet
/// (no I, L, O, U), then a check character, so that a mistyped code is answered 404
/// `code_mistyped` rather than `coupon_not_found`. Codes are unique across the service and
/// case-insensitive. The job is written in chunks of 1000 codes a log entry, each code derived
/// from a seed in the log, so every replica makes the same codes. A pattern that cannot hold the
/// codes while staying at most half full (with those asked of it before) is 422
/// `code_pattern_too_small`, and nothing is written. Follow the job at its `Location`.
#[utoipa::path(
    post, path = "/campaigns/{id}/codes", tag = "campaigns",
    params(("id" = WireCampaignId, Path, description = "The campaign"), IdempotencyKey),
    request_body = GenerateCodesRequest,
    responses(
        (status = 202, description = "The job, started", body = api::CodeJob,
            headers(("Location" = String, description = "`/campaigns/{id}/jobs/{job}`"))),
        GenerateCodesProblems,
    )
)]
pub async fn generate_codes(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    JsonBody(request): JsonBody<GenerateCodesRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let response = app.service.start_code_job(CampaignId(id), &caller, key, &request).await?;
    Ok(render(response, Subject::Campaign(CampaignId(id))))
}

/// A code generation job's progress.
#[utoipa::path(
    get, path = "/campaigns/{id}/jobs/{job}", tag = "campaigns",
    params(
        ("id" = WireCampaignId, Path, description = "The campaign"),
        ("job" = WireJobId, Path, description = "The job"),
        ReadQuery,
    ),
    responses((status = 200, description = "The job", body = api::CodeJob), JobReadProblems)
)]
pub async fn get_code_job(
    State(app): State<AppState>,
    PathIds(id, job): PathIds,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Json<api::CodeJob>, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    match app.service.code_job(CampaignId(id), JobId(job), consistency).await? {
        Some(job) => Ok(Json(convert::code_job(&job))),
        None => {
            Err(ApiError::new(ErrorCode::JobNotFound, format!("campaign {id} has no job {job}")))
        }
    }
}

/// Import codes into a campaign: `text/csv` (one code a line, the first column) or a JSON array.
///
/// All or nothing: 1 to 1000 codes a request, each a valid code, none twice (422 names every bad
/// line), none taken already (409 `codes_taken`, `errors` naming each taken line; nothing is
/// added). The codes get consecutive coupon ids in the request's order.
#[utoipa::path(
    post, path = "/campaigns/{id}/codes/import", tag = "campaigns",
    params(("id" = WireCampaignId, Path, description = "The campaign"), IdempotencyKey),
    request_body(content = String, description = "One code a line (`text/csv`), or a JSON array of codes",
        content_type = "text/csv"),
    responses(
        (status = 201, description = "Every code added", body = ImportedCodes),
        ImportCodesProblems,
    )
)]
pub async fn import_codes(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    body: CodesBody,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let entries = convert::campaign_codes(&body.bytes, body.json)?;
    let (places, codes): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
    let response = app.service.import_codes(CampaignId(id), &caller, key, codes).await?;
    if let Outcome::CampaignCodesTaken { positions } = &response.outcome {
        let errors = positions
            .iter()
            .filter_map(|&position| places.get(position as usize))
            .map(|place| FieldError::new(place.clone(), "this code exists already"))
            .collect();
        let detail = format!("{} of the codes exist already; none was added", positions.len());
        return Err(ApiError::with_fields(ErrorCode::CodesTaken, detail, errors));
    }
    Ok(render(response, Subject::Campaign(CampaignId(id))))
}

/// Export a campaign's codes as `text/csv`, streamed.
///
/// A header line, then one code a line in the first column, in coupon-id order, with its
/// `coupon_id`, `times_redeemed`, `held`, `remaining` and `active`. Read 1000 codes at a time,
/// so a campaign of any size streams in bounded memory. The first page is read linearizably;
/// later pages from the answering node's state, which only moves forward.
#[utoipa::path(
    get, path = "/campaigns/{id}/codes/export", tag = "campaigns",
    params(("id" = WireCampaignId, Path, description = "The campaign"), ReadQuery),
    responses(
        (status = 200, description = "The codes, one a line", content_type = "text/csv", body = String),
        CampaignReadProblems,
    )
)]
pub async fn export_codes(
    State(app): State<AppState>,
    PathId(id): PathId,
    QueryParams(query): QueryParams<ReadQuery>,
) -> Result<Response, ApiError> {
    let consistency = query.consistency.unwrap_or_default();
    let campaign_id = CampaignId(id);
    if app.service.campaign(campaign_id, consistency).await?.is_none() {
        return Err(campaign_not_found(id));
    }
    let header_line =
        Ok::<_, std::io::Error>("code,coupon_id,times_redeemed,held,remaining,active\n".to_owned());
    let pages = futures::stream::unfold(Some(None), move |cursor: Option<Option<CouponId>>| {
        let app = app.clone();
        async move {
            let after = cursor?;
            let page = app
                .service
                .campaign_code_page(campaign_id, after, EXPORT_PAGE, ReadConsistency::Local)
                .await;
            match page {
                Ok(coupons) if coupons.is_empty() => None,
                Ok(coupons) => {
                    let next = (coupons.len() == EXPORT_PAGE).then(|| coupons.last().map(|c| c.id));
                    Some((Ok(csv_rows(&coupons)), next))
                }
                Err(error) => Some((Err(std::io::Error::other(error.to_string())), None)),
            }
        }
    });
    let body = Body::from_stream(futures::StreamExt::chain(
        futures::stream::once(async move { header_line }),
        pages,
    ));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}

fn csv_rows(coupons: &[Coupon]) -> String {
    let mut rows = String::with_capacity(coupons.len() * 48);
    for coupon in coupons {
        // Codes are `A-Z 0-9 - _`: nothing to quote.
        rows.push_str(&format!(
            "{},{},{},{},{},{}\n",
            coupon.code,
            coupon.id,
            coupon.times_redeemed,
            coupon.held,
            coupon.remaining(),
            coupon.active
        ));
    }
    rows
}

fn campaign_not_found(id: u64) -> ApiError {
    ApiError::new(ErrorCode::CampaignNotFound, format!("campaign {id} does not exist"))
}
