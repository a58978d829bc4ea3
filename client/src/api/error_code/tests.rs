//! The mapping table of `ErrorCode`, checked row by row against API.md.

use super::ErrorCode;
use crate::api::RejectionReason;

/// (code, wire word, status, title): the whole contract in one table.
const TABLE: [(ErrorCode, &str, u16, &str); 26] = [
    (ErrorCode::MalformedRequest, "malformed_request", 400, "Malformed request"),
    (ErrorCode::Unauthorized, "unauthorized", 401, "Unauthorized"),
    (ErrorCode::CouponNotFound, "coupon_not_found", 404, "Coupon not found"),
    (ErrorCode::RedemptionNotFound, "redemption_not_found", 404, "Redemption not found"),
    (ErrorCode::NotFound, "not_found", 404, "Not found"),
    (ErrorCode::MethodNotAllowed, "method_not_allowed", 405, "Method not allowed"),
    (ErrorCode::CodeAlreadyExists, "code_already_exists", 409, "Code already exists"),
    (ErrorCode::AlreadyRolledBack, "already_rolled_back", 409, "Already rolled back"),
    (
        ErrorCode::ClusterAlreadyInitialized,
        "cluster_already_initialized",
        409,
        "Cluster already initialized",
    ),
    (ErrorCode::Inactive, "inactive", 409, "Coupon inactive"),
    (ErrorCode::NotStarted, "not_started", 409, "Coupon not started"),
    (ErrorCode::Expired, "expired", 409, "Coupon expired"),
    (ErrorCode::UsageLimitReached, "usage_limit_reached", 409, "Usage limit reached"),
    (ErrorCode::PerUserLimitReached, "per_user_limit_reached", 409, "Per-user limit reached"),
    (ErrorCode::OrderAlreadyRedeemed, "order_already_redeemed", 409, "Order already redeemed"),
    (ErrorCode::CurrencyMismatch, "currency_mismatch", 409, "Currency mismatch"),
    (ErrorCode::MinOrderNotMet, "min_order_not_met", 409, "Minimum order not met"),
    (ErrorCode::PayloadTooLarge, "payload_too_large", 413, "Payload too large"),
    (ErrorCode::UnsupportedMediaType, "unsupported_media_type", 415, "Unsupported media type"),
    (ErrorCode::InvalidRequest, "invalid_request", 422, "Invalid request"),
    (ErrorCode::IdempotencyKeyReused, "idempotency_key_reused", 422, "Idempotency key reused"),
    (ErrorCode::RateLimited, "rate_limited", 429, "Rate limited"),
    (ErrorCode::Internal, "internal", 500, "Internal server error"),
    (ErrorCode::Unavailable, "unavailable", 503, "Service unavailable"),
    (ErrorCode::NotLeader, "not_leader", 503, "Not leader"),
    (ErrorCode::Timeout, "timeout", 504, "Timeout"),
];

/// Fails to compile when a variant is added: extend `TABLE` and `ErrorCode::ALL` with it.
fn table_row(code: ErrorCode) -> usize {
    match code {
        ErrorCode::MalformedRequest => 0,
        ErrorCode::Unauthorized => 1,
        ErrorCode::CouponNotFound => 2,
        ErrorCode::RedemptionNotFound => 3,
        ErrorCode::NotFound => 4,
        ErrorCode::MethodNotAllowed => 5,
        ErrorCode::CodeAlreadyExists => 6,
        ErrorCode::AlreadyRolledBack => 7,
        ErrorCode::ClusterAlreadyInitialized => 8,
        ErrorCode::Inactive => 9,
        ErrorCode::NotStarted => 10,
        ErrorCode::Expired => 11,
        ErrorCode::UsageLimitReached => 12,
        ErrorCode::PerUserLimitReached => 13,
        ErrorCode::OrderAlreadyRedeemed => 14,
        ErrorCode::CurrencyMismatch => 15,
        ErrorCode::MinOrderNotMet => 16,
        ErrorCode::PayloadTooLarge => 17,
        ErrorCode::UnsupportedMediaType => 18,
        ErrorCode::InvalidRequest => 19,
        ErrorCode::IdempotencyKeyReused => 20,
        ErrorCode::RateLimited => 21,
        ErrorCode::Internal => 22,
        ErrorCode::Unavailable => 23,
        ErrorCode::NotLeader => 24,
        ErrorCode::Timeout => 25,
    }
}

#[test]
fn every_code_has_its_status_title_and_wire_word() {
    for (index, (code, word, status, title)) in TABLE.into_iter().enumerate() {
        assert_eq!(table_row(code), index, "{code:?} is on the wrong row");
        assert_eq!(code.status(), status, "{code:?}");
        assert_eq!(code.title(), title, "{code:?}");
        assert_eq!(code.as_str(), word, "{code:?}");
        assert_eq!(code.to_string(), word, "{code:?}");
        assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(word));
        assert_eq!(serde_json::from_value::<ErrorCode>(word.into()).unwrap(), code);
    }
}

#[test]
fn all_lists_every_code_once() {
    let mut seen = [false; TABLE.len()];
    for code in ErrorCode::ALL {
        let row = table_row(code);
        assert!(!seen[row], "{code:?} twice in ALL");
        seen[row] = true;
    }
    assert!(seen.iter().all(|seen| *seen));
}

#[test]
fn rejection_reasons_map_to_409_codes_and_back() {
    for reason in RejectionReason::ALL {
        let code = ErrorCode::from(reason);
        assert_eq!(code.status(), 409);
        assert_eq!(code.as_str(), reason.as_str());
        assert_eq!(code.rejection_reason(), Some(reason));
    }
    let rejections = ErrorCode::ALL.iter().filter(|code| code.rejection_reason().is_some());
    assert_eq!(rejections.count(), RejectionReason::ALL.len());
}

#[test]
fn unknown_codes_do_not_parse() {
    assert!(serde_json::from_value::<ErrorCode>("Usage_Limit_Reached".into()).is_err());
    assert!(serde_json::from_value::<ErrorCode>("teapot".into()).is_err());
}
