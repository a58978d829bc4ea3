//! Creating coupons: the race coupons before the faults start, more while they run, and the
//! liveness coupon that the post-heal check redeems.

use chrono::{TimeDelta, Utc};
use coupon_client::api::{CreateCouponRequest, Discount, Metadata};
use coupon_client::CouponClient;
use rust_decimal::Decimal;

use super::history::{Call, History, Outcome};
use super::pinned::client_error_outcome;
use super::pool::PoolCoupon;
use crate::net::SimExchange;

/// Creates a coupon with code `SIM-<tag>` and metadata marker `<tag>` through the real client;
/// returns it when the creation was acknowledged.
pub async fn create_coupon(
    client: &CouponClient<SimExchange>,
    history: &History,
    client_index: usize,
    tag: &str,
    (usage_limit, per_user_limit): (u32, Option<u32>),
) -> Option<PoolCoupon> {
    let code = format!("SIM-{tag}");
    let mut metadata = Metadata::new();
    metadata.insert("marker".to_owned(), serde_json::Value::String(tag.to_owned()));
    let discount = Discount::Percentage { value: Decimal::new(10, 0), currency: None };
    // Far from expiring: expiry is not what these runs test.
    let expires_at = Utc::now() + TimeDelta::days(365);
    let mut request = CreateCouponRequest::new(discount, expires_at, u64::from(usage_limit));
    request.code = Some(code.clone());
    request.metadata = metadata;
    request.per_user_limit = per_user_limit.map(u64::from);
    let call = Call::Create { marker: tag.to_owned(), code, usage_limit };
    let op = history.invoke(client_index, call);
    let outcome = match client.generate(&request).await {
        Ok(reply) => Outcome::Created { coupon: reply.value.id.0 },
        Err(error) => client_error_outcome(&error),
    };
    history.complete(op, outcome.clone());
    match outcome {
        Outcome::Created { coupon } => Some(PoolCoupon { id: coupon, usage_limit, per_user_limit }),
        _ => None,
    }
}

/// Creates a coupon, trying again (new tag, new key) until one is acknowledged or `tries` run
/// out. Used before any fault, where a failure means the cluster never came up.
pub async fn create_until_acknowledged(
    client: &CouponClient<SimExchange>,
    history: &History,
    client_index: usize,
    tag: &str,
    limits: (u32, Option<u32>),
    tries: u32,
) -> Option<PoolCoupon> {
    for attempt in 0..tries {
        let tag = format!("{tag}-{attempt}");
        if let Some(coupon) = create_coupon(client, history, client_index, &tag, limits).await {
            return Some(coupon);
        }
        madsim::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    None
}
