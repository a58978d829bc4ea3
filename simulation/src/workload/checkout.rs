//! `Checkout`: the coupons clients place holds on, and the campaign whose codes share a budget.
//! Made before the faults start, through the real client; every one of them is a checkout
//! coupon, the campaign's codes are also redeemed outright against the budget.

use chrono::{TimeDelta, Utc};
use coupon_client::api::{Budget, CreateCampaignRequest, Discount, Metadata};
use coupon_client::CouponClient;
use rust_decimal::Decimal;

use super::history::History;
use super::pool::{CouponPool, PoolCoupon};
use super::setup::create_until_acknowledged;
use super::spec::CheckoutSpec;
use crate::net::SimExchange;

/// Attempts of each setup write before the faults start, where a failure means the cluster never
/// came up.
const SETUP_TRIES: u32 = 5;

#[derive(Clone, Default)]
pub struct Checkout {
    /// Every coupon holds are placed on: the campaign's codes and coupons of their own.
    pub coupons: CouponPool,
    /// The campaign's codes.
    pub campaign_codes: CouponPool,
}

impl Checkout {
    /// Creates the checkout coupons and the campaign with its codes (what was acknowledged of
    /// them: a run whose setup failed has fewer, and its checks say so elsewhere).
    pub async fn prepare(
        client: &CouponClient<SimExchange>,
        history: &History,
        client_index: usize,
        spec: &CheckoutSpec,
    ) -> Self {
        let checkout = Self::default();
        for index in 0..spec.coupons {
            let tag = format!("checkout-{index}");
            let limits = (spec.coupon_limit, None);
            let created =
                create_until_acknowledged(client, history, client_index, &tag, limits, SETUP_TRIES);
            if let Some(coupon) = created.await {
                checkout.coupons.add(coupon);
            }
        }
        for code in campaign_codes(client, spec).await {
            checkout.coupons.add(code);
            checkout.campaign_codes.add(code);
        }
        checkout
    }
}

/// Creates the campaign and imports its codes, each write retried with its own key until it is
/// acknowledged. Setup writes are not in the history: a campaign created twice by a lost answer
/// is a second campaign without codes, which no check counts.
async fn campaign_codes(
    client: &CouponClient<SimExchange>,
    spec: &CheckoutSpec,
) -> Vec<PoolCoupon> {
    let discount = Discount::Percentage { value: Decimal::new(10, 0), currency: None };
    let request = CreateCampaignRequest {
        name: "sim-campaign".to_owned(),
        discount,
        starts_at: None,
        // Far from expiring: a hold is cut at its coupon's expiry, and that is not what is tested.
        expires_at: Utc::now() + TimeDelta::days(365),
        usage_limit_per_code: u64::from(spec.code_limit),
        per_user_limit: None,
        min_order_amount: None,
        max_discount_amount: None,
        budget: Some(Budget { redemptions: u64::from(spec.budget) }),
        metadata: Metadata::new(),
    };
    let key = client.new_idempotency_key();
    let Some(campaign) = retried(|| client.create_campaign_with_key(&request, key.clone())).await
    else {
        return Vec::new();
    };
    let codes: Vec<String> = (0..spec.campaign_codes).map(|n| format!("SIMC-{n}")).collect();
    let key = client.new_idempotency_key();
    let id = campaign.id;
    let Some(imported) = retried(|| client.import_codes_with_key(id, &codes, key.clone())).await
    else {
        return Vec::new();
    };
    let first = imported.first_coupon_id.0;
    (first..first + imported.added)
        .map(|id| PoolCoupon { id, usage_limit: spec.code_limit, per_user_limit: None })
        .collect()
}

/// The value of the first acknowledged attempt of `write` (one key for all of them).
async fn retried<T, F>(write: impl Fn() -> F) -> Option<T>
where
    F: std::future::Future<Output = coupon_client::Result<coupon_client::WriteReply<T>>>,
{
    for _ in 0..SETUP_TRIES {
        if let Ok(reply) = write().await {
            return Some(reply.value);
        }
        madsim::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    None
}
