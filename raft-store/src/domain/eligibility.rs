//! Whether a redeem may take a use now: the contract's rejection reasons, in its precedence order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AmountOverflow, Coupon, Currency, Discount, Invalid, Timestamp};

/// Why a redeem is refused (and what validate reports). The declaration order is the contract's
/// precedence: when several apply, the first wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RedeemRejection {
    Inactive,
    NotStarted,
    Expired,
    UsageLimitReached,
    /// The code has uses left, but its campaign's budget has none.
    CampaignBudgetReached,
    PerUserLimitReached,
    OrderAlreadyRedeemed,
    CurrencyMismatch,
    MinOrderNotMet,
}

/// What a redeem says about the order, as far as eligibility is concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFacts<'a> {
    pub order_amount: Option<Decimal>,
    pub currency: Option<&'a Currency>,
    /// Uses of this coupon this user has taken: live redemptions and holds.
    pub user_redemptions: u32,
    /// This coupon already has a live redemption, or a hold, for this order.
    pub order_already_redeemed: bool,
    /// Uses left in the budget of the coupon's campaign; `None`: no campaign, or no budget.
    pub campaign_budget_left: Option<u64>,
}

/// An order names its currency whenever the coupon's money is in one (a fixed discount, or a
/// percentage with a currency): without it, neither the currency check nor the amounts can be
/// weighed. Not one of the contract's reasons: a request without it is refused as invalid (422)
/// before any of them.
pub fn check_order_currency(discount: &Discount, order: Option<&Currency>) -> Result<(), Invalid> {
    match (discount.currency(), order) {
        (Some(coupon), None) => Err(Invalid::OrderCurrencyRequired { coupon: coupon.clone() }),
        _ => Ok(()),
    }
}

