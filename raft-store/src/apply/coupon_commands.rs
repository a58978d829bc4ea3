//! Deciding the commands that manage coupons: create, deactivate and reactivate, and confirming
//! alert deliveries.

use crate::command::CodeChoice;
use crate::domain::{AlertId, Coupon, CouponChanges, CouponCode, CouponId, CouponTerms, Timestamp};
use crate::error::Result;
use crate::limits::GENERATED_CODE_ATTEMPTS_MAX;
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::Change;

pub fn create(
    choice: &CodeChoice,
    terms: &CouponTerms,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let Some(code) = free_code(choice, state)? else {
        return Ok((Outcome::Rejected(Rejection::CodeAlreadyExists), Vec::new(), counters));
    };
    let coupon = Coupon {
        id: counters.next_coupon_id,
        code: code.clone(),
        terms: terms.clone(),
        times_redeemed: 0,
        held: 0,
        active: true,
        created_at: now,
        low_stock_alert: None,
        campaign_id: None,
    };
    // Ids are never reused: the counter is ahead of every id handed out.
    assert!(state.coupon(coupon.id)?.is_none(), "coupon id {} is taken already", coupon.id);
    counters.next_coupon_id = coupon.id.next();
    let changes =
        vec![Change::IndexCode { code, coupon_id: coupon.id }, Change::PutCoupon(coupon.clone())];
    Ok((Outcome::Created(coupon), changes, counters))
}

/// The code the new coupon gets: a chosen code only if it is free; a generated one is replaced
/// by a derived one while it collides (`None` only after every attempt collided).
fn free_code(choice: &CodeChoice, state: &StateReader<'_>) -> Result<Option<CouponCode>> {
    match choice {
        CodeChoice::Chosen(code) => {
            Ok(state.coupon_id_by_code(code)?.is_none().then(|| code.clone()))
        }
        CodeChoice::Generated(first) => {
            let mut candidate = first.clone();
            for attempt in 1..=GENERATED_CODE_ATTEMPTS_MAX {
                if state.coupon_id_by_code(&candidate)?.is_none() {
                    return Ok(Some(candidate));
                }
                candidate = first.derive_after_collision(attempt);
            }
            Ok(None)
        }
    }
}

pub fn set_active(
    coupon_id: CouponId,
    active: bool,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let Some(mut coupon) = state.coupon(coupon_id)? else {
        return Ok((Outcome::Rejected(Rejection::CouponNotFound), Vec::new()));
    };
    coupon.active = active;
    Ok((Outcome::Updated(coupon.clone()), vec![Change::PutCoupon(coupon)]))
}

/// Changes a coupon's terms: the result keeps every bound of create (else `InvalidCommand`), the
/// limit stays at or above the uses taken (redeemed and held), and a per-user limit is added or
/// removed only while the coupon has no live redemption or hold.
pub fn update(
    coupon_id: CouponId,
    changes: &CouponChanges,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let Some(mut coupon) = state.coupon(coupon_id)? else {
        return Ok((Outcome::Rejected(Rejection::CouponNotFound), Vec::new()));
    };
    let terms = changes.applied_to(&coupon.terms);
    if changes.check_against(&coupon.terms.discount).is_err() || terms.check_bounds().is_err() {
        return Ok((Outcome::Rejected(Rejection::InvalidCommand), Vec::new()));
    }
    if u64::from(terms.usage_limit) < coupon.uses_taken() {
        return Ok((Outcome::Rejected(Rejection::UsageLimitBelowUsed), Vec::new()));
    }
    // Users are counted only under a per-user limit: adding or removing one while redemptions
    // are live would leave counts that miss, or outlive, those redemptions.
    let counting_changes = coupon.terms.per_user_limit.is_some() != terms.per_user_limit.is_some();
    if counting_changes && coupon.uses_taken() > 0 {
        return Ok((Outcome::Rejected(Rejection::PerUserLimitAfterRedemptions), Vec::new()));
    }
    coupon.terms = terms;
    Ok((Outcome::Updated(coupon.clone()), vec![Change::PutCoupon(coupon)]))
}

/// Marks the listed alerts delivered; unknown or already delivered ones are left as they are, so
/// a confirmation repeated after a leader change changes nothing.
pub fn confirm_alert_delivery(
    alert_ids: &[AlertId],
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for id in alert_ids {
        if let Some(mut alert) = state.alert(*id)?.filter(|alert| alert.delivered_at.is_none()) {
            alert.delivered_at = Some(now);
            changes.push(Change::PutAlert(alert));
        }
    }
    Ok(changes)
}
