//! The liveness check's measurement: after the last fault heals, a redeem must succeed within
//! `LIVENESS_DEADLINE` of simulated time.

use std::time::Duration;

use coupon_client::api::{CouponId, RedeemRequest};
use coupon_client::CouponClient;
use serde::Serialize;

use crate::net::SimExchange;
use crate::workload::History;

pub const LIVENESS_DEADLINE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, Serialize)]
pub struct Liveness {
    pub coupon: Option<u64>,
    pub healed_at_ns: u64,
    /// When a redeem succeeded, if one did before the deadline.
    pub redeemed_at_ns: Option<u64>,
    /// What the failed attempts said.
    pub failures: Vec<String>,
}

/// Redeems `coupon` through the real client until one succeeds or the deadline passes.
pub async fn redeem_after_heal(
    client: &CouponClient<SimExchange>,
    coupon: Option<u64>,
    history: &History,
) -> Liveness {
    let mut liveness =
        Liveness { coupon, healed_at_ns: history.now_ns(), redeemed_at_ns: None, failures: vec![] };
    let Some(coupon) = coupon else {
        liveness.failures.push("the liveness coupon was never created".to_owned());
        return liveness;
    };
    let deadline = madsim::time::Instant::now() + LIVENESS_DEADLINE;
    for attempt in 0u32.. {
        let left = deadline.saturating_duration_since(madsim::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let request = RedeemRequest::new(format!("liveness-{attempt}"));
        match madsim::time::timeout(left, client.redeem(CouponId(coupon), &request)).await {
            Ok(Ok(_)) => {
                liveness.redeemed_at_ns = Some(history.now_ns());
                break;
            }
            Ok(Err(error)) => liveness.failures.push(format!("t={}: {error}", history.now_ns())),
            Err(_) => liveness.failures.push("deadline passed mid-attempt".to_owned()),
        }
        madsim::time::sleep(Duration::from_millis(100)).await;
    }
    liveness
}
