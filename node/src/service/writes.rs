//! The coupon writes: create, redeem, roll back, deactivate, reactivate.
//!
//! A key binds to a fingerprint of its request (method, concrete path and canonical body), so
//! that reuse with another request is caught. The body is the parsed request re-serialised, so
//! that whitespace and field order do not change the fingerprint.

use chrono::Utc;
use coupon_client::api::{CreateCouponRequest, RedeemRequest};
use raft_store::command::{Command, KeyedCommand};
use raft_store::domain::{CouponId, RedemptionId};
use raft_store::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
use raft_store::limits::GENERATED_CODE_LENGTH;
use rand::RngCore;
use serde::Serialize;

use super::{CouponService, WriteResult};
use crate::convert;

impl CouponService {
    /// Creates a coupon; its code is drawn here when the request names none.
    #[tracing::instrument(skip_all)]
    pub async fn create_coupon(
        &self,
        key: Option<IdempotencyKey>,
        request: &CreateCouponRequest,
    ) -> WriteResult {
        let idempotency = token(key, "POST /coupons/generate", request)?;
        // Drawn from the OS source, which the simulation makes deterministic; apply never draws.
        let mut entropy = [0u8; GENERATED_CODE_LENGTH];
        rand::rngs::OsRng.fill_bytes(&mut entropy);
        let (code, terms) = convert::new_coupon(request, Utc::now(), entropy)?;
        self.submit(KeyedCommand { idempotency, command: Command::CreateCoupon { code, terms } })
            .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn redeem(
        &self,
        coupon_id: CouponId,
        key: Option<IdempotencyKey>,
        request: &RedeemRequest,
    ) -> WriteResult {
        let idempotency = token(key, &format!("POST /coupons/{}/redeem", coupon_id.0), request)?;
        let command = Command::Redeem(convert::redeem_command(coupon_id, request)?);
        self.submit(KeyedCommand { idempotency, command }).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn roll_back(&self, id: RedemptionId, key: Option<IdempotencyKey>) -> WriteResult {
        let route = format!("POST /redemptions/{}/rollback", id.0);
        self.write_by_path(key, &route, Command::RollBack { redemption_id: id }).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn deactivate(&self, id: CouponId, key: Option<IdempotencyKey>) -> WriteResult {
        let route = format!("POST /coupons/{}/deactivate", id.0);
        self.write_by_path(key, &route, Command::Deactivate { coupon_id: id }).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn reactivate(&self, id: CouponId, key: Option<IdempotencyKey>) -> WriteResult {
        let route = format!("POST /coupons/{}/reactivate", id.0);
        self.write_by_path(key, &route, Command::Reactivate { coupon_id: id }).await
    }

    /// A write with no body: its method and path are the whole request, and its fingerprint.
    async fn write_by_path(
        &self,
        key: Option<IdempotencyKey>,
        route: &str,
        command: Command,
    ) -> WriteResult {
        let idempotency = token(key, route, &())?;
        self.submit(KeyedCommand { idempotency, command }).await
    }

    /// Writes `request` through the Raft log; the answer is what apply decided for it. The
    /// command is held to the state's bounds first (the conversions above keep them already; this
    /// is the check every command passes where it enters the log, as `/peer/propose` does).
    async fn submit(&self, request: KeyedCommand) -> WriteResult {
        request.check_bounds().map_err(convert::out_of_bounds)?;
        Ok(self.proposer.propose(request).await?)
    }
}

/// `route` is the method and concrete path (`POST /coupons/42/redeem`).
fn token(
    key: Option<IdempotencyKey>,
    route: &str,
    body: &impl Serialize,
) -> Result<Option<IdempotencyToken>, serde_json::Error> {
    let Some(key) = key else { return Ok(None) };
    let canonical = serde_json::to_vec(body)?;
    let fingerprint = Fingerprint::of(&[route.as_bytes(), &canonical]);
    Ok(Some(IdempotencyToken { key, fingerprint }))
}
