//! `coupon hold`, `coupon confirm` and `coupon release`: a use set aside at checkout, then
//! redeemed once payment succeeds or given back.

use anyhow::Context as _;
use clap::Args;
use coupon_client::api::{HoldId, HoldRequest};
use coupon_client::{HoldTarget, HttpCouponClient};

use crate::coupon_ref::CouponRef;
use crate::exit::Done;
use crate::output::Output;
use crate::redeem::{idempotency_key, CheckoutArgs};
use crate::render;

#[derive(Debug, Args)]
pub struct HoldArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    #[command(flatten)]
    checkout: CheckoutArgs,
    /// Seconds the use stays set aside (1 to 86400; the service's default, 900, when absent).
    #[arg(long = "ttl", value_name = "SECONDS")]
    ttl_seconds: Option<u32>,
    /// Idempotency-Key of this write (default: a fresh one).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct HoldRefArgs {
    /// The hold.
    hold: u64,
    /// Idempotency-Key of this write (default: a fresh one).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

impl HoldArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let key = idempotency_key(self.idempotency_key.as_deref())?
            .unwrap_or_else(|| client.new_idempotency_key());
        let redeem = self.checkout.redeem_request();
        let request = HoldRequest {
            user_id: redeem.user_id,
            order_id: redeem.order_id,
            order_amount: redeem.order_amount,
            currency: redeem.currency,
            ttl_seconds: self.ttl_seconds,
        };
        let target = match &self.coupon {
            CouponRef::Id(id) => HoldTarget::Id(*id),
            CouponRef::Code(code) => HoldTarget::Code(code),
        };
        let coupon = &self.coupon;
        let reply = client
            .place_hold_with_key(target, &request, key.clone())
            .await
            .with_context(|| format!("hold a use of coupon {coupon} (Idempotency-Key {key})"))?;
        output.emit(&reply.value, || render::hold(&reply.value, reply.replayed));
        Ok(Done::Success)
    }
}

impl HoldRefArgs {
    pub async fn confirm(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let key = idempotency_key(self.idempotency_key.as_deref())?
            .unwrap_or_else(|| client.new_idempotency_key());
        let id = HoldId(self.hold);
        let reply = client
            .confirm_hold_with_key(id, key.clone())
            .await
            .with_context(|| format!("confirm hold {id} (Idempotency-Key {key})"))?;
        output.emit(&reply.value, || render::redeemed(&reply.value, reply.replayed));
        Ok(Done::Success)
    }

    pub async fn release(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let key = idempotency_key(self.idempotency_key.as_deref())?
            .unwrap_or_else(|| client.new_idempotency_key());
        let id = HoldId(self.hold);
        let reply = client
            .release_hold_with_key(id, key.clone())
            .await
            .with_context(|| format!("release hold {id} (Idempotency-Key {key})"))?;
        output.emit(&reply.value, || render::hold(&reply.value, reply.replayed));
        Ok(Done::Success)
    }
}
