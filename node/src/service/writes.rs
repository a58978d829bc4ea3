//! The coupon writes: create, redeem, roll back, deactivate, reactivate; and the audit note of a
//! membership change.
//!
//! A key binds to a fingerprint of its request (method, concrete path and canonical body), so
//! that reuse with another request is caught. The body is the parsed request re-serialised, so
//! that whitespace and field order do not change the fingerprint.

use chrono::Utc;
use coupon_client::api::{CreateCouponRequest, RedeemRequest, UpdateCouponRequest};
use raft_store::command::{Command, KeyedCommand, MembershipNote};
use raft_store::domain::{CouponId, RedemptionId};
use raft_store::idempotency::IdempotencyKey;
use raft_store::limits::GENERATED_CODE_LENGTH;
use rand::RngCore;

use super::{submit, token, Caller, CouponService, WriteResult};
use crate::convert;

impl CouponService {
    /// Creates a coupon; its code is drawn here when the request names none.
    #[tracing::instrument(skip_all)]
    pub async fn create_coupon(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &CreateCouponRequest,
    ) -> WriteResult {
        let idempotency = token(key, "POST /coupons/generate", request)?;
        // Drawn from the OS source, which the simulation makes deterministic; apply never draws.
        let mut entropy = [0u8; GENERATED_CODE_LENGTH];
        rand::rngs::OsRng.fill_bytes(&mut entropy);
        let (code, terms) = convert::new_coupon(request, Utc::now(), entropy)?;
        submit(
            &self.proposer,
            KeyedCommand {
                idempotency,
                actor: caller.key_id.clone(),
                command: Command::CreateCoupon { code, terms },
            },
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn redeem(
        &self,
        coupon_id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &RedeemRequest,
    ) -> WriteResult {
        let idempotency = token(key, &format!("POST /coupons/{}/redeem", coupon_id.0), request)?;
        let command = Command::Redeem(convert::redeem_command(coupon_id, request)?);
        submit(&self.proposer, KeyedCommand { idempotency, actor: caller.key_id.clone(), command })
            .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn roll_back(
        &self,
        id: RedemptionId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
    ) -> WriteResult {
        let route = format!("POST /redemptions/{}/rollback", id.0);
        self.write_by_path(caller, key, &route, Command::RollBack { redemption_id: id }).await
    }

    /// Changes a coupon's terms (`PATCH`): each field checked as create checks it, the rules
    /// between terms and against the uses taken by apply.
    #[tracing::instrument(skip_all)]
    pub async fn update_coupon(
        &self,
        id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &UpdateCouponRequest,
    ) -> WriteResult {
        let idempotency = token(key, &format!("PATCH /coupons/{}", id.0), request)?;
        let changes = convert::coupon_changes(request, Utc::now())?;
        let command = Command::UpdateCoupon { coupon_id: id, changes };
        submit(&self.proposer, KeyedCommand { idempotency, actor: caller.key_id.clone(), command })
            .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn deactivate(
        &self,
        id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
    ) -> WriteResult {
        let route = format!("POST /coupons/{}/deactivate", id.0);
        self.write_by_path(caller, key, &route, Command::Deactivate { coupon_id: id }).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn reactivate(
        &self,
        id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
    ) -> WriteResult {
        let route = format!("POST /coupons/{}/reactivate", id.0);
        self.write_by_path(caller, key, &route, Command::Reactivate { coupon_id: id }).await
    }

    /// Records a completed membership change and who made it in the audit trail (membership
    /// itself is Raft's, committed before this).
    #[tracing::instrument(skip_all)]
    pub async fn note_membership_change(
        &self,
        caller: &Caller,
        note: MembershipNote,
    ) -> WriteResult {
        let command = Command::NoteMembershipChange(note);
        submit(
            &self.proposer,
            KeyedCommand { idempotency: None, actor: caller.key_id.clone(), command },
        )
        .await
    }

    /// A write with no body: its method and path are the whole request, and its fingerprint.
    async fn write_by_path(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        route: &str,
        command: Command,
    ) -> WriteResult {
        let idempotency = token(key, route, &())?;
        submit(&self.proposer, KeyedCommand { idempotency, actor: caller.key_id.clone(), command })
            .await
    }
}
