//! The checkout a `Racer` runs: placing holds on checkout coupons (some short enough to expire
//! during the run, some long), confirming them (some on purpose after their expiry), releasing
//! them, and redeeming the campaign's codes against its budget.

use std::time::Duration;

use coupon_client::api::{CouponId, ExternalId, HoldId, HoldRequest};
use coupon_client::HoldTarget;
use rand::Rng;

use super::history::{Call, Outcome};
use super::pinned::client_error_outcome;
use super::racer::Racer;

/// A hold this client saw placed and has not confirmed or released yet.
pub(super) struct PlacedHold {
    pub hold: u64,
    pub expires_at_ms: i64,
}

/// The chance that a confirm of a short hold waits until the hold has expired.
const LATE_CONFIRM_CHANCE: f64 = 0.5;
/// How far past a hold's expiry a late confirm is sent (log time follows the nodes' clocks).
const LATE_BY: Duration = Duration::from_millis(300);
/// The longest a client waits to send a confirm late.
const LATE_WAIT_MAX: Duration = Duration::from_secs(4);

impl Racer {
    pub(super) async fn place_hold(&mut self) {
        let Some(coupon) = self.checkout.coupons.pick(&mut self.rng) else { return };
        let tag = format!("{}-{}", self.index, self.sequence);
        let mut request = HoldRequest::new(format!("h{tag}"));
        if self.rng.gen_bool(0.5) {
            request.order_id = Some(ExternalId::new(format!("oh{tag}")));
        }
        let spec = self.spec.checkout;
        let (low, high) = if self.rng.gen_bool(spec.short_ttl_chance) {
            spec.ttl_short_seconds
        } else {
            spec.ttl_long_seconds
        };
        let ttl_seconds = self.rng.gen_range(low..=high);
        request.ttl_seconds = Some(ttl_seconds);
        let call = Call::PlaceHold {
            coupon: coupon.id,
            user: request.user_id.to_string(),
            order: request.order_id.as_ref().map(ToString::to_string),
            ttl_seconds,
        };
        let op = self.history.invoke(self.index, call);
        let key = self.client.new_idempotency_key();
        let target = HoldTarget::Id(CouponId(coupon.id));
        let outcome = match self.client.place_hold_with_key(target, &request, key).await {
            Ok(reply) => {
                let (hold, expires_at_ms) =
                    (reply.value.id.0, reply.value.expires_at.timestamp_millis());
                self.holds.push(PlacedHold { hold, expires_at_ms });
                Outcome::HoldPlaced { hold, expires_at_ms }
            }
            Err(error) => client_error_outcome(&error),
        };
        self.history.complete(op, outcome);
    }

    pub(super) async fn confirm_hold(&mut self) {
        let Some(placed) = self.take_hold() else { return };
        let wait_ms = placed.expires_at_ms - chrono::Utc::now().timestamp_millis();
        let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)) + LATE_BY;
        if wait <= LATE_WAIT_MAX && self.rng.gen_bool(LATE_CONFIRM_CHANCE) {
            madsim::time::sleep(wait).await;
        }
        let call = Call::ConfirmHold { hold: placed.hold, expires_at_ms: placed.expires_at_ms };
        let op = self.history.invoke(self.index, call);
        let key = self.client.new_idempotency_key();
        let outcome = match self.client.confirm_hold_with_key(HoldId(placed.hold), key).await {
            Ok(reply) => Outcome::Redeemed {
                redemption: reply.value.redemption.id.0,
                remaining: u32::try_from(reply.value.coupon.remaining).unwrap_or(u32::MAX),
                replayed: reply.replayed,
            },
            Err(error) => client_error_outcome(&error),
        };
        self.history.complete(op, outcome);
    }

    pub(super) async fn release_hold(&mut self) {
        let Some(placed) = self.take_hold() else { return };
        let op = self.history.invoke(self.index, Call::ReleaseHold { hold: placed.hold });
        let key = self.client.new_idempotency_key();
        let outcome = match self.client.release_hold_with_key(HoldId(placed.hold), key).await {
            Ok(_) => Outcome::HoldEnded,
            Err(error) => client_error_outcome(&error),
        };
        self.history.complete(op, outcome);
    }

    pub(super) async fn campaign_redeem(&mut self) {
        let Some(code) = self.checkout.campaign_codes.pick(&mut self.rng) else { return };
        self.redeem_coupon(code).await;
    }

    /// One of the client's open holds, at random; each is confirmed or released once.
    fn take_hold(&mut self) -> Option<PlacedHold> {
        if self.holds.is_empty() {
            return None;
        }
        Some(self.holds.swap_remove(self.rng.gen_range(0..self.holds.len())))
    }
}
