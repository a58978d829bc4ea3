//! Deciding the campaign commands (create, give codes), and the one rule that keeps a campaign's
//! counts: every use of one of its codes (a redeem, a hold, a confirm, a release or expiry, a
//! rollback) moves the campaign's counts in the same apply as the code's own.

use crate::command::NewCampaign;
use crate::domain::{Campaign, CampaignId, Coupon, CouponCode, Timestamp};
use crate::error::Result;
use crate::outcome::{Outcome, Rejection};
use crate::state_meta::Counters;
use crate::state_reader::StateReader;

use super::Change;

pub fn create(
    new: &NewCampaign,
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let campaign = Campaign {
        id: counters.next_campaign_id,
        name: new.name.clone(),
        terms: new.terms.clone(),
        budget: new.budget,
        times_redeemed: 0,
        held: 0,
        codes: 0,
        created_at: now,
    };
    assert!(state.campaign(campaign.id)?.is_none(), "campaign id {} is taken", campaign.id);
    counters.next_campaign_id = campaign.id.next();
    Ok((Outcome::CampaignCreated(campaign.clone()), vec![Change::PutCampaign(campaign)], counters))
}

/// Gives `codes` to the campaign, each a coupon with the campaign's terms: all of them, or none
/// when any exists already (the answer names which).
pub fn add_codes(
    campaign_id: CampaignId,
    codes: &[CouponCode],
    now: Timestamp,
    mut counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    let Some(mut campaign) = state.campaign(campaign_id)? else {
        return Ok((Outcome::Rejected(Rejection::CampaignNotFound), Vec::new(), counters));
    };
    let mut positions = Vec::new();
    for (position, code) in (0u32..).zip(codes) {
        if state.coupon_id_by_code(code)?.is_some() {
            positions.push(position);
        }
    }
    if !positions.is_empty() {
        return Ok((Outcome::CampaignCodesTaken { positions }, Vec::new(), counters));
    }
    let first = counters.next_coupon_id;
    let mut changes = code_coupons(&mut campaign, codes, now, &mut counters, state)?;
    let count = u32::try_from(codes.len()).expect("an import is bounded");
    changes.push(Change::PutCampaign(campaign.clone()));
    Ok((Outcome::CampaignCodesAdded { campaign, first, count }, changes, counters))
}

/// The coupons of `codes` (free codes, none twice), with the campaign's terms and consecutive
/// ids, indexed by code and listed among the campaign's codes; the campaign counts them (the
/// caller stores it).
pub fn code_coupons(
    campaign: &mut Campaign,
    codes: &[CouponCode],
    now: Timestamp,
    counters: &mut Counters,
    state: &StateReader<'_>,
) -> Result<Vec<Change>> {
    let mut changes = Vec::with_capacity(codes.len() * 3 + 1);
    for code in codes {
        let coupon = Coupon {
            id: counters.next_coupon_id,
            code: code.clone(),
            terms: campaign.terms.clone(),
            times_redeemed: 0,
            held: 0,
            active: true,
            created_at: now,
            low_stock_alert: None,
            campaign_id: Some(campaign.id),
        };
        assert!(state.coupon(coupon.id)?.is_none(), "coupon id {} is taken already", coupon.id);
        counters.next_coupon_id = coupon.id.next();
        let coupon_id = coupon.id;
        changes.push(Change::IndexCode { code: code.clone(), coupon_id });
        changes.push(Change::ListCampaignCode { campaign_id: campaign.id, coupon_id });
        changes.push(Change::PutCoupon(coupon));
    }
    campaign.codes += codes.len() as u64;
    Ok(changes)
}

/// How a use of a campaign's code moves between taken and free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseMove {
    Redeemed,
    Held,
    /// A hold confirmed into a redemption.
    HeldToRedeemed,
    /// A hold released or expired.
    HoldEnded,
    RolledBack,
}

