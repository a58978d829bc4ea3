//! `CreateCouponRequest` into the terms of a new coupon, checking every bound of the contract.

use chrono::{DateTime, Utc};
use coupon_client::api::{CreateCouponRequest, Discount as WireDiscount, Metadata as WireMetadata};
use raft_store::command::CodeChoice;
use raft_store::domain::{
    parse_amount, parse_positive_amount, CouponCode, CouponTerms, Currency, Discount, Invalid,
    Metadata, Timestamp,
};
use raft_store::limits::{
    GENERATED_CODE_LENGTH, METADATA_JSON_BYTES_MAX, METADATA_KEYS_MAX, METADATA_STRING_CHARS_MAX,
    USAGE_LIMIT_MAX,
};
use serde_json::Value;

use super::{FieldErrors, InvalidFields};

/// The code and terms of the coupon `request` asks for, at wall-clock time `now`. A code is drawn
/// from `entropy` when the request has none.
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
    let discount = discount(&request.discount, &mut errors);
    let max_discount_amount = request.max_discount_amount.and_then(|cap| {
        if matches!(request.discount, WireDiscount::Fixed { .. }) {
            errors.add("max_discount_amount", Invalid::CapOnFixedDiscount.to_string());
        }
        errors.check("max_discount_amount", parse_positive_amount(cap))
    });
    let min_order_amount = request
        .min_order_amount
        .and_then(|min| errors.check("min_order_amount", parse_amount(min)));
    if request.expires_at <= now {
        errors.add("expires_at", Invalid::NotInFuture.to_string());
    }
    if request.starts_at.is_some_and(|starts_at| starts_at >= request.expires_at) {
        errors.add("starts_at", Invalid::StartsAfterExpiry.to_string());
    }
    let usage_limit = errors.check("usage_limit", count(request.usage_limit, 1));
    let per_user_limit =
        request.per_user_limit.and_then(|limit| errors.check("per_user_limit", count(limit, 1)));
    let low_stock_threshold = request
        .low_stock_threshold
        .and_then(|threshold| errors.check("low_stock_threshold", count(threshold, 0)));
    let metadata = errors.check("metadata", metadata(&request.metadata));

    let terms = (|| {
        Some(CouponTerms {
            discount: discount?,
            max_discount_amount: request.max_discount_amount.and(max_discount_amount),
            min_order_amount: request.min_order_amount.and(min_order_amount),
            starts_at: request.starts_at.map(Timestamp::from_datetime),
            expires_at: Timestamp::from_datetime(request.expires_at),
            usage_limit: usage_limit?,
            per_user_limit,
            low_stock_threshold,
            metadata: metadata?,
        })
    })();
    errors.finish(code.zip(terms))
}

fn discount(wire: &WireDiscount, errors: &mut FieldErrors) -> Option<Discount> {
    match wire {
        WireDiscount::Percentage { value } => {
            errors.check("discount.value", Discount::percentage(*value))
        }
        WireDiscount::Fixed { value, currency } => {
            let currency = errors.check("discount.currency", Currency::parse(currency.as_str()));
            let amount = errors.check("discount.value", parse_positive_amount(*value));
            Discount::fixed(amount?, currency?).ok()
        }
    }
}

/// A count from `min` to `USAGE_LIMIT_MAX`.
fn count(value: u64, min: u64) -> Result<u32, Invalid> {
    let max = u64::from(USAGE_LIMIT_MAX);
    match u32::try_from(value) {
        Ok(count) if (min..=max).contains(&value) => Ok(count),
        _ => Err(Invalid::OutOfRange { min, max }),
    }
}

/// At most 32 keys; keys and string values (at any depth) at most 256 characters; at most
/// 16 KiB as compact JSON. Stored canonically: compact, keys sorted.
fn metadata(metadata: &WireMetadata) -> Result<Metadata, Invalid> {
    if metadata.len() > METADATA_KEYS_MAX {
        return Err(Invalid::TooManyKeys { max: METADATA_KEYS_MAX });
    }
    let too_long = |text: &str| text.chars().count() > METADATA_STRING_CHARS_MAX;
    if metadata.iter().any(|(key, value)| too_long(key) || has_long_string(value, &too_long)) {
        return Err(Invalid::MetadataString { max: METADATA_STRING_CHARS_MAX });
    }
    let json = serde_json::to_string(metadata).map_err(|_| Invalid::NotAnObject)?;
    if json.len() > METADATA_JSON_BYTES_MAX {
        return Err(Invalid::TooLarge { max: METADATA_JSON_BYTES_MAX });
    }
    Ok(Metadata::from_validated_json(json))
}

fn has_long_string(value: &Value, too_long: &impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(text) => too_long(text),
        Value::Array(items) => items.iter().any(|item| has_long_string(item, too_long)),
        Value::Object(fields) => {
            fields.iter().any(|(key, item)| too_long(key) || has_long_string(item, too_long))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
#[path = "new_coupon_tests.rs"]
mod tests;
