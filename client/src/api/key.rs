//! API keys: `POST /keys`, `GET /keys`, `DELETE /keys/{id}`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// Every route: coupons, keys, cluster membership.
    Admin,
    /// Validate and redeem (by id or by code) and holds; nothing that lists, creates or edits
    /// coupons, nothing that reads redemption history.
    Storefront,
    /// Every `GET`, `/metrics` included; nothing that writes.
    Readonly,
}

/// Body of `POST /keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub role: KeyRole,
    /// Free text for the operator (at most 64 characters, no control characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]{0,64}$", example = "web-eu")
    )]
    pub label: String,
}

/// A key as `GET /keys` lists it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    #[cfg_attr(feature = "openapi", schema(example = "key_7hx2k9qw3m1p0zta"))]
    pub id: String,
    pub role: KeyRole,
    pub label: String,
    pub created_at: DateTime<Utc>,
    /// Set once the key is revoked; a revoked key stays listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// 201 answer of `POST /keys`: the key and, this once, its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send it as `Authorization: Bearer <secret>`. Only its digest is kept: it cannot be shown
    /// again (a replay of the creation answers without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// 200 answer of `GET /keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    /// Every key, in id order, revoked ones included.
    pub keys: Vec<ApiKey>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_created_key_shows_its_secret_beside_the_key_fields() {
        let created = CreatedKey {
            key: ApiKey {
                id: "key_abc".into(),
                role: KeyRole::Storefront,
                label: "web-eu".into(),
                created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                revoked_at: None,
            },
            secret: Some("cpk_s".into()),
        };
        assert_eq!(
            serde_json::to_value(&created).unwrap(),
            json!({"id": "key_abc", "role": "storefront", "label": "web-eu",
                   "created_at": "2026-01-01T00:00:00Z", "secret": "cpk_s"})
        );
    }

    #[test]
    fn a_create_request_takes_a_known_role_and_nothing_else() {
        let parsed: CreateKeyRequest = serde_json::from_value(json!({"role": "readonly"})).unwrap();
        assert_eq!(parsed, CreateKeyRequest { role: KeyRole::Readonly, label: String::new() });
        assert!(serde_json::from_value::<CreateKeyRequest>(json!({"role": "root"})).is_err());
        assert!(
            serde_json::from_value::<CreateKeyRequest>(json!({"role": "admin", "x": 1})).is_err()
        );
    }
}
