//! `UpdateCouponRequest` into `CouponChanges`, each changed field held to create's bound.

use chrono::{DateTime, Utc};
use coupon_client::api::UpdateCouponRequest;
use raft_store::domain::{
    check_amount_range, parse_cap, parse_count, parse_minimum, CouponChanges, Currency, Discount,
    Invalid, Metadata, Timestamp,
};
use rust_decimal::Decimal;

use super::{FieldErrors, InvalidFields};

/// The changes `request` asks for, at wall-clock time `now` (a new expiry must be in the future),
/// to a coupon whose discount is `discount` (`None`: the coupon is not known, and apply answers).
/// A discount's kind never changes and its currency only by the request itself (a percentage's,
/// set once), so the money bounds are checked here against the currency the coupon will have;
/// the bounds between terms that can change (a start before the expiry, an existing bound in a
/// newly set currency) are checked by apply against the coupon as it is then.
pub fn coupon_changes(
    request: &UpdateCouponRequest,
    now: DateTime<Utc>,
    discount: Option<&Discount>,
) -> Result<CouponChanges, InvalidFields> {
    let mut errors = FieldErrors::default();
    if request.is_empty() {
        errors.add("body", "names no field to change");
    }
    let expires_at = request.expires_at.and_then(|at| {
        if at <= now {
            errors.add("expires_at", Invalid::NotInFuture.to_string());
        }
        errors.check("expires_at", Timestamp::try_from_datetime(at))
    });
    let starts_at = request.starts_at.map(|starts_at| {
        starts_at.and_then(|at| errors.check("starts_at", Timestamp::try_from_datetime(at)))
    });
    let count = |errors: &mut FieldErrors, field: &str, value: u64, min: u64| {
        errors.check(field, parse_count(value, min))
    };
    let usage_limit =
        request.usage_limit.and_then(|limit| count(&mut errors, "usage_limit", limit, 1));
    let per_user_limit = request
        .per_user_limit
        .map(|limit| limit.and_then(|limit| count(&mut errors, "per_user_limit", limit, 1)));
    let low_stock_threshold = request.low_stock_threshold.map(|threshold| {
        threshold.and_then(|threshold| count(&mut errors, "low_stock_threshold", threshold, 0))
    });
    let currency = request.currency.as_ref().and_then(|code| {
        let currency = errors.check("currency", Currency::parse(code.as_str()))?;
        let changes = CouponChanges { currency: Some(currency), ..CouponChanges::default() };
        let kept = discount.map_or(Ok(()), |discount| changes.check_against(discount));
        errors.check("currency", kept.map_err(|error| error.invalid))?;
        changes.currency
    });
    // The discount the money bounds are held to: the coupon's, in the currency the request sets.
    let discount = discount.map(|discount| match (discount, &currency) {
        (Discount::Percentage { percent, .. }, Some(currency)) => {
            Discount::Percentage { percent: *percent, currency: Some(currency.clone()) }
        }
        _ => discount.clone(),
    });
    let discount = discount.as_ref();
    let min_order_amount = request.min_order_amount.map(|minimum| {
        let check =
            |minimum| money_bound(minimum, discount, |currency| parse_minimum(minimum, currency));
        minimum.and_then(|minimum| errors.check("min_order_amount", check(minimum)))
    });
    let max_discount_amount = request.max_discount_amount.map(|cap| {
        let on_fixed_discount = matches!(discount, Some(Discount::Fixed { .. }));
        let check = |cap| {
            money_bound(cap, discount, |currency| parse_cap(cap, on_fixed_discount, currency))
        };
        cap.and_then(|cap| errors.check("max_discount_amount", check(cap)))
    });
    let metadata = request
        .metadata
        .as_ref()
        .and_then(|metadata| errors.check("metadata", Metadata::from_object(metadata)));
    let changes = CouponChanges {
        expires_at,
        starts_at,
        usage_limit,
        per_user_limit,
        min_order_amount,
        max_discount_amount,
        low_stock_threshold,
        metadata,
        currency,
    };
    errors.finish(Some(changes))
}

