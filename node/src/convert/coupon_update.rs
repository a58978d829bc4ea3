//! `UpdateCouponRequest` into `CouponChanges`, each changed field held to create's bound.

use chrono::{DateTime, Utc};
use coupon_client::api::UpdateCouponRequest;
use raft_store::domain::{
    parse_amount, parse_count, parse_positive_amount, CouponChanges, Invalid, Metadata, Timestamp,
};

use super::{FieldErrors, InvalidFields};

/// The changes `request` asks for, at wall-clock time `now` (a new expiry must be in the future).
/// Bounds between terms (a start before the expiry, a cap only on a percentage) are checked by
/// apply against the coupon as it is then.
pub fn coupon_changes(
    request: &UpdateCouponRequest,
    now: DateTime<Utc>,
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
    let min_order_amount = request.min_order_amount.map(|minimum| {
        minimum.and_then(|minimum| errors.check("min_order_amount", parse_amount(minimum)))
    });
    let max_discount_amount = request.max_discount_amount.map(|cap| {
        cap.and_then(|cap| errors.check("max_discount_amount", parse_positive_amount(cap)))
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
    };
    errors.finish(Some(changes))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes(body: serde_json::Value) -> Result<CouponChanges, InvalidFields> {
        coupon_changes(&serde_json::from_value(body).unwrap(), Utc::now())
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
            fields(json!({"max_discount_amount": "0", "min_order_amount": "1.001"})),
            ["min_order_amount", "max_discount_amount"]
        );
    }
}
