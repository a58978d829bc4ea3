//! Deciding holds: placing one (a use set aside on a redeem's terms), confirming it into a
//! redemption, releasing it, and ending it when log time passes its expiry.
//!
//! A held use counts against the coupon (`Coupon::held`), against its user's per-user limit and,
//! with an order, takes the order, from the moment it is placed until it ends. A confirm at or
//! after the hold's `expires_at` is refused whatever the coupon's uses: the fence that stops a late
//! confirm from taking a use that went back and that another order may have taken since.

use std::time::Duration;

use crate::command::RedeemCommand;
use crate::domain::{Coupon, Hold, HoldId, HoldState, Redemption, Timestamp};
use crate::error::Result;
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::campaigns::{count_use, UseMove};
use super::redeem::{check_use, next_redemption_id, raise_alert, EligibleUse};
use super::Change;

pub fn place(
    command: &RedeemCommand,
    ttl_seconds: u32,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let EligibleUse { mut coupon, user_uses, discount_amount } =
        match check_use(command, now, state)? {
            Ok(eligible) => eligible,
            Err(rejection) => return Ok((Outcome::Rejected(rejection), Vec::new(), counters)),
        };
    let ttl = Duration::from_secs(u64::from(ttl_seconds));
    let hold = Hold {
        id: counters.next_hold_id,
        coupon_id: coupon.id,
        user_id: command.user_id.clone(),
        order_id: command.order_id.clone(),
        order_amount: command.order_amount,
        currency: command.currency.clone(),
        discount_amount,
        placed_at: now,
        // A hold never outlives its coupon: a confirm after the coupon's expiry would redeem an
        // expired coupon.
        expires_at: now.saturating_add(ttl).min(coupon.terms.expires_at),
        state: HoldState::Held,
    };
    assert!(state.hold(hold.id)?.is_none(), "hold id {} is taken already", hold.id);
    counters.next_hold_id = hold.id.next();
    coupon.held += 1;
    coupon.assert_within_limit();
    let alert = raise_alert(&mut coupon, &mut counters, now, state)?;

    let mut changes = vec![Change::PutCoupon(coupon.clone()), Change::PutHold(hold.clone())];
    if coupon.terms.per_user_limit.is_some() {
        let count = user_uses + 1;
        let user_id = command.user_id.clone();
        changes.push(Change::SetUserRedemptions { coupon_id: coupon.id, user_id, count });
    }
    changes.extend(alert.map(Change::PutAlert));
    changes.extend(count_use(&coupon, UseMove::Held, state)?);
    Ok((Outcome::HoldPlaced { hold, coupon }, changes, counters))
}

/// Turns a live hold into a redemption with the hold's user, order and discount. Confirming a
/// confirmed hold answers its redemption again and changes nothing.
pub fn confirm(
    hold_id: HoldId,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let Some(mut hold) = state.hold(hold_id)? else {
        return Ok((Outcome::Rejected(Rejection::HoldNotFound), Vec::new(), counters));
    };
    let mut coupon = hold_coupon(&hold, state)?;
    match hold.state {
        HoldState::Confirmed { redemption_id } => {
            let Some(redemption) = state.redemption(redemption_id)? else {
                panic!("hold {hold_id} confirmed into a missing redemption {redemption_id}");
            };
            let outcome = Outcome::Redeemed { redemption, coupon, alert: None };
            return Ok((outcome, Vec::new(), counters));
        }
        HoldState::Released { .. } => {
            return Ok((Outcome::Rejected(Rejection::HoldReleased), Vec::new(), counters));
        }
        HoldState::Expired => {
            return Ok((Outcome::Rejected(Rejection::HoldExpired), Vec::new(), counters));
        }
        HoldState::Held if past_expiry(&hold, now) => {
            // Due, and not yet ended by the per-entry sweep (more holds fell due at once than it
            // ends): ended here, and refused as any expired hold.
            let (_, changes) = end(hold, HoldState::Expired, state)?;
            return Ok((Outcome::Rejected(Rejection::HoldExpired), changes, counters));
        }
        HoldState::Held => {}
    }
    let redemption = Redemption {
        id: next_redemption_id(&mut counters, state)?,
        coupon_id: coupon.id,
        user_id: hold.user_id.clone(),
        order_id: hold.order_id.clone(),
        order_amount: hold.order_amount,
        currency: hold.currency.clone(),
        redeemed_at: now,
        discount_amount: hold.discount_amount,
        rolled_back_at: None,
    };
    assert!(coupon.held > 0, "a live hold is counted");
    // The use moves from held to redeemed; the user's count already holds it.
    coupon.held -= 1;
    coupon.times_redeemed += 1;
    coupon.assert_within_limit();
    hold.state = HoldState::Confirmed { redemption_id: redemption.id };

    let mut changes = vec![
        Change::PutCoupon(coupon.clone()),
        Change::PutHold(hold.clone()),
        Change::PutRedemption(redemption.clone()),
    ];
    if let Some(order_id) = &hold.order_id {
        changes.push(Change::SetOrderRedemption {
            coupon_id: coupon.id,
            order_id: order_id.clone(),
            redemption_id: Some(redemption.id),
        });
    }
    changes.extend(count_use(&coupon, UseMove::HeldToRedeemed, state)?);
    Ok((Outcome::Redeemed { redemption, coupon, alert: None }, changes, counters))
}

