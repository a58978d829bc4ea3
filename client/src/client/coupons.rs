//! Coupon endpoints of [`CouponClient`]: generate, look up, validate, redeem, history, rollback.

use http::Method;

use super::call::{path_segment, Call};
use super::node_set::Route;
use super::{CouponClient, WriteReply};
use crate::api::{
    Coupon, CouponId, CouponList, CouponsQuery, CreateCouponRequest, HistoryPage, HistoryQuery,
    IdempotencyKey, ReadConsistency, ReadQuery, RedeemRequest, RedeemResponse, Redemption,
    RedemptionId, UpdateCouponRequest, ValidateQuery, ValidateResponse,
};
use crate::error::Result;
use crate::transport::Exchange;

impl<E: Exchange> CouponClient<E> {
    /// `POST /coupons/generate` with a fresh idempotency key.
    pub async fn generate(&self, request: &CreateCouponRequest) -> Result<WriteReply<Coupon>> {
        self.generate_with_key(request, self.new_idempotency_key()).await
    }

    /// `POST /coupons/generate` deduplicated by the caller's `key`.
    pub async fn generate_with_key(
        &self,
        request: &CreateCouponRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Coupon>> {
        let call =
            Call::with_body(Method::POST, "/coupons/generate".into(), request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /coupons/{id}`.
    pub async fn get_coupon(&self, id: CouponId, consistency: ReadConsistency) -> Result<Coupon> {
        let query = ReadQuery { consistency: explicit(consistency) };
        let call = Call::get(format!("/coupons/{id}"), &query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `GET /coupons?code=...` (case-insensitive). An unknown code is an `Api` error with
    /// `coupon_not_found`.
    pub async fn get_coupon_by_code(
        &self,
        code: &str,
        consistency: ReadConsistency,
    ) -> Result<Coupon> {
        let query = CouponsQuery::by_code(code, explicit(consistency));
        let call = Call::get("/coupons".into(), &query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `PATCH /coupons/{id}` deduplicated by the caller's `key`: the coupon with its new terms.
    pub async fn update_coupon_with_key(
        &self,
        id: CouponId,
        request: &UpdateCouponRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Coupon>> {
        let call =
            Call::with_body(Method::PATCH, format!("/coupons/{id}"), request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /coupons` without `code`: one page of the listing (`query.code` must be `None`).
    pub async fn list_coupons(&self, query: &CouponsQuery) -> Result<CouponList> {
        let call = Call::get("/coupons".into(), query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `GET /coupons/{id}/validate`: would a redeem succeed now? Never consumes a use.
    pub async fn validate(&self, id: CouponId, query: &ValidateQuery) -> Result<ValidateResponse> {
        let call = Call::get(format!("/coupons/{id}/validate"), query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `GET /codes/{code}/validate`: `validate` for a code as a shopper typed it (any case).
    pub async fn validate_code(
        &self,
        code: &str,
        query: &ValidateQuery,
    ) -> Result<ValidateResponse> {
        let call = Call::get(format!("/codes/{}/validate", path_segment(code)), query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `POST /codes/{code}/redeem` deduplicated by the caller's `key`: `redeem_with_key` for a
    /// code as a shopper typed it. An unknown code is an `Api` error with `coupon_not_found`.
    pub async fn redeem_code_with_key(
        &self,
        code: &str,
        request: &RedeemRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<RedeemResponse>> {
        let path = format!("/codes/{}/redeem", path_segment(code));
        let call = Call::with_body(Method::POST, path, request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `POST /coupons/{id}/redeem` with a fresh idempotency key. A rejection (409) is an `Api`
    /// error whose [`crate::ClientError::code`] is the rejection reason.
    pub async fn redeem(
        &self,
        id: CouponId,
        request: &RedeemRequest,
    ) -> Result<WriteReply<RedeemResponse>> {
        self.redeem_with_key(id, request, self.new_idempotency_key()).await
    }

    /// `POST /coupons/{id}/redeem` deduplicated by the caller's `key`.
    pub async fn redeem_with_key(
        &self,
        id: CouponId,
        request: &RedeemRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<RedeemResponse>> {
        let path = format!("/coupons/{id}/redeem");
        let call = Call::with_body(Method::POST, path, request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /coupons/{id}/redemptions`: one page of history, oldest first.
    pub async fn history(&self, id: CouponId, query: &HistoryQuery) -> Result<HistoryPage> {
        let call = Call::get(format!("/coupons/{id}/redemptions"), query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `POST /redemptions/{id}/rollback` with a fresh idempotency key.
    pub async fn rollback(&self, id: RedemptionId) -> Result<WriteReply<Redemption>> {
        self.rollback_with_key(id, self.new_idempotency_key()).await
    }

    /// `POST /redemptions/{id}/rollback` deduplicated by the caller's `key`. Sent without a
    /// body: the path says everything.
    pub async fn rollback_with_key(
        &self,
        id: RedemptionId,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Redemption>> {
        let call = Call::bare(Method::POST, format!("/redemptions/{id}/rollback"), Route::Leader);
        self.write(call, key).await
    }

    /// Sends a logical write with `key` on every attempt and reports whether it was replayed.
    pub(super) async fn write<T: serde::de::DeserializeOwned>(
        &self,
        call: Call,
        key: IdempotencyKey,
    ) -> Result<WriteReply<T>> {
        let answer = self.execute(&call.idempotent(key.clone())).await?;
        Ok(WriteReply { value: answer.decode()?, replayed: answer.replayed, idempotency_key: key })
    }
}

/// The default (linearizable) is left out of the query string; only `local` is spelled out.
pub(super) fn explicit(consistency: ReadConsistency) -> Option<ReadConsistency> {
    (consistency != ReadConsistency::default()).then_some(consistency)
}