/// The campaign's counts after `moved` on `coupon`, if the coupon is a campaign's code.
pub fn count_use(
    coupon: &Coupon,
    moved: UseMove,
    state: &StateReader<'_>,
) -> Result<Option<Change>> {
    let Some(id) = coupon.campaign_id else { return Ok(None) };
    let Some(mut campaign) = state.campaign(id)? else {
        panic!("coupon {} of a missing campaign {id}", coupon.id);
    };
    match moved {
        UseMove::Redeemed => campaign.times_redeemed += 1,
        UseMove::Held => campaign.held += 1,
        UseMove::HeldToRedeemed => {
            assert!(campaign.held > 0, "a live hold is counted by its campaign");
            campaign.held -= 1;
            campaign.times_redeemed += 1;
        }
        UseMove::HoldEnded => {
            assert!(campaign.held > 0, "a live hold is counted by its campaign");
            campaign.held -= 1;
        }
        UseMove::RolledBack => {
            assert!(campaign.times_redeemed > 0, "a live redemption is counted by its campaign");
            campaign.times_redeemed -= 1;
        }
    }
    Ok(Some(Change::PutCampaign(campaign)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ledger::*;
    use crate::command::{Command, NewCampaign, RedeemCommand};
    use crate::domain::fixtures::*;
    use crate::domain::{
        CampaignId, CampaignName, CouponCode, CouponId, CouponTerms, RedeemRejection,
    };
    use crate::outcome::{Outcome, Rejection};
    use crate::state_reader::CouponFilter;

    fn campaign(ledger: &mut Ledger, budget: Option<u32>, per_code: u32) -> CampaignId {
        let new = NewCampaign {
            name: CampaignName::parse("winter").unwrap(),
            terms: CouponTerms { usage_limit: per_code, ..terms() },
            budget,
        };
        match ledger.outcome(Command::CreateCampaign(new), at(1)) {
            Outcome::CampaignCreated(campaign) => campaign.id,
            other => panic!("{other:?}"),
        }
    }

    fn codes(names: &[&str]) -> Vec<CouponCode> {
        names.iter().map(|name| CouponCode::parse(name).unwrap()).collect()
    }

    fn add(ledger: &mut Ledger, campaign_id: CampaignId, names: &[&str]) -> Outcome {
        ledger.outcome(Command::AddCampaignCodes { campaign_id, codes: codes(names) }, at(2))
    }

    fn added(outcome: Outcome) -> Vec<CouponId> {
        match outcome {
            Outcome::CampaignCodesAdded { first, count, .. } => {
                (first.0..first.0 + u64::from(count)).map(CouponId).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_budget_caps_uses_across_all_codes() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger, Some(3), 2);
        let coupons = added(add(&mut ledger, id, &["W-1", "W-2", "W-3"]));
        let redeem = |coupon_id| {
            Command::Redeem(RedeemCommand {
                coupon_id,
                user_id: user("u-1"),
                order_id: None,
                order_amount: None,
                currency: None,
            })
        };
        for coupon_id in [coupons[0], coupons[0], coupons[1]] {
            assert!(matches!(ledger.outcome(redeem(coupon_id), at(3)), Outcome::Redeemed { .. }));
        }
        let budget = Rejection::Redeem(RedeemRejection::CampaignBudgetReached);
        assert_eq!(ledger.outcome(redeem(coupons[2]), at(4)), Outcome::Rejected(budget));
        // A code at its own limit says so first: the precedence puts the code before the budget.
        let own_limit = Rejection::Redeem(RedeemRejection::UsageLimitReached);
        assert_eq!(ledger.outcome(redeem(coupons[0]), at(4)), Outcome::Rejected(own_limit));
        let first = ledger.read(|s| s.coupon_history(coupons[1], None, 10)).redemptions;
        let rolled_back = Command::RollBack { redemption_id: first[0].id };
        assert!(matches!(ledger.outcome(rolled_back, at(5)), Outcome::RolledBack { .. }));
        let stored = ledger.read(|s| s.campaign(id)).unwrap();
        assert_eq!((stored.times_redeemed, stored.budget_left()), (2, Some(1)));
        assert!(matches!(ledger.outcome(redeem(coupons[2]), at(6)), Outcome::Redeemed { .. }));
    }

    #[test]
    fn holds_count_against_the_budget_until_they_end() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger, Some(1), 5);
        let coupons = added(add(&mut ledger, id, &["H-1", "H-2"]));
        let hold = |coupon_id| Command::PlaceHold {
            redeem: RedeemCommand {
                coupon_id,
                user_id: user("u-1"),
                order_id: None,
                order_amount: None,
                currency: None,
            },
            ttl_seconds: 10,
        };
        let Outcome::HoldPlaced { hold: held, .. } = ledger.outcome(hold(coupons[0]), at(3)) else {
            panic!("hold refused")
        };
        let budget = Rejection::Redeem(RedeemRejection::CampaignBudgetReached);
        assert_eq!(ledger.outcome(hold(coupons[1]), at(3)), Outcome::Rejected(budget));
        ledger.pass_time_to(at(14));
        assert_eq!(ledger.read(|s| s.campaign(id)).unwrap().held, 0, "expired: the use is back");
        assert!(matches!(ledger.outcome(hold(coupons[1]), at(15)), Outcome::HoldPlaced { .. }));
        let late = ledger.outcome(Command::ConfirmHold { hold_id: held.id }, at(15));
        assert_eq!(late, Outcome::Rejected(Rejection::HoldExpired));
    }

    #[test]
    fn an_import_adds_every_code_or_none_and_names_the_taken_ones() {
        let mut ledger = Ledger::default();
        let id = campaign(&mut ledger, None, 1);
        ledger.create("TAKEN-1", terms());
        let refused = add(&mut ledger, id, &["NEW-1", "TAKEN-1", "NEW-2"]);
        assert_eq!(refused, Outcome::CampaignCodesTaken { positions: vec![1] });
        assert!(ledger.read(|s| s.coupon_id_by_code(&codes(&["NEW-1"])[0])).is_none());
        let coupons = added(add(&mut ledger, id, &["NEW-1", "NEW-2"]));
        let stored = ledger.read(|s| s.campaign(id)).unwrap();
        assert_eq!(stored.codes, 2);
        let filter = CouponFilter { campaign_id: Some(id), ..CouponFilter::default() };
        let page = ledger.read(|s| s.coupons_page(&filter, None, 10));
        let listed: Vec<CouponId> = page.coupons.iter().map(|coupon| coupon.id).collect();
        assert_eq!((listed, page.next_after), (coupons.clone(), None));
        let unknown =
            Command::AddCampaignCodes { campaign_id: CampaignId(9), codes: codes(&["X-1"]) };
        assert_eq!(ledger.outcome(unknown, at(3)), Outcome::Rejected(Rejection::CampaignNotFound));
    }
}
