//! The `Idempotency-Key` header, checked by the contract's one rule (`api::IdempotencyKey`, the
//! client's own check). The service binds the key to its request.

use axum::http::HeaderMap;
use coupon_client::api::header::IDEMPOTENCY_KEY;
use coupon_client::api::IdempotencyKey as WireKey;
use raft_store::idempotency::IdempotencyKey;

use super::ApiError;

/// The request's key; `None` when it sent none.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let field = IDEMPOTENCY_KEY;
    let raw =
        value.to_str().map_err(|_| ApiError::invalid_field(field, "must be printable ASCII"))?;
    let key =
        WireKey::new(raw).map_err(|invalid| ApiError::invalid_field(field, invalid.to_string()))?;
    Ok(Some(IdempotencyKey::from_validated(key.as_str().to_owned())))
}
