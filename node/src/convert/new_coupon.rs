//! `CreateCouponRequest` into the terms of a new coupon, checking every bound of the contract.

use chrono::{DateTime, Utc};
use coupon_client::api::{CreateCouponRequest, Discount as WireDiscount};
use raft_store::command::CodeChoice;
use raft_store::domain::{
    check_window, parse_cap, parse_count, parse_minimum, CouponCode, CouponTerms, Currency,
    Discount, Invalid, Metadata, Timestamp,
};
use raft_store::limits::GENERATED_CODE_LENGTH;
use rust_decimal::Decimal;

use super::{FieldErrors, InvalidFields};

/// The code and terms of the coupon `request` asks for, at wall-clock time `now`. A code is drawn
/// from `entropy` when the request has none. Every rule is raft-store's (the same ones
/// `KeyedCommand::check_bounds` holds a command to); this adds only what needs the request
/// itself: its wire types, every offending field at once, and an expiry in the future.
pub fn new_coupon(
    request: &CreateCouponRequest,
    now: DateTime<Utc>,
    entropy: [u8; GENERATED_CODE_LENGTH],
) -> Result<(CodeChoice, CouponTerms), InvalidFields> {
    let mut errors = FieldErrors::default();
    let code = match &request.code {
        Some(code) => errors.check("code", CouponCode::parse(code)).map(CodeChoice::Chosen),
        None => Some(CodeChoice::Generated(CouponCode::generate(entropy))),
    };
    let (discount, currency) = discount(&request.discount, &mut errors);
    let (max_discount_amount, min_order_amount) = money_bounds(request, currency, &mut errors);
    if request.expires_at <= now {
        errors.add("expires_at", Invalid::NotInFuture.to_string());
    }
    let expires_at = errors.check("expires_at", Timestamp::try_from_datetime(request.expires_at));
    let starts_at = match request.starts_at {
        Some(at) => errors.check("starts_at", Timestamp::try_from_datetime(at)).map(Some),
        None => Some(None),
    };
    if let (Some(starts_at), Some(expires_at)) = (starts_at, expires_at) {
        errors.check("starts_at", check_window(starts_at, expires_at));
    }
    let usage_limit = errors.check("usage_limit", parse_count(request.usage_limit, 1));
    let per_user_limit = request
        .per_user_limit
        .and_then(|limit| errors.check("per_user_limit", parse_count(limit, 1)));
    let low_stock_threshold = request
        .low_stock_threshold
        .and_then(|threshold| errors.check("low_stock_threshold", parse_count(threshold, 0)));
    let metadata = errors.check("metadata", Metadata::from_object(&request.metadata));

    let terms = (|| {
        Some(CouponTerms {
            discount: discount?,
            max_discount_amount: request.max_discount_amount.and(max_discount_amount),
            min_order_amount: request.min_order_amount.and(min_order_amount),
            starts_at: starts_at?,
            expires_at: expires_at?,
            usage_limit: usage_limit?,
            per_user_limit,
            low_stock_threshold,
            metadata: metadata?,
        })
    })();
    errors.finish(code.zip(terms))
}

/// The discount, and its currency: `Some(None)` when it names none, `None` when the one it names
/// is refused (and recorded). A fixed amount is checked only in a currency the service takes.
fn discount(
    wire: &WireDiscount,
    errors: &mut FieldErrors,
) -> (Option<Discount>, Option<Option<Currency>>) {
    let mut currency = |code: Option<&coupon_client::api::Currency>| match code {
        Some(code) => errors.check("discount.currency", Currency::parse(code.as_str())).map(Some),
        None => Some(None),
    };
    match wire {
        WireDiscount::Percentage { value, currency: code } => {
            let currency = currency(code.as_ref());
            let discount = Discount::percentage(*value, currency.clone().flatten());
            let discount = errors.check("discount.value", discount);
            (discount.filter(|_| currency.is_some()), currency)
        }
        WireDiscount::Fixed { value, currency: code } => {
            let currency = currency(Some(code));
            let discount = currency.clone().flatten().and_then(|currency| {
                errors.check("discount.value", Discount::fixed(*value, currency))
            });
            (discount, currency)
        }
    }
}

