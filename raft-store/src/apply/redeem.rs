//! Deciding a redeem and a rollback: the two commands that move a coupon's counter.

use crate::command::RedeemCommand;
use crate::domain::{check_redeem, Alert, OrderFacts, Redemption, RedemptionId, Timestamp};
use crate::error::Result;
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::Change;

pub fn redeem(
    command: &RedeemCommand,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let Some(mut coupon) = state.coupon(command.coupon_id)? else {
        return Ok((Outcome::Rejected(Rejection::CouponNotFound), Vec::new(), counters));
    };
    let counts_users = coupon.terms.per_user_limit.is_some();
    let user_redemptions =
        if counts_users { state.user_redemptions(coupon.id, &command.user_id)? } else { 0 };
    let order_already_redeemed = match &command.order_id {
        Some(order_id) => state.order_redemption(coupon.id, order_id)?.is_some(),
        None => false,
    };
    let facts = OrderFacts {
        order_amount: command.order_amount,
        currency: command.currency.as_ref(),
        user_redemptions,
        order_already_redeemed,
    };
    let discount_amount = match check_redeem(&coupon, &facts, now) {
        Ok(amount) => amount,
        Err(reason) => {
            return Ok((Outcome::Rejected(Rejection::Redeem(reason)), Vec::new(), counters))
        }
    };

    let redemption = Redemption {
        id: counters.next_redemption_id,
        coupon_id: coupon.id,
        user_id: command.user_id.clone(),
        order_id: command.order_id.clone(),
        order_amount: command.order_amount,
        currency: command.currency.clone(),
        redeemed_at: now,
        discount_amount,
        rolled_back_at: None,
    };
    counters.next_redemption_id = redemption.id.next();
    coupon.times_redeemed += 1;
    debug_assert!(coupon.times_redeemed <= coupon.terms.usage_limit);

    let alert = coupon.low_stock_threshold_crossed().map(|threshold| Alert {
        id: counters.next_alert_id,
        coupon_id: coupon.id,
        code: coupon.code.clone(),
        remaining: coupon.remaining(),
        threshold,
        raised_at: now,
        delivered_at: None,
    });
    if let Some(alert) = &alert {
        counters.next_alert_id = alert.id.next();
        coupon.low_stock_alert = Some(alert.id);
    }

    let mut changes =
        vec![Change::PutCoupon(coupon.clone()), Change::PutRedemption(redemption.clone())];
    if counts_users {
        let user_id = command.user_id.clone();
        changes.push(Change::SetUserRedemptions {
            coupon_id: coupon.id,
            user_id,
            count: user_redemptions + 1,
        });
    }
    if let Some(order_id) = &command.order_id {
        changes.push(Change::SetOrderRedemption {
            coupon_id: coupon.id,
            order_id: order_id.clone(),
            redemption_id: Some(redemption.id),
        });
    }
    changes.extend(alert.clone().map(Change::PutAlert));
    Ok((Outcome::Redeemed { redemption, coupon, alert }, changes, counters))
}

/// Gives a redemption's use back (the order was cancelled). The redemption stays in the history,
/// marked rolled back; its order may take the coupon again.
pub fn roll_back(
    redemption_id: RedemptionId,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let Some(mut redemption) = state.redemption(redemption_id)? else {
        return Ok((Outcome::Rejected(Rejection::RedemptionNotFound), Vec::new()));
    };
    if !redemption.is_live() {
        return Ok((Outcome::Rejected(Rejection::AlreadyRolledBack), Vec::new()));
    }
    let Some(mut coupon) = state.coupon(redemption.coupon_id)? else {
        debug_assert!(false, "redemption {redemption_id} of a missing coupon");
        return Ok((Outcome::Rejected(Rejection::CouponNotFound), Vec::new()));
    };
    debug_assert!(coupon.times_redeemed > 0, "a live redemption is counted");
    coupon.times_redeemed = coupon.times_redeemed.saturating_sub(1);
    redemption.rolled_back_at = Some(now);

    let mut changes =
        vec![Change::PutCoupon(coupon.clone()), Change::PutRedemption(redemption.clone())];
    // Per-user counts exist only for coupons with a per-user limit (see `StateReader::user_redemptions`).
    if coupon.terms.per_user_limit.is_some() {
        let user_redemptions = state.user_redemptions(coupon.id, &redemption.user_id)?;
        debug_assert!(user_redemptions > 0, "a live redemption is counted for its user");
        let user_id = redemption.user_id.clone();
        let count = user_redemptions.saturating_sub(1);
        changes.push(Change::SetUserRedemptions { coupon_id: coupon.id, user_id, count });
    }
    if let Some(order_id) = &redemption.order_id {
        if state.order_redemption(coupon.id, order_id)? == Some(redemption.id) {
            changes.push(Change::SetOrderRedemption {
                coupon_id: coupon.id,
                order_id: order_id.clone(),
                redemption_id: None,
            });
        }
    }
    Ok((Outcome::RolledBack { redemption, coupon }, changes))
}
