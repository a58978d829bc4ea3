//! The hold writes: place (a use set aside at checkout, on a redeem's terms), confirm (into a
//! redemption) and release; and the read of one hold as it stands in log time.

use coupon_client::api::{HoldRequest, ReadConsistency};
use raft_store::command::Command;
use raft_store::domain::{CouponId, Hold, HoldId};
use raft_store::idempotency::IdempotencyKey;

use super::{Caller, CouponService, ServiceError, WriteResult};
use crate::convert;

impl CouponService {
    /// Places a hold on `coupon_id`; by id and by code alike, its key binds to the id form.
    #[tracing::instrument(skip_all)]
    pub async fn place_hold(
        &self,
        coupon_id: CouponId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &HoldRequest,
    ) -> WriteResult {
        let route = format!("POST /coupons/{}/holds", coupon_id.0);
        let discount = self.coupon_discount(coupon_id).await?;
        let command = || convert::hold_command(coupon_id, request, discount.as_ref());
        self.write(caller, key, &route, request, command).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn confirm_hold(
        &self,
        hold_id: HoldId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
    ) -> WriteResult {
        let route = format!("POST /holds/{}/confirm", hold_id.0);
        self.write_by_path(caller, key, &route, Command::ConfirmHold { hold_id }).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn release_hold(
        &self,
        hold_id: HoldId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
    ) -> WriteResult {
        let route = format!("POST /holds/{}/release", hold_id.0);
        self.write_by_path(caller, key, &route, Command::ReleaseHold { hold_id }).await
    }

    /// The hold as it stands at the state's log time (a due one reads as expired).
    pub async fn hold(
        &self,
        hold_id: HoldId,
        consistency: ReadConsistency,
    ) -> Result<Option<Hold>, ServiceError> {
        self.read(consistency, |state| {
            let log_time = state.meta()?.log_time;
            Ok(state.hold(hold_id)?.map(|hold| hold.as_of(log_time)))
        })
        .await
    }
}
