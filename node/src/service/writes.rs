//! The coupon writes: create, redeem, change, roll back, deactivate, reactivate; and the audit
//! note of a membership change.
//!
//! A key binds to a fingerprint of its request (method, concrete path and canonical body), so
//! that reuse with another request is caught. The body is the parsed request re-serialised, so
//! that whitespace and field order do not change the fingerprint.
//!
//! Every write takes one path (`CouponService::write`): bind the key, answer a replay from the
//! stored outcome, run the node's own checks (some depend on its clock), submit. A replay is
//! answered before any check that depends on time or on the node: a request that passed them
//! once is never refused by them on its retry.

use coupon_client::api::ReadConsistency as Consistency;
use coupon_client::api::{CreateCouponRequest, RedeemRequest, UpdateCouponRequest};
use raft_store::apply::replay;
use raft_store::command::{Command, KeyedCommand, MembershipNote};
use raft_store::domain::{CouponId, RedemptionId};
use raft_store::idempotency::{IdempotencyKey, IdempotencyToken};
use raft_store::limits::GENERATED_CODE_LENGTH;
use raft_store::outcome::AppliedOutcome;

use super::{submit, token, Caller, CouponService, ServiceError, WriteResult};
use crate::convert::{self, InvalidFields};

impl CouponService {
    /// Creates a coupon; its code is drawn here when the request names none.
    #[tracing::instrument(skip_all)]
    pub async fn create_coupon(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &CreateCouponRequest,
    ) -> WriteResult {
        let route = "POST /coupons/generate";
        let command = || {
            // Drawn here, never in apply, so every replica applies the same code.
            let mut entropy = [0u8; GENERATED_CODE_LENGTH];
            crate::entropy::fill(&mut entropy);
            let (code, terms) = convert::new_coupon(request, self.now(), entropy)?;
            Ok(Command::CreateCoupon { code, terms })
        };
        self.write(caller, key, route, request, command).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn redeem(
        &self,
        coupon_id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &RedeemRequest,
    ) -> WriteResult {
        let route = format!("POST /coupons/{}/redeem", coupon_id.0);
        // Whether the order must name a currency is the coupon's (apply checks it again: a
        // percentage may have gained one since this node's state was read).
        let discount = self.coupon_discount(coupon_id).await?;
        let command =
            || Ok(Command::Redeem(convert::redeem_command(coupon_id, request, discount.as_ref())?));
        self.write(caller, key, &route, request, command).await
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
        let route = format!("PATCH /coupons/{}", id.0);
        // The money bounds are held to the coupon's discount (its kind never changes; its
        // currency only by a request like this one, which apply checks again).
        let discount = self.coupon_discount(id).await?;
        let command = || {
            let changes = convert::coupon_changes(request, self.now(), discount.as_ref())?;
            Ok(Command::UpdateCoupon { coupon_id: id, changes })
        };
        self.write(caller, key, &route, request, command).await
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
    pub(super) async fn write_by_path(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        route: &str,
        command: Command,
    ) -> WriteResult {
        self.write(caller, key, route, &(), || Ok(command)).await
    }

    /// The one path of a keyed write. `command` runs the node's own checks of the request and
    /// converts it; a replay is answered before it (from this node's state, which holds only
    /// committed records), and again, linearizably, when it refuses the request: a key whose
    /// record this node has not applied yet is answered from the leader's state, not refused.
    pub(super) async fn write(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        route: &str,
        body: &impl serde::Serialize,
        command: impl FnOnce() -> Result<Command, InvalidFields>,
    ) -> WriteResult {
        let idempotency = token(key, route, body)?;
        if let Some(stored) = self.stored_answer(idempotency.as_ref(), Consistency::Local).await? {
            return Ok(stored);
        }
        let command = match command() {
            Ok(command) => command,
            Err(refusal) => {
                let stored =
                    self.stored_answer(idempotency.as_ref(), Consistency::Linearizable).await?;
                return stored.ok_or(ServiceError::Invalid(refusal));
            }
        };
        submit(&self.proposer, KeyedCommand { idempotency, actor: caller.key_id.clone(), command })
            .await
    }

    /// What apply would answer for `token` because its key was used before (`raft_store::replay`),
    /// read at `consistency`; `None` when the key is new (or the request has none).
    async fn stored_answer(
        &self,
        token: Option<&IdempotencyToken>,
        consistency: Consistency,
    ) -> Result<Option<AppliedOutcome>, ServiceError> {
        let Some(token) = token else { return Ok(None) };
        let record = self.read(consistency, |state| state.idempotency_record(&token.key)).await?;
        Ok(record.map(|record| replay(token, record)))
    }
}
