//! The `Idempotency-Key` header: validated, and bound to a fingerprint of the request it came
//! with (method, concrete path and canonical body) so that reuse with another request is caught.

use axum::http::HeaderMap;
use coupon_client::api::header::IDEMPOTENCY_KEY;
use raft_store::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
use serde::Serialize;

use super::ApiError;

/// `route` is the method and concrete path (`POST /coupons/42/redeem`); `body` the parsed request,
/// re-serialised so that whitespace and field order do not change the fingerprint.
pub fn idempotency_token(
    headers: &HeaderMap,
    route: &str,
    body: &impl Serialize,
) -> Result<Option<IdempotencyToken>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let field = IDEMPOTENCY_KEY;
    let raw =
        value.to_str().map_err(|_| ApiError::invalid_field(field, "must be printable ASCII"))?;
    let key = IdempotencyKey::parse(raw)
        .map_err(|invalid| ApiError::invalid_field(field, invalid.to_string()))?;
    let canonical = serde_json::to_vec(body).map_err(|error| ApiError::internal(&error))?;
    let fingerprint = Fingerprint::of(&[route.as_bytes(), &canonical]);
    Ok(Some(IdempotencyToken { key, fingerprint }))
}
