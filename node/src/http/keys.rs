//! The API key endpoints: create, list and revoke (admin only, like every write of the catalogue).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use coupon_client::api::{self, CreateKeyRequest, CreatedKey, IdempotencyKey, KeyList};
use raft_store::domain::{KeyId, KeyLabel};
use raft_store::outcome::Outcome;

use super::app::AppState;
use super::extract::JsonBody;
use super::idempotency::idempotency_key;
use super::outcome::{render, Subject};
use super::problems::{CreateKeyProblems, ReadProblems, RevokeKeyProblems};
use super::ApiError;
use crate::convert;
use crate::service::Caller;

/// Header of a revocation's answer naming the members that had not confirmed it in time.
const UNCONFIRMED_HEADER: &str = "Revocation-Unconfirmed";

/// Create an API key.
///
/// The answer shows the key's secret this once; only its digest is kept. A replay of the same
/// `Idempotency-Key` answers the key without its secret.
#[utoipa::path(
    post, path = "/keys", tag = "keys",
    params(IdempotencyKey),
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "Created: the key and its secret", body = CreatedKey),
        CreateKeyProblems,
    )
)]
pub async fn create_key(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateKeyRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let label = KeyLabel::parse(&request.label)
        .map_err(|invalid| ApiError::invalid_field("label", invalid.to_string()))?;
    let role = convert::domain_role(request.role);
    let created = app.keys.create(role, label, &caller, key, &request).await?;
    match (&created.applied.outcome, created.secret) {
        (Outcome::KeyCreated(key), Some(secret)) => {
            let body = CreatedKey { key: convert::api_key(key), secret: Some(secret) };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        _ => Ok(render(created.applied, Subject::NewKey)),
    }
}

/// List the API keys, revoked ones included; never their secrets.
#[utoipa::path(
    get, path = "/keys", tag = "keys",
    responses((status = 200, description = "Every key", body = KeyList), ReadProblems)
)]
pub async fn list_keys(State(app): State<AppState>) -> Result<Json<KeyList>, ApiError> {
    let keys = app.keys.list().await?;
    Ok(Json(KeyList { keys: keys.iter().map(convert::api_key).collect() }))
}

/// Revoke an API key, for good.
///
/// Answers once every member has applied the revocation, so from then on no node accepts the
/// key. A member that could not confirm within the request's time (it is down or cut off) is
/// named in `Revocation-Unconfirmed`; it refuses the key as soon as it catches up. Revoking a
/// revoked key answers it again.
#[utoipa::path(
    delete, path = "/keys/{id}", tag = "keys",
    params(
        ("id" = String, Path, description = "The key's id (`key_…`)", pattern = "^key_[a-z0-9]{1,16}$"),
        IdempotencyKey,
    ),
    responses(
        (status = 200, description = "The key, revoked", body = api::ApiKey,
            headers(("Revocation-Unconfirmed" = String,
                description = "Ids of the members that had not confirmed, comma-separated"))),
        RevokeKeyProblems,
    )
)]
pub async fn revoke_key(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id =
        KeyId::parse(&raw).map_err(|invalid| ApiError::invalid_field("id", invalid.to_string()))?;
    let key = idempotency_key(&headers)?;
    let revoked = app.keys.revoke(id.clone(), &caller, key).await?;
    let mut response = render(revoked.applied, Subject::Key(id));
    if !revoked.unconfirmed.is_empty() {
        let ids: Vec<String> = revoked.unconfirmed.iter().map(u64::to_string).collect();
        if let Ok(value) = HeaderValue::from_str(&ids.join(",")) {
            response.headers_mut().insert(UNCONFIRMED_HEADER, value);
        }
    }
    Ok(response)
}
