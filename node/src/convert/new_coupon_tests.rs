use chrono::TimeZone;
use coupon_client::api::{CreateCouponRequest, Currency as WireCurrency, Discount as WireDiscount};
use rust_decimal::Decimal;
use serde_json::json;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

fn request() -> CreateCouponRequest {
    let expires_at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
    CreateCouponRequest::new(
        WireDiscount::Percentage { value: Decimal::new(15, 0) },
        expires_at,
        100,
    )
}

fn field_errors(request: &CreateCouponRequest) -> Vec<String> {
    // The HTTP layer answers these as one 422 `invalid_request` listing them (`http::error`).
    let InvalidFields(errors) = new_coupon(request, now(), [0; GENERATED_CODE_LENGTH]).unwrap_err();
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
    bad.min_order_amount = Some(Decimal::new(-1, 0));
    assert_eq!(
        field_errors(&bad),
        ["code", "min_order_amount", "expires_at", "usage_limit", "per_user_limit"]
    );
}

#[test]
fn discounts_are_checked_by_kind() {
    let mut bad = request();
    bad.discount = WireDiscount::Percentage { value: Decimal::new(101, 0) };
    assert_eq!(field_errors(&bad), ["discount.value"]);
    bad.discount =
        WireDiscount::Fixed { value: Decimal::new(1000, 2), currency: WireCurrency::new("eur") };
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
