//! `coupon validate`, `coupon redeem` and `coupon rollback`: the redemption family, and what a
//! redeem and a hold both say about the checkout.

use anyhow::Context as _;
use clap::Args;
use coupon_client::api::{
    Currency, ExternalId, IdempotencyKey, RedeemRequest, RedemptionId, ValidateQuery,
};
use coupon_client::HttpCouponClient;
use rust_decimal::Decimal;

use crate::coupon_ref::CouponRef;
use crate::exit::{Done, UsageError};
use crate::lookup::consistency;
use crate::output::Output;
use crate::render;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    /// Check the per-user limit for this user.
    #[arg(long = "user", value_name = "USER_ID")]
    user_id: Option<String>,
    /// For the discount amount and the minimum order; needs --currency.
    #[arg(long, value_name = "AMOUNT", requires = "currency")]
    order_amount: Option<Decimal>,
    /// The order's currency: needed with --order-amount and for a coupon in a currency.
    #[arg(long)]
    currency: Option<String>,
    /// Read this node's possibly stale state instead of a linearizable read.
    #[arg(long)]
    local: bool,
}

#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    #[command(flatten)]
    checkout: CheckoutArgs,
    /// Idempotency-Key of this write, to retry it safely later (default: a fresh one).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

/// Who takes a use and for which order: what a redeem and a hold both say.
#[derive(Debug, Args)]
pub struct CheckoutArgs {
    /// Who redeems.
    #[arg(long = "user", value_name = "USER_ID")]
    user_id: String,
    /// The order; a coupon redeems at most once per order.
    #[arg(long = "order", value_name = "ORDER_ID")]
    order_id: Option<String>,
    /// The order's amount (for percentage discounts and minimum orders); needs --currency.
    #[arg(long, value_name = "AMOUNT", requires = "currency")]
    order_amount: Option<Decimal>,
    /// The order's currency: needed with --order-amount and for a coupon in a currency.
    #[arg(long)]
    currency: Option<String>,
}

impl CheckoutArgs {
    pub fn redeem_request(self) -> RedeemRequest {
        RedeemRequest {
            user_id: ExternalId::from(self.user_id),
            order_id: self.order_id.map(ExternalId::from),
            order_amount: self.order_amount,
            currency: self.currency.as_deref().map(currency),
        }
    }
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The redemption to undo.
    redemption: u64,
    /// Idempotency-Key of this write (default: a fresh one).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

impl ValidateArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let query = ValidateQuery {
            user_id: self.user_id.map(ExternalId::from),
            order_amount: self.order_amount,
            currency: self.currency.as_deref().map(currency),
            consistency: Some(consistency(self.local)).filter(|_| self.local),
        };
        let answer = match &self.coupon {
            CouponRef::Id(id) => client.validate(*id, &query).await,
            CouponRef::Code(code) => client.validate_code(code, &query).await,
        };
        let answer = answer.context("validate")?;
        let coupon = &self.coupon;
        output.emit(&answer, || match answer.reason {
            None => format!(
                "valid: coupon {coupon}, {} uses left, discount {}",
                render::optional(answer.remaining),
                render::optional(answer.discount_amount),
            ),
            Some(reason) => format!("not valid: {reason}"),
        });
        Ok(if answer.valid { Done::Success } else { Done::Rejected })
    }
}

impl RedeemArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let key = idempotency_key(self.idempotency_key.as_deref())?;
        let request = self.checkout.redeem_request();
        let key = key.unwrap_or_else(|| client.new_idempotency_key());
        let reply = match &self.coupon {
            CouponRef::Id(id) => client.redeem_with_key(*id, &request, key.clone()).await,
            CouponRef::Code(code) => client.redeem_code_with_key(code, &request, key.clone()).await,
        };
        let coupon = &self.coupon;
        let reply =
            reply.with_context(|| format!("redeem coupon {coupon} (Idempotency-Key {key})"))?;
        output.emit(&reply.value, || render::redeemed(&reply.value, reply.replayed));
        Ok(Done::Success)
    }
}

impl RollbackArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let key = idempotency_key(self.idempotency_key.as_deref())?
            .unwrap_or_else(|| client.new_idempotency_key());
        let id = RedemptionId(self.redemption);
        let reply = client
            .rollback_with_key(id, key.clone())
            .await
            .with_context(|| format!("roll back redemption {id} (Idempotency-Key {key})"))?;
        output.emit(&reply.value, || render::rolled_back(&reply.value, reply.replayed));
        Ok(Done::Success)
    }
}

pub fn idempotency_key(text: Option<&str>) -> anyhow::Result<Option<IdempotencyKey>> {
    text.map(|text| IdempotencyKey::new(text).map_err(|error| UsageError(error.to_string()).into()))
        .transpose()
}

fn currency(text: &str) -> Currency {
    Currency::new(text.trim().to_uppercase())
}
