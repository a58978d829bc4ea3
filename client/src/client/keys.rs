//! API key endpoints of [`CouponClient`]: create, list, revoke (an admin key's calls).

use http::Method;

use super::call::Call;
use super::node_set::Route;
use super::{CouponClient, WriteReply};
use crate::api::{ApiKey, CreateKeyRequest, CreatedKey, IdempotencyKey, KeyList};
use crate::error::Result;
use crate::transport::Exchange;

impl<E: Exchange> CouponClient<E> {
    /// `POST /keys` with a fresh idempotency key. The answer holds the secret, shown this once
    /// (a replay of the same key answers without it).
    pub async fn create_key(&self, request: &CreateKeyRequest) -> Result<WriteReply<CreatedKey>> {
        let call = Call::with_body(Method::POST, "/keys".into(), request, Route::Leader)?;
        self.write(call, self.new_idempotency_key()).await
    }

    /// `GET /keys`: every key, revoked ones included, without secrets.
    pub async fn list_keys(&self) -> Result<KeyList> {
        let call = Call::bare(Method::GET, "/keys".into(), Route::Any);
        self.execute(&call).await?.decode()
    }

    /// `DELETE /keys/{id}`: once this answers, no node accepts the key.
    pub async fn revoke_key(&self, id: &str) -> Result<WriteReply<ApiKey>> {
        self.revoke_key_with_key(id, self.new_idempotency_key()).await
    }

    /// `DELETE /keys/{id}` deduplicated by the caller's `key`.
    pub async fn revoke_key_with_key(
        &self,
        id: &str,
        key: IdempotencyKey,
    ) -> Result<WriteReply<ApiKey>> {
        let call = Call::bare(Method::DELETE, format!("/keys/{id}"), Route::Leader);
        self.write(call, key).await
    }
}
