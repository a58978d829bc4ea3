//! Hold endpoints of [`CouponClient`]: place a hold (by id or by code), confirm, release, read.

use http::Method;

use super::call::{path_segment, Call};
use super::coupons::explicit;
use super::node_set::Route;
use super::{CouponClient, WriteReply};
use crate::api::{
    CouponId, Hold, HoldId, HoldRequest, IdempotencyKey, ReadConsistency, ReadQuery, RedeemResponse,
};
use crate::error::Result;
use crate::transport::Exchange;

/// Which coupon a hold is placed on: by id, or by its code as a shopper typed it.
#[derive(Debug, Clone, Copy)]
pub enum HoldTarget<'a> {
    Id(CouponId),
    Code(&'a str),
}

impl<E: Exchange> CouponClient<E> {
    /// `POST /coupons/{id}/holds` or `/codes/{code}/holds`, deduplicated by the caller's `key`.
    /// A refusal is an `Api` error with the redeem's code (`usage_limit_reached`, ...).
    pub async fn place_hold_with_key(
        &self,
        target: HoldTarget<'_>,
        request: &HoldRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Hold>> {
        let path = match target {
            HoldTarget::Id(id) => format!("/coupons/{id}/holds"),
            HoldTarget::Code(code) => format!("/codes/{}/holds", path_segment(code)),
        };
        let call = Call::with_body(Method::POST, path, request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `POST /holds/{id}/confirm`: the redemption, as a redeem answers. An expired hold is an
    /// `Api` error with `hold_expired`.
    pub async fn confirm_hold_with_key(
        &self,
        id: HoldId,
        key: IdempotencyKey,
    ) -> Result<WriteReply<RedeemResponse>> {
        let call = Call::bare(Method::POST, format!("/holds/{id}/confirm"), Route::Leader);
        self.write(call, key).await
    }

    /// `POST /holds/{id}/release`: the hold, ended.
    pub async fn release_hold_with_key(
        &self,
        id: HoldId,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Hold>> {
        let call = Call::bare(Method::POST, format!("/holds/{id}/release"), Route::Leader);
        self.write(call, key).await
    }

    /// `GET /holds/{id}`.
    pub async fn get_hold(&self, id: HoldId, consistency: ReadConsistency) -> Result<Hold> {
        let query = ReadQuery { consistency: explicit(consistency) };
        let call = Call::get(format!("/holds/{id}"), &query, Route::Any)?;
        self.execute(&call).await?.decode()
    }
}