/// `max_discount_amount` and `min_order_amount`, each in the discount's `currency` (see
/// `discount`; a percentage that names none has the contract's two fraction digits); a bound is
/// checked only against a currency the service takes.
fn money_bounds(
    request: &CreateCouponRequest,
    currency: Option<Option<Currency>>,
    errors: &mut FieldErrors,
) -> (Option<Decimal>, Option<Decimal>) {
    // `currency` is `None` when the discount's currency was refused already (nothing to check
    // the amounts against), `Some(None)` when the coupon names none (two fraction digits).
    let on_fixed_discount = matches!(request.discount, WireDiscount::Fixed { .. });
    let cap = request.max_discount_amount.and_then(|cap| {
        // The kind rule holds whatever the currency.
        let checkable = on_fixed_discount || currency.is_some();
        let in_currency = currency.as_ref().and_then(Option::as_ref);
        let cap = checkable.then(|| parse_cap(cap, on_fixed_discount, in_currency))?;
        errors.check("max_discount_amount", cap)
    });
    let minimum = request.min_order_amount.and_then(|minimum| {
        let minimum = parse_minimum(minimum, currency.as_ref()?.as_ref());
        errors.check("min_order_amount", minimum)
    });
    (cap, minimum)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use coupon_client::api::{
        CreateCouponRequest, Currency as WireCurrency, Discount as WireDiscount,
    };
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn request() -> CreateCouponRequest {
        let expires_at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        CreateCouponRequest::new(
            WireDiscount::Percentage { value: Decimal::new(15, 0), currency: None },
            expires_at,
            100,
        )
    }

    fn field_errors(request: &CreateCouponRequest) -> Vec<String> {
        // The HTTP layer answers these as one 422 `invalid_request` listing them (`http::error`).
        let InvalidFields(errors) =
            new_coupon(request, now(), [0; GENERATED_CODE_LENGTH]).unwrap_err();
        errors.iter().map(|error| error.field.clone()).collect()
    }

    #[test]
    fn a_valid_request_becomes_terms_and_a_generated_code() {
        let (code, terms) = new_coupon(&request(), now(), [1; GENERATED_CODE_LENGTH]).unwrap();
        assert!(matches!(code, CodeChoice::Generated(_)));
        assert_eq!(terms.usage_limit, 100);
        assert_eq!(terms.metadata.as_json(), "{}");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let mut bad = request();
        bad.code = Some("no spaces allowed".into());
        bad.usage_limit = 0;
        bad.per_user_limit = Some(1_000_000_001);
        bad.expires_at = now();
        bad.discount = WireDiscount::Percentage {
            value: Decimal::new(15, 0),
            currency: Some(WireCurrency::new("EUR")),
        };
        bad.min_order_amount = Some(Decimal::new(-1, 0));
        assert_eq!(
            field_errors(&bad),
            ["code", "min_order_amount", "expires_at", "usage_limit", "per_user_limit"]
        );
    }

    #[test]
    fn discounts_are_checked_by_kind() {
        let mut bad = request();
        bad.discount = WireDiscount::Percentage { value: Decimal::new(101, 0), currency: None };
        assert_eq!(field_errors(&bad), ["discount.value"]);
        bad.discount = WireDiscount::Fixed {
            value: Decimal::new(1000, 2),
            currency: WireCurrency::new("eur"),
        };
        bad.max_discount_amount = Some(Decimal::new(5, 0));
        assert_eq!(field_errors(&bad), ["discount.currency", "max_discount_amount"]);
    }

    #[test]
    fn a_start_must_come_before_the_expiry() {
        let mut bad = request();
        bad.starts_at = Some(bad.expires_at);
        assert_eq!(field_errors(&bad), ["starts_at"]);
    }

    #[test]
    fn metadata_is_bounded_and_stored_canonically() {
        let mut ok = request();
        ok.metadata = json!({"z": 1, "a": {"nested": [true, null]}}).as_object().unwrap().clone();
        let (_, terms) = new_coupon(&ok, now(), [0; GENERATED_CODE_LENGTH]).unwrap();
        assert_eq!(terms.metadata.as_json(), r#"{"a":{"nested":[true,null]},"z":1}"#);

        let mut too_many = request();
        too_many.metadata = (0..33).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(field_errors(&too_many), ["metadata"]);
        let mut too_long = request();
        too_long.metadata = json!({"k": {"deep": "x".repeat(257)}}).as_object().unwrap().clone();
        assert_eq!(field_errors(&too_long), ["metadata"]);
    }

    #[test]
    fn money_is_held_to_the_coupons_currency() {
        // Goal: amounts are checked to the minor unit of the coupon's currency, an unknown
        // currency is refused, and a percentage that names none has two fraction digits.
        let fixed = |value: i64, scale: u32, code: &str| {
            let mut request = request();
            let currency = WireCurrency::new(code);
            request.discount = WireDiscount::Fixed { value: Decimal::new(value, scale), currency };
            request
        };
        assert!(new_coupon(&fixed(500, 0, "JPY"), now(), [0; GENERATED_CODE_LENGTH]).is_ok());
        assert_eq!(field_errors(&fixed(5005, 1, "JPY")), ["discount.value"]);
        assert!(new_coupon(&fixed(5005, 3, "KWD"), now(), [0; GENERATED_CODE_LENGTH]).is_ok());
        assert_eq!(field_errors(&fixed(5005, 3, "EUR")), ["discount.value"]);
        assert_eq!(field_errors(&fixed(500, 2, "XYZ")), ["discount.currency"]);

        let mut anywhere = request();
        anywhere.max_discount_amount = Some(Decimal::new(3050, 2));
        anywhere.min_order_amount = Some(Decimal::new(2050, 2));
        assert!(new_coupon(&anywhere, now(), [0; GENERATED_CODE_LENGTH]).is_ok(), "in cents");
        anywhere.min_order_amount = Some(Decimal::new(20505, 3));
        assert_eq!(field_errors(&anywhere), ["min_order_amount"], "no stated currency: 2 digits");
        anywhere.min_order_amount = Some(Decimal::new(2050, 2));
        let WireDiscount::Percentage { currency, .. } = &mut anywhere.discount else {
            unreachable!()
        };
        *currency = Some(WireCurrency::new("JPY"));
        assert_eq!(field_errors(&anywhere), ["max_discount_amount", "min_order_amount"]);
        anywhere.max_discount_amount = Some(Decimal::new(30, 0));
        anywhere.min_order_amount = Some(Decimal::new(2000, 0));
        let (_, terms) = new_coupon(&anywhere, now(), [0; GENERATED_CODE_LENGTH]).unwrap();
        assert_eq!(terms.discount.currency().map(Currency::as_str), Some("JPY"));
    }
}