/// Gives a live hold's use back. Releasing an ended hold (released, or expired) answers it as it
/// is and changes nothing; a confirmed one is refused (its redemption is rolled back instead).
pub fn release(
    hold_id: HoldId,
    now: Timestamp,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>)> {
    let Some(hold) = state.hold(hold_id)? else {
        return Ok((Outcome::Rejected(Rejection::HoldNotFound), Vec::new()));
    };
    match hold.state {
        HoldState::Confirmed { .. } => {
            Ok((Outcome::Rejected(Rejection::HoldConfirmed), Vec::new()))
        }
        HoldState::Released { .. } | HoldState::Expired => {
            let coupon = hold_coupon(&hold, state)?;
            Ok((Outcome::HoldReleased { hold, coupon }, Vec::new()))
        }
        HoldState::Held => {
            let ended = if hold.is_held_at(now) {
                HoldState::Released { at: now }
            } else {
                HoldState::Expired
            };
            let ((hold, coupon), changes) = end(hold, ended, state)?;
            Ok((Outcome::HoldReleased { hold, coupon }, changes))
        }
    }
}

/// The holds due at log time `now` that the sweep of one entry ends, at most `limit`.
#[cfg(not(feature = "broken-confirm-after-expiry"))]
pub fn due(now: Timestamp, limit: usize, state: &StateReader<'_>) -> Result<Vec<HoldId>> {
    state.holds_due(now, limit)
}

/// Whether a live hold's expiry has passed at `now`: the fence that refuses its confirm.
#[cfg(not(feature = "broken-confirm-after-expiry"))]
fn past_expiry(hold: &Hold, now: Timestamp) -> bool {
    !hold.is_held_at(now)
}

/// Deliberately broken build for the simulation's detection test: the expiry fence is gone. No
/// sweep ends a hold at its expiry and a confirm never looks at it, so a late confirm redeems a
/// use that went back.
#[cfg(feature = "broken-confirm-after-expiry")]
pub fn due(_: Timestamp, _: usize, _: &StateReader<'_>) -> Result<Vec<HoldId>> {
    Ok(Vec::new())
}

#[cfg(feature = "broken-confirm-after-expiry")]
fn past_expiry(_: &Hold, _: Timestamp) -> bool {
    false
}

/// Ends a hold that falls due at log time `now` (the sweep of every applied entry).
pub fn expire(hold_id: HoldId, state: &StateReader<'_>) -> Result<Vec<Change>> {
    let Some(hold) = state.hold(hold_id)? else {
        panic!("hold {hold_id} is listed for expiry but not stored");
    };
    assert_eq!(hold.state, HoldState::Held, "only live holds are listed for expiry");
    Ok(end(hold, HoldState::Expired, state)?.1)
}

/// Ends a live hold as `ended`: its use, its user's count and its order go back.
fn end(
    mut hold: Hold,
    ended: HoldState,
    state: &StateReader<'_>,
) -> Result<((Hold, Coupon), Vec<Change>)> {
    let mut coupon = hold_coupon(&hold, state)?;
    assert!(coupon.held > 0, "a live hold is counted");
    coupon.held -= 1;
    hold.state = ended;
    let mut changes = vec![Change::PutCoupon(coupon.clone()), Change::PutHold(hold.clone())];
    // Users are counted only under a per-user limit, which is not added or removed while a use is
    // taken (`coupon_commands::update`), so the count includes this hold.
    if coupon.terms.per_user_limit.is_some() {
        let taken = state.user_redemptions(coupon.id, &hold.user_id)?;
        assert!(taken > 0, "a live hold is counted for its user");
        let user_id = hold.user_id.clone();
        changes.push(Change::SetUserRedemptions {
            coupon_id: coupon.id,
            user_id,
            count: taken - 1,
        });
    }
    changes.extend(count_use(&coupon, UseMove::HoldEnded, state)?);
    Ok(((hold, coupon), changes))
}

