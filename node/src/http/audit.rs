//! `GET /audit`: the audit trail, paged like history, each record with its chain hash.

use axum::extract::State;
use axum::Json;
use coupon_client::api::{AuditPage, AuditQuery, AuditRecord};
use raft_store::domain::AuditId;

use super::app::AppState;
use super::coupons::{page_limit, page_of};
use super::extract::QueryParams;
use super::problems::ReadProblems;
use super::ApiError;

/// The audit trail, oldest first.
///
/// Every change to coupons, keys and membership, with the key that made it, the subject before
/// and after, and `hash`: the lower-case hex SHA-256 of the previous record's `hash` (64 zeros
/// before the first) followed by this record without `hash` as RFC 8785 canonical JSON. A
/// removed, inserted or altered record breaks the chain there (`coupon audit verify`).
#[utoipa::path(
    get, path = "/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "One page; `next_after` is null on the last", body = AuditPage),
        ReadProblems,
    )
)]
pub async fn list_audit(
    State(app): State<AppState>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let consistency = query.consistency.unwrap_or_default();
    let after = query.after.map(AuditId);
    let records = app
        .service
        .read(consistency, |state| state.audit_records(after, limit.saturating_add(1)))
        .await?;
    let (records, next_after) = page_of(records, limit, |record| record.id.0);
    let records = records.iter().map(wire_record).collect::<Result<_, _>>()?;
    Ok(Json(AuditPage { records, next_after }))
}

/// The stored record as served: its hashed body plus its hash.
fn wire_record(record: &raft_store::domain::AuditRecord) -> Result<AuditRecord, ApiError> {
    let mut body = record.body();
    body["hash"] = serde_json::Value::from(record.hash.clone());
    serde_json::from_value(body).map_err(|error| ApiError::internal(&error))
}
