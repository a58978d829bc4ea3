//! Deciding a redeem and a rollback: the two commands that move a coupon's counter.

use crate::command::RedeemCommand;
use rust_decimal::Decimal;

use crate::domain::{
    check_order_currency, check_redeem, Alert, AmountOverflow, Coupon, Redemption, RedemptionId,
    Timestamp,
};
use crate::error::Result;
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::campaigns::{count_use, UseMove};
use super::Change;

/// A use `command` may take at `now`, found eligible by the redeem's rule: the coupon, the uses
/// its user has taken, and the discount the use grants.
pub(super) struct EligibleUse {
    pub coupon: Coupon,
    pub user_uses: u32,
    pub discount_amount: Option<Decimal>,
}

/// The one check of a use, for a redeem and a hold alike: the coupon exists, the order names a
/// currency where the coupon's money is in one (the node refuses that before proposing, so a
/// command here without it came round the node's checks: `InvalidCommand`), and the contract's
/// reasons in their precedence (`check_redeem`).
pub(super) fn check_use(
    command: &RedeemCommand,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<std::result::Result<EligibleUse, Rejection>> {
    let Some(coupon) = state.coupon(command.coupon_id)? else {
        return Ok(Err(Rejection::CouponNotFound));
    };
    if check_order_currency(&coupon.terms.discount, command.currency.as_ref()).is_err() {
        return Ok(Err(Rejection::InvalidCommand));
    }
    let facts = state.order_facts(
        &coupon,
        Some(&command.user_id),
        command.order_id.as_ref(),
        command.order_amount,
        command.currency.as_ref(),
    )?;
    Ok(match check_redeem(&coupon, &facts, now) {
        Ok(Ok(discount_amount)) => {
            Ok(EligibleUse { user_uses: facts.user_redemptions, coupon, discount_amount })
        }
        // Past the bounds, which apply checked first: refused all the same, never a panic.
        Ok(Err(AmountOverflow)) => Err(Rejection::InvalidCommand),
        Err(reason) => Err(Rejection::Redeem(reason)),
    })
}

/// The id of a new redemption: the counter's, which moves past it (ids are never reused).
pub(super) fn next_redemption_id(
    counters: &mut Counters,
    state: &StateReader<'_>,
) -> Result<RedemptionId> {
    let id = counters.next_redemption_id;
    assert!(state.redemption(id)?.is_none(), "redemption id {id} is taken already");
    counters.next_redemption_id = id.next();
    Ok(id)
}

pub fn redeem(
    command: &RedeemCommand,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let EligibleUse { mut coupon, user_uses, discount_amount } =
        match check_use(command, now, state)? {
            Ok(eligible) => eligible,
            Err(rejection) => return Ok((Outcome::Rejected(rejection), Vec::new(), counters)),
        };
    let counts_users = coupon.terms.per_user_limit.is_some();
    let redemption = Redemption {
        id: next_redemption_id(&mut counters, state)?,
        coupon_id: coupon.id,
        user_id: command.user_id.clone(),
        order_id: command.order_id.clone(),
        order_amount: command.order_amount,
        currency: command.currency.clone(),
        redeemed_at: now,
        discount_amount,
        rolled_back_at: None,
    };
    coupon.times_redeemed += 1;
    coupon.assert_within_limit();

    let alert = raise_alert(&mut coupon, &mut counters, now, state)?;

    let mut changes =
        vec![Change::PutCoupon(coupon.clone()), Change::PutRedemption(redemption.clone())];
    if counts_users {
        let user_id = command.user_id.clone();
        changes.push(Change::SetUserRedemptions {
            coupon_id: coupon.id,
            user_id,
            count: user_uses + 1,
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
    changes.extend(count_use(&coupon, UseMove::Redeemed, state)?);
    Ok((Outcome::Redeemed { redemption, coupon, alert }, changes, counters))
}

/// The low-stock alert a redeem raises when it takes `coupon` to its threshold.
pub(super) fn raise_alert(
    coupon: &mut Coupon,
    counters: &mut Counters,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<Option<Alert>> {
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
        assert!(state.alert(alert.id)?.is_none(), "alert id {} is taken already", alert.id);
        counters.next_alert_id = alert.id.next();
        coupon.low_stock_alert = Some(alert.id);
    }
    Ok(alert)
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
    // Coupons are never deleted, so a redemption's coupon exists; a state where it does not is
    // corrupt, and the node stops rather than decide on it.
    let Some(mut coupon) = state.coupon(redemption.coupon_id)? else {
        panic!("redemption {redemption_id} of a missing coupon");
    };
    assert!(coupon.times_redeemed > 0, "a live redemption is counted");
    coupon.times_redeemed -= 1;
    redemption.rolled_back_at = Some(now);

    let mut changes =
        vec![Change::PutCoupon(coupon.clone()), Change::PutRedemption(redemption.clone())];
    // Per-user counts exist only for coupons with a per-user limit (see `StateReader::user_redemptions`).
    if coupon.terms.per_user_limit.is_some() {
        let user_redemptions = state.user_redemptions(coupon.id, &redemption.user_id)?;
        assert!(user_redemptions > 0, "a live redemption is counted for its user");
        let user_id = redemption.user_id.clone();
        let count = user_redemptions - 1;
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
    changes.extend(count_use(&coupon, UseMove::RolledBack, state)?);
    Ok((Outcome::RolledBack { redemption, coupon }, changes))
}