/// Coupons are never deleted, so a hold's coupon exists; a state where it does not is corrupt, and
/// the node stops rather than decide on it.
fn hold_coupon(hold: &Hold, state: &StateReader<'_>) -> Result<Coupon> {
    match state.coupon(hold.coupon_id)? {
        Some(coupon) => Ok(coupon),
        None => panic!("hold {} of a missing coupon {}", hold.id, hold.coupon_id),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ledger::*;
    use crate::command::{Command, KeyedCommand, RedeemCommand};
    use crate::domain::fixtures::*;
    use crate::domain::{CouponChanges, CouponId, CouponTerms, HoldId, HoldState, RedeemRejection};
    use crate::limits::{HOLD_EXPIRIES_PER_ENTRY_MAX, REQUESTS_PER_ENTRY_MAX};
    use crate::outcome::{Outcome, Rejection};

    fn hold_for(coupon_id: CouponId, user_id: &str, order_id: Option<&str>, ttl: u32) -> Command {
        let redeem = RedeemCommand {
            coupon_id,
            user_id: user(user_id),
            order_id: order_id.map(order),
            order_amount: Some(dec("50.00")),
            currency: Some(eur()),
        };
        Command::PlaceHold { redeem, ttl_seconds: ttl }
    }

    fn placed(outcome: Outcome) -> HoldId {
        match outcome {
            Outcome::HoldPlaced { hold, .. } => hold.id,
            other => panic!("hold refused: {other:?}"),
        }
    }

    fn coupon_counts(ledger: &Ledger, id: CouponId) -> (u32, u32, u32) {
        let coupon = ledger.read(|s| s.coupon(id)).unwrap();
        (coupon.times_redeemed, coupon.held, coupon.remaining())
    }

    #[test]
    fn a_hold_takes_a_use_until_it_is_confirmed_into_a_redemption() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-1", CouponTerms { usage_limit: 2, ..terms() });
        let first = placed(ledger.outcome(hold_for(id, "u-1", Some("o-1"), 60), at(1)));
        let second = placed(ledger.outcome(hold_for(id, "u-2", None, 60), at(1)));
        assert_eq!(coupon_counts(&ledger, id), (0, 2, 0), "held uses count against remaining");
        let refused = Rejection::Redeem(RedeemRejection::UsageLimitReached);
        assert_eq!(ledger.outcome(redeem_by(id, "u-3"), at(2)), Outcome::Rejected(refused));
        assert_eq!(
            ledger.outcome(hold_for(id, "u-3", None, 60), at(2)),
            Outcome::Rejected(refused)
        );

        let Outcome::Redeemed { redemption, .. } =
            ledger.outcome(Command::ConfirmHold { hold_id: first }, at(3))
        else {
            panic!("confirm refused")
        };
        assert_eq!(redemption.order_id, Some(order("o-1")));
        assert_eq!(redemption.discount_amount, Some(dec("5.00")), "the discount of the hold");
        assert_eq!(coupon_counts(&ledger, id), (1, 1, 0));
        let again = ledger.outcome(Command::ConfirmHold { hold_id: first }, at(4));
        let Outcome::Redeemed { redemption: replayed, .. } = again else { panic!("{again:?}") };
        assert_eq!(replayed, redemption, "a second confirm answers the first redemption");
        assert_eq!(coupon_counts(&ledger, id), (1, 1, 0), "and takes nothing more");
        let order_taken = ledger.read(|s| s.order_redemption(id, &order("o-1")));
        assert_eq!(order_taken, Some(redemption.id));
        assert_eq!(
            ledger.outcome(Command::ReleaseHold { hold_id: first }, at(4)),
            Outcome::Rejected(Rejection::HoldConfirmed)
        );
        assert!(matches!(
            ledger.outcome(Command::ConfirmHold { hold_id: second }, at(5)),
            Outcome::Redeemed { .. }
        ));
        assert_eq!(coupon_counts(&ledger, id), (2, 0, 0));
    }

    #[test]
    fn a_released_hold_gives_its_use_back_once_and_cannot_be_confirmed() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-2", CouponTerms { usage_limit: 1, ..terms() });
        let hold = placed(ledger.outcome(hold_for(id, "u-1", Some("o-1"), 60), at(1)));
        let Outcome::HoldReleased { hold: released, .. } =
            ledger.outcome(Command::ReleaseHold { hold_id: hold }, at(2))
        else {
            panic!("release refused")
        };
        assert_eq!(released.state, HoldState::Released { at: at(2) });
        assert_eq!(coupon_counts(&ledger, id), (0, 0, 1));
        let again = ledger.outcome(Command::ReleaseHold { hold_id: hold }, at(3));
        assert!(matches!(again, Outcome::HoldReleased { .. }), "release is idempotent");
        assert_eq!(coupon_counts(&ledger, id), (0, 0, 1), "and gives nothing back twice");
        assert_eq!(
            ledger.outcome(Command::ConfirmHold { hold_id: hold }, at(3)),
            Outcome::Rejected(Rejection::HoldReleased)
        );
        assert!(ledger.read(|s| s.order_hold(id, &order("o-1"))).is_none(), "the order is free");
        assert!(matches!(
            ledger.outcome(redeem_for_order(id, "u-2", "o-1"), at(4)),
            Outcome::Redeemed { .. }
        ));
        let unknown = Command::ConfirmHold { hold_id: HoldId(99) };
        assert_eq!(ledger.outcome(unknown, at(5)), Outcome::Rejected(Rejection::HoldNotFound));
    }

    #[test]
    fn an_expired_hold_is_fenced_off_from_a_use_another_order_took() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-3", CouponTerms { usage_limit: 1, ..terms() });
        let late = placed(ledger.outcome(hold_for(id, "u-1", None, 10), at(1)));
        ledger.pass_time_to(at(11));
        assert_eq!(coupon_counts(&ledger, id), (0, 0, 1), "log time gave the use back");
        assert_eq!(ledger.read(|s| s.hold(late)).unwrap().state, HoldState::Expired);
        let taken = placed(ledger.outcome(hold_for(id, "u-2", None, 60), at(12)));
        assert_eq!(
            ledger.outcome(Command::ConfirmHold { hold_id: late }, at(12)),
            Outcome::Rejected(Rejection::HoldExpired)
        );
        assert!(matches!(
            ledger.outcome(Command::ConfirmHold { hold_id: taken }, at(13)),
            Outcome::Redeemed { .. }
        ));
        assert_eq!(coupon_counts(&ledger, id), (1, 0, 0));
        let released = ledger.outcome(Command::ReleaseHold { hold_id: late }, at(14));
        assert!(
            matches!(released, Outcome::HoldReleased { hold, .. } if hold.state == HoldState::Expired)
        );
    }

    #[test]
    fn a_hold_expires_at_its_instant_and_never_after_its_coupon() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-4", CouponTerms { usage_limit: 5, ..terms() });
        let Outcome::HoldPlaced { hold, .. } = ledger.outcome(hold_for(id, "u-1", None, 10), at(1))
        else {
            panic!("hold refused")
        };
        assert_eq!(hold.expires_at, at(11));
        let confirm = KeyedCommand {
            idempotency: None,
            actor: None,
            command: Command::ConfirmHold { hold_id: hold.id },
        };
        let answer = ledger.run(confirm, at(11));
        assert_eq!(
            answer.outcome,
            Outcome::Rejected(Rejection::HoldExpired),
            "expired at its instant"
        );
        let Outcome::HoldPlaced { hold: capped, .. } =
            ledger.outcome(hold_for(id, "u-1", None, 86_400), at(990))
        else {
            panic!("hold refused")
        };
        assert_eq!(capped.expires_at, at(1000), "the coupon's expiry");
    }

    #[test]
    fn holds_count_against_the_per_user_limit_and_take_their_order() {
        let mut ledger = Ledger::default();
        let terms = CouponTerms { usage_limit: 10, per_user_limit: Some(1), ..terms() };
        let id = ledger.create("HOLD-5", terms);
        let hold = placed(ledger.outcome(hold_for(id, "u-1", Some("o-1"), 60), at(1)));
        let per_user = Rejection::Redeem(RedeemRejection::PerUserLimitReached);
        assert_eq!(ledger.outcome(redeem_by(id, "u-1"), at(2)), Outcome::Rejected(per_user));
        let order_taken = Rejection::Redeem(RedeemRejection::OrderAlreadyRedeemed);
        assert_eq!(
            ledger.outcome(redeem_for_order(id, "u-2", "o-1"), at(2)),
            Outcome::Rejected(order_taken)
        );
        ledger.outcome(Command::ReleaseHold { hold_id: hold }, at(3));
        assert_eq!(ledger.read(|s| s.user_redemptions(id, &user("u-1"))), 0);
        assert!(matches!(
            ledger.outcome(redeem_for_order(id, "u-1", "o-1"), at(4)),
            Outcome::Redeemed { .. }
        ));
    }

    #[test]
    fn a_hold_is_checked_as_a_redeem_is_even_one_that_came_round_the_node() {
        // A coupon in EUR: an order that names no currency is refused by the node before it is
        // proposed; a command in the log without one is refused by apply, as a redeem is.
        let mut ledger = Ledger::default();
        let fixed = crate::domain::Discount::fixed(dec("5"), eur()).unwrap();
        let id = ledger.create("HOLD-EUR", CouponTerms { discount: fixed, ..terms() });
        let Command::PlaceHold { mut redeem, ttl_seconds } = hold_for(id, "u-1", None, 60) else {
            unreachable!()
        };
        redeem.order_amount = None;
        redeem.currency = None;
        let forged = Command::PlaceHold { redeem, ttl_seconds };
        assert_eq!(ledger.outcome(forged, at(1)), Outcome::Rejected(Rejection::InvalidCommand));
        assert_eq!(coupon_counts(&ledger, id), (0, 0, 100), "nothing was set aside");
    }

    #[test]
    fn the_limit_never_falls_below_the_uses_redeemed_and_held() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-6", CouponTerms { usage_limit: 3, ..terms() });
        ledger.outcome(redeem_by(id, "u-1"), at(1));
        placed(ledger.outcome(hold_for(id, "u-2", None, 60), at(1)));
        let lower = |usage_limit| Command::UpdateCoupon {
            coupon_id: id,
            changes: CouponChanges { usage_limit: Some(usage_limit), ..CouponChanges::default() },
        };
        assert_eq!(
            ledger.outcome(lower(1), at(2)),
            Outcome::Rejected(Rejection::UsageLimitBelowUsed)
        );
        assert!(matches!(ledger.outcome(lower(2), at(2)), Outcome::Updated(_)));
        assert_eq!(coupon_counts(&ledger, id), (1, 1, 0));
    }

    #[test]
    fn more_holds_due_at_once_than_one_entry_ends_are_ended_over_the_next_entries() {
        let mut ledger = Ledger::default();
        let id = ledger.create("HOLD-7", CouponTerms { usage_limit: 10_000, ..terms() });
        let entries = HOLD_EXPIRIES_PER_ENTRY_MAX / REQUESTS_PER_ENTRY_MAX + 1;
        let mut holds = Vec::new();
        for _ in 0..entries {
            let requests = (0..REQUESTS_PER_ENTRY_MAX)
                .map(|n| KeyedCommand {
                    idempotency: None,
                    actor: None,
                    command: hold_for(id, &format!("u-{n}"), None, 10),
                })
                .collect();
            holds.extend(
                ledger.run_entry(requests, at(1)).into_iter().map(|answer| placed(answer.outcome)),
            );
        }
        let placed_count = (entries * REQUESTS_PER_ENTRY_MAX) as u32;
        assert_eq!(coupon_counts(&ledger, id).1, placed_count);
        // The first entry at the expiry ends as many as one entry may; the rest stay held (never
        // given twice), and a confirm of one of them is refused all the same.
        let last = *holds.last().unwrap();
        let answer = ledger.outcome(Command::ConfirmHold { hold_id: last }, at(11));
        assert_eq!(answer, Outcome::Rejected(Rejection::HoldExpired));
        let left = placed_count - HOLD_EXPIRIES_PER_ENTRY_MAX as u32 - 1;
        assert_eq!(coupon_counts(&ledger, id).1, left);
        ledger.outcome(redeem_by(CouponId(u64::MAX), "nobody"), at(12));
        assert_eq!(coupon_counts(&ledger, id), (0, 0, 10_000));
    }
}