/// A money bound by the coupon's rule (`parse`, given the discount's currency), or only its range
/// while the coupon is unknown here.
fn money_bound(
    amount: Decimal,
    discount: Option<&Discount>,
    parse: impl FnOnce(Option<&raft_store::domain::Currency>) -> Result<Decimal, Invalid>,
) -> Result<Decimal, Invalid> {
    match discount {
        Some(discount) => parse(discount.currency()),
        None => check_amount_range(amount),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes_to(
        discount: Option<&Discount>,
        body: serde_json::Value,
    ) -> Result<CouponChanges, InvalidFields> {
        coupon_changes(&serde_json::from_value(body).unwrap(), Utc::now(), discount)
    }

    fn changes(body: serde_json::Value) -> Result<CouponChanges, InvalidFields> {
        changes_to(None, body)
    }

    #[test]
    fn each_changed_field_keeps_the_bound_of_create() {
        let ok = changes(json!({"usage_limit": 7, "per_user_limit": null})).unwrap();
        assert_eq!((ok.usage_limit, ok.per_user_limit), (Some(7), Some(None)));
        let fields =
            |body| changes(body).unwrap_err().0.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(json!({})), ["body"]);
        assert_eq!(
            fields(json!({"usage_limit": 0, "expires_at": "2001-01-01T00:00:00Z"})),
            ["expires_at", "usage_limit"]
        );
        assert_eq!(
            fields(json!({"max_discount_amount": "-1", "min_order_amount": "-0.01"})),
            ["min_order_amount", "max_discount_amount"]
        );
    }

    #[test]
    fn money_bounds_are_held_to_the_coupons_currency_and_kind() {
        let currency = |code| Some(Currency::parse(code).unwrap());
        let in_yen = Discount::percentage(Decimal::TEN, currency("JPY")).unwrap();
        let anywhere = Discount::percentage(Decimal::TEN, None).unwrap();
        let fixed = Discount::fixed(Decimal::ONE, currency("KWD").unwrap()).unwrap();
        let fields = |discount, body| {
            let refused = changes_to(Some(discount), body).unwrap_err().0;
            refused.into_iter().map(|e| (e.field, e.message)).collect::<Vec<_>>()
        };
        assert!(changes_to(Some(&in_yen), json!({"min_order_amount": "2000"})).is_ok());
        let refused = fields(&in_yen, json!({"min_order_amount": "20.50"}));
        assert_eq!(refused[0].0, "min_order_amount");
        assert!(refused[0].1.contains("0 fraction digits in JPY"), "{refused:?}");
        assert!(changes_to(Some(&anywhere), json!({"max_discount_amount": "5.25"})).is_ok());
        let refused = fields(&anywhere, json!({"max_discount_amount": "5.255"}));
        assert_eq!(refused[0].1, Invalid::Scale { max: 2 }.to_string());
        assert!(changes_to(Some(&fixed), json!({"min_order_amount": "1.005"})).is_ok());
        let refused = fields(&fixed, json!({"max_discount_amount": "1"}));
        assert_eq!(refused[0].1, Invalid::CapOnFixedDiscount.to_string());
    }

    #[test]
    fn a_percentage_gains_a_currency_with_the_bounds_of_create() {
        // Goal: `currency` is read as create reads it, the same request's money bounds are held
        // to it, and a fixed discount accepts only its own.
        let anywhere = Discount::percentage(Decimal::TEN, None).unwrap();
        let gained =
            changes_to(Some(&anywhere), json!({"currency": "JPY", "min_order_amount": "2000"}));
        assert_eq!(gained.unwrap().currency.unwrap().as_str(), "JPY");
        let field = |discount, body| {
            let refused = changes_to(Some(discount), body).unwrap_err().0;
            refused.into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(
            field(&anywhere, json!({"currency": "JPY", "min_order_amount": "20.50"})),
            ["min_order_amount"]
        );
        assert_eq!(field(&anywhere, json!({"currency": "eur"})), ["currency"]);
        assert_eq!(field(&anywhere, json!({"currency": "XYZ"})), ["currency"]);
        let fixed = Discount::fixed(Decimal::ONE, Currency::parse("KWD").unwrap()).unwrap();
        assert_eq!(field(&fixed, json!({"currency": "EUR"})), ["currency"]);
        assert!(changes_to(Some(&fixed), json!({"currency": "KWD"})).is_ok());
    }
}