/// The discount a redeem at `now` would grant, or the first reason it is refused (the order's
/// currency is `check_order_currency`'s, checked before; its amount is in its currency, which
/// the bounds of a command require with an amount). The discount
/// is itself a `Result`: an order amount past the bounds overflows (`AmountOverflow`), which the
/// caller refuses as out of bounds; it is never one of the contract's reasons.
pub fn check_redeem(
    coupon: &Coupon,
    order: &OrderFacts<'_>,
    now: Timestamp,
) -> Result<Result<Option<Decimal>, AmountOverflow>, RedeemRejection> {
    let terms = &coupon.terms;
    if !coupon.active {
        return Err(RedeemRejection::Inactive);
    }
    if terms.starts_at.is_some_and(|starts_at| now < starts_at) {
        return Err(RedeemRejection::NotStarted);
    }
    if now >= terms.expires_at {
        return Err(RedeemRejection::Expired);
    }
    if coupon.uses_taken() >= u64::from(terms.usage_limit) {
        return Err(RedeemRejection::UsageLimitReached);
    }
    if order.campaign_budget_left == Some(0) {
        return Err(RedeemRejection::CampaignBudgetReached);
    }
    if terms.per_user_limit.is_some_and(|limit| order.user_redemptions >= limit) {
        return Err(RedeemRejection::PerUserLimitReached);
    }
    if order.order_already_redeemed {
        return Err(RedeemRejection::OrderAlreadyRedeemed);
    }
    if let (Some(coupon_currency), Some(order_currency)) =
        (terms.discount.currency(), order.currency)
    {
        if coupon_currency != order_currency {
            return Err(RedeemRejection::CurrencyMismatch);
        }
    }
    if let Some(minimum) = terms.min_order_amount {
        if order.order_amount.is_none_or(|amount| amount < minimum) {
            return Err(RedeemRejection::MinOrderNotMet);
        }
    }
    let order_money = order.order_amount.map(|amount| (amount, order.currency));
    Ok(terms.discount.amount_off(order_money, terms.max_discount_amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::*;
    use crate::domain::{CouponTerms, Discount};

    fn check(
        terms: CouponTerms,
        order: OrderFacts<'_>,
        now: i64,
    ) -> Result<Result<Option<Decimal>, AmountOverflow>, RedeemRejection> {
        check_redeem(&coupon(terms), &order, at(now))
    }

    #[test]
    fn an_eligible_redeem_reports_the_discount() {
        let eur = eur();
        let order = OrderFacts {
            order_amount: Some(dec("50.00")),
            currency: Some(&eur),
            ..OrderFacts::default()
        };
        assert_eq!(check(terms(), order, 10), Ok(Ok(Some(dec("5.00")))));
    }

    #[test]
    fn an_order_names_its_currency_when_the_coupons_money_is_in_one() {
        let eur = eur();
        let fixed = Discount::fixed(dec("5"), eur.clone()).unwrap();
        let required = Err(Invalid::OrderCurrencyRequired { coupon: eur.clone() });
        assert_eq!(check_order_currency(&fixed, None), required);
        assert_eq!(check_order_currency(&fixed, Some(&eur)), Ok(()));
        let in_eur = Discount::percentage(dec("10"), Some(eur.clone())).unwrap();
        assert_eq!(check_order_currency(&in_eur, None), required);
        let anywhere = terms().discount;
        assert_eq!(check_order_currency(&anywhere, None), Ok(()), "a percentage in any currency");
    }

    #[test]
    fn a_coupon_starts_at_its_start_instant() {
        let terms = CouponTerms { starts_at: Some(at(100)), ..terms() };
        assert_eq!(
            check(terms.clone(), OrderFacts::default(), 99),
            Err(RedeemRejection::NotStarted)
        );
        assert!(check(terms, OrderFacts::default(), 100).is_ok());
    }

    #[test]
    fn a_coupon_is_expired_at_its_expiry_instant() {
        let one_ms_before = check_redeem(
            &coupon(terms()),
            &OrderFacts::default(),
            Timestamp::from_unix_millis(999_999),
        );
        assert!(one_ms_before.is_ok());
        assert_eq!(check(terms(), OrderFacts::default(), 1000), Err(RedeemRejection::Expired));
    }

    #[test]
    fn the_last_use_is_granted_and_the_next_refused() {
        let mut last_use = coupon(CouponTerms { usage_limit: 3, ..terms() });
        last_use.times_redeemed = 2;
        assert!(check_redeem(&last_use, &OrderFacts::default(), at(1)).is_ok());
        last_use.times_redeemed = 3;
        assert_eq!(
            check_redeem(&last_use, &OrderFacts::default(), at(1)),
            Err(RedeemRejection::UsageLimitReached)
        );
    }

    #[test]
    fn a_per_user_limit_of_one_allows_one_live_use() {
        let terms = CouponTerms { per_user_limit: Some(1), ..terms() };
        let first = OrderFacts { user_redemptions: 0, ..OrderFacts::default() };
        let second = OrderFacts { user_redemptions: 1, ..OrderFacts::default() };
        assert!(check(terms.clone(), first, 1).is_ok());
        assert_eq!(check(terms, second, 1), Err(RedeemRejection::PerUserLimitReached));
    }

    #[test]
    fn an_order_takes_a_coupon_once() {
        let order = OrderFacts { order_already_redeemed: true, ..OrderFacts::default() };
        assert_eq!(check(terms(), order, 1), Err(RedeemRejection::OrderAlreadyRedeemed));
    }

    #[test]
    fn a_fixed_discount_checks_the_currency() {
        let usd = crate::domain::Currency::parse("USD").unwrap();
        let terms = CouponTerms { discount: Discount::fixed(dec("5"), eur()).unwrap(), ..terms() };
        let in_usd = OrderFacts { currency: Some(&usd), ..OrderFacts::default() };
        assert_eq!(check(terms.clone(), in_usd, 1), Err(RedeemRejection::CurrencyMismatch));
        let eur = eur();
        let in_eur = OrderFacts { currency: Some(&eur), ..OrderFacts::default() };
        assert_eq!(check(terms, in_eur, 1), Ok(Ok(Some(dec("5.00")))));
    }

    #[test]
    fn a_percentage_in_a_currency_takes_orders_in_it_only() {
        let (eur, usd) = (eur(), crate::domain::Currency::parse("USD").unwrap());
        let discount = Discount::percentage(dec("10"), Some(eur.clone())).unwrap();
        let terms = CouponTerms { discount, ..terms() };
        let order = |currency| OrderFacts {
            order_amount: Some(dec("50.00")),
            currency: Some(currency),
            ..OrderFacts::default()
        };
        assert_eq!(check(terms.clone(), order(&usd), 1), Err(RedeemRejection::CurrencyMismatch));
        assert_eq!(check(terms, order(&eur), 1), Ok(Ok(Some(dec("5.00")))));
    }

    #[test]
    fn a_percentage_discount_ignores_the_currency() {
        let usd = crate::domain::Currency::parse("USD").unwrap();
        let order = OrderFacts { currency: Some(&usd), ..OrderFacts::default() };
        assert_eq!(check(terms(), order, 1), Ok(Ok(None)));
    }

    #[test]
    fn a_minimum_order_needs_an_amount_at_or_above_it() {
        let eur = eur();
        let terms = CouponTerms {
            discount: Discount::percentage(dec("10"), Some(eur.clone())).unwrap(),
            min_order_amount: Some(dec("20.00")),
            ..terms()
        };
        let amount = |value| OrderFacts {
            order_amount: Some(dec(value)),
            currency: Some(&eur),
            ..OrderFacts::default()
        };
        let (below, exact) = (amount("19.99"), amount("20.00"));
        assert_eq!(check(terms.clone(), below, 1), Err(RedeemRejection::MinOrderNotMet));
        assert_eq!(
            check(terms.clone(), OrderFacts::default(), 1),
            Err(RedeemRejection::MinOrderNotMet)
        );
        assert_eq!(check(terms, exact, 1), Ok(Ok(Some(dec("2.00")))));
    }

    #[test]
    fn when_several_reasons_apply_the_contract_order_decides() {
        let usd = crate::domain::Currency::parse("USD").unwrap();
        let mut everything_wrong = coupon(CouponTerms {
            discount: Discount::fixed(dec("5"), eur()).unwrap(),
            min_order_amount: Some(dec("100")),
            starts_at: Some(at(500)),
            per_user_limit: Some(1),
            usage_limit: 1,
            ..terms()
        });
        everything_wrong.times_redeemed = 1;
        everything_wrong.active = false;
        let eur = eur();
        let order = OrderFacts {
            order_amount: Some(dec("1")),
            currency: Some(&usd),
            user_redemptions: 1,
            order_already_redeemed: true,
            campaign_budget_left: Some(0),
        };
        let expected = [
            RedeemRejection::Inactive,
            RedeemRejection::NotStarted,
            RedeemRejection::Expired,
            RedeemRejection::UsageLimitReached,
            RedeemRejection::CampaignBudgetReached,
            RedeemRejection::PerUserLimitReached,
            RedeemRejection::OrderAlreadyRedeemed,
            RedeemRejection::CurrencyMismatch,
            RedeemRejection::MinOrderNotMet,
        ];
        // Fix one reason at a time, in order, and watch the next one surface.
        let mut now = at(1);
        let mut order = order;
        for (step, reason) in expected.iter().enumerate() {
            assert_eq!(check_redeem(&everything_wrong, &order, now), Err(*reason), "step {step}");
            match reason {
                RedeemRejection::Inactive => everything_wrong.active = true,
                RedeemRejection::NotStarted => now = at(1000),
                RedeemRejection::Expired => now = at(600),
                RedeemRejection::UsageLimitReached => everything_wrong.times_redeemed = 0,
                RedeemRejection::CampaignBudgetReached => order.campaign_budget_left = Some(1),
                RedeemRejection::PerUserLimitReached => order.user_redemptions = 0,
                RedeemRejection::OrderAlreadyRedeemed => order.order_already_redeemed = false,
                RedeemRejection::CurrencyMismatch => order.currency = Some(&eur),
                RedeemRejection::MinOrderNotMet => order.order_amount = Some(dec("100")),
            }
        }
        assert_eq!(check_redeem(&everything_wrong, &order, now), Ok(Ok(Some(dec("5.00")))));
    }
}
