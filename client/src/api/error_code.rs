//! `ErrorCode`: the machine-readable `code` of every problem+json body, and the one place that
//! maps a code to its HTTP status and title.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::RejectionReason;

/// Every error `code` the API returns. Stable snake_case words: clients match on these, never
/// on `detail`. The status of a code is fixed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: malformed JSON, or an empty body where one is required.
    MalformedRequest,
    /// 401: a peer route called with a wrong cluster secret.
    Unauthorized,
    /// 404: no coupon with this id or code.
    CouponNotFound,
    /// 404: no redemption with this id.
    RedemptionNotFound,
    /// 404: an unknown route.
    NotFound,
    /// 405: a wrong method on a known route.
    MethodNotAllowed,
    /// 409: a coupon with this code (case-insensitively) exists.
    CodeAlreadyExists,
    /// 409: rollback of a redemption already rolled back.
    AlreadyRolledBack,
    /// 409: `POST /cluster/init` on a node that already belongs to a cluster.
    ClusterAlreadyInitialized,
    /// 409: a membership change the leader refused as unsafe now (the new node did not prove who
    /// it is, did not catch up, or a quorum would be lost); nothing changed.
    MembershipRefused,
    /// 409: redeem rejected, see [`RejectionReason::Inactive`].
    Inactive,
    /// 409: redeem rejected, see [`RejectionReason::NotStarted`].
    NotStarted,
    /// 409: redeem rejected, see [`RejectionReason::Expired`].
    Expired,
    /// 409: redeem rejected, see [`RejectionReason::UsageLimitReached`].
    UsageLimitReached,
    /// 409: redeem rejected, see [`RejectionReason::CampaignBudgetReached`].
    CampaignBudgetReached,
    /// 409: redeem rejected, see [`RejectionReason::PerUserLimitReached`].
    PerUserLimitReached,
    /// 409: redeem rejected, see [`RejectionReason::OrderAlreadyRedeemed`].
    OrderAlreadyRedeemed,
    /// 409: redeem rejected, see [`RejectionReason::CurrencyMismatch`].
    CurrencyMismatch,
    /// 409: redeem rejected, see [`RejectionReason::MinOrderNotMet`].
    MinOrderNotMet,
    /// 413: request body over the size limit.
    PayloadTooLarge,
    /// 415: wrong `Content-Type` on a body.
    UnsupportedMediaType,
    /// 422: a field missing, of the wrong type or out of bounds; a bad path id or query value.
    InvalidRequest,
    /// 422: an `Idempotency-Key` reused with a different request.
    IdempotencyKeyReused,
    /// 429: the client exceeded its rate; comes with `Retry-After`.
    RateLimited,
    /// 500: a bug or a storage fault on the server.
    Internal,
    /// 503: no leader known, or the node is shedding load; comes with `Retry-After`.
    Unavailable,
    /// 503: a membership change reached a non-leader that could not forward it.
    NotLeader,
    /// 504: the outcome is unknown; retry with the same `Idempotency-Key`.
    Timeout,
    /// 403: the key's role does not allow this route.
    Forbidden,
    /// 404: no API key has this id.
    KeyNotFound,
    /// 409: a key with this id or secret exists already.
    KeyAlreadyExists,
    /// 409: the cluster holds as many keys as it may; revoked keys count.
    KeyLimitReached,
    /// 409: a `PATCH` would take `usage_limit` below the uses taken.
    UsageLimitBelowUsed,
    /// 409: a `PATCH` would add or remove the per-user limit of a coupon with live redemptions.
    PerUserLimitAfterRedemptions,
    /// 404: no hold with this id.
    HoldNotFound,
    /// 409: confirm of a hold at or after its `expires_at`: its use went back.
    HoldExpired,
    /// 409: confirm of a released hold.
    HoldReleased,
    /// 409: release of a confirmed hold (roll its redemption back instead).
    HoldConfirmed,
    /// 404: no campaign with this id.
    CampaignNotFound,
    /// 409: an import names codes that exist already (listed in `errors`); nothing was added.
    CodesTaken,
    /// 404: no such code generation job for this campaign.
    JobNotFound,
    /// 422: the code pattern cannot hold the codes asked for (with those asked for before) while
    /// staying at most half full; nothing was written.
    CodePatternTooSmall,
    /// 404: no coupon has this code, and the code has the shape of a generated code whose check
    /// character is wrong: it was most likely mistyped.
    CodeMistyped,
}

impl ErrorCode {
    /// Every code, for tables (OpenAPI enums, metrics labels, tests).
    pub const ALL: [ErrorCode; 43] = [
        Self::MalformedRequest,
        Self::Unauthorized,
        Self::CouponNotFound,
        Self::RedemptionNotFound,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::CodeAlreadyExists,
        Self::AlreadyRolledBack,
        Self::ClusterAlreadyInitialized,
        Self::MembershipRefused,
        Self::Inactive,
        Self::NotStarted,
        Self::Expired,
        Self::UsageLimitReached,
        Self::PerUserLimitReached,
        Self::OrderAlreadyRedeemed,
        Self::CurrencyMismatch,
        Self::MinOrderNotMet,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::InvalidRequest,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
        Self::NotLeader,
        Self::Timeout,
        Self::Forbidden,
        Self::KeyNotFound,
        Self::KeyAlreadyExists,
        Self::KeyLimitReached,
        Self::UsageLimitBelowUsed,
        Self::PerUserLimitAfterRedemptions,
        Self::HoldNotFound,
        Self::HoldExpired,
        Self::HoldReleased,
        Self::HoldConfirmed,
        Self::CampaignBudgetReached,
        Self::CampaignNotFound,
        Self::CodesTaken,
        Self::JobNotFound,
        Self::CodePatternTooSmall,
        Self::CodeMistyped,
    ];

    /// The HTTP status that always accompanies this code.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::CouponNotFound
            | Self::RedemptionNotFound
            | Self::NotFound
            | Self::KeyNotFound
            | Self::HoldNotFound
            | Self::CampaignNotFound
            | Self::JobNotFound
            | Self::CodeMistyped => 404,
            Self::MethodNotAllowed => 405,
            Self::CodeAlreadyExists
            | Self::AlreadyRolledBack
            | Self::ClusterAlreadyInitialized
            | Self::MembershipRefused
            | Self::Inactive
            | Self::NotStarted
            | Self::Expired
            | Self::UsageLimitReached
            | Self::PerUserLimitReached
            | Self::OrderAlreadyRedeemed
            | Self::CurrencyMismatch
            | Self::MinOrderNotMet
            | Self::KeyAlreadyExists
            | Self::KeyLimitReached
            | Self::UsageLimitBelowUsed
            | Self::PerUserLimitAfterRedemptions
            | Self::HoldExpired
            | Self::HoldReleased
            | Self::HoldConfirmed
            | Self::CampaignBudgetReached
            | Self::CodesTaken => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidRequest | Self::IdempotencyKeyReused | Self::CodePatternTooSmall => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable | Self::NotLeader => 503,
            Self::Timeout => 504,
        }
    }

    /// The problem's `title`: short, human, the same for every occurrence of the code.
    pub fn title(self) -> &'static str {
        match self {
            Self::MalformedRequest => "Malformed request",
            Self::Unauthorized => "Unauthorized",
            Self::CouponNotFound => "Coupon not found",
            Self::RedemptionNotFound => "Redemption not found",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::CodeAlreadyExists => "Code already exists",
            Self::AlreadyRolledBack => "Already rolled back",
            Self::ClusterAlreadyInitialized => "Cluster already initialized",
            Self::MembershipRefused => "Membership change refused",
            Self::Inactive => "Coupon inactive",
            Self::NotStarted => "Coupon not started",
            Self::Expired => "Coupon expired",
            Self::UsageLimitReached => "Usage limit reached",
            Self::PerUserLimitReached => "Per-user limit reached",
            Self::OrderAlreadyRedeemed => "Order already redeemed",
            Self::CurrencyMismatch => "Currency mismatch",
            Self::MinOrderNotMet => "Minimum order not met",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::InvalidRequest => "Invalid request",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::RateLimited => "Rate limited",
            Self::Internal => "Internal server error",
            Self::Unavailable => "Service unavailable",
            Self::NotLeader => "Not leader",
            Self::Timeout => "Timeout",
            Self::Forbidden => "Forbidden",
            Self::KeyNotFound => "Key not found",
            Self::KeyAlreadyExists => "Key already exists",
            Self::KeyLimitReached => "Key limit reached",
            Self::UsageLimitBelowUsed => "Usage limit below used",
            Self::PerUserLimitAfterRedemptions => "Per-user limit after redemptions",
            Self::HoldNotFound => "Hold not found",
            Self::HoldExpired => "Hold expired",
            Self::HoldReleased => "Hold released",
            Self::HoldConfirmed => "Hold confirmed",
            Self::CampaignBudgetReached => "Campaign budget reached",
            Self::CampaignNotFound => "Campaign not found",
            Self::CodesTaken => "Codes taken",
            Self::JobNotFound => "Job not found",
            Self::CodePatternTooSmall => "Code pattern too small",
            Self::CodeMistyped => "Code mistyped",
        }
    }

    /// The wire word, e.g. `"usage_limit_reached"` (the same as its serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::Unauthorized => "unauthorized",
            Self::CouponNotFound => "coupon_not_found",
            Self::RedemptionNotFound => "redemption_not_found",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::CodeAlreadyExists => "code_already_exists",
            Self::AlreadyRolledBack => "already_rolled_back",
            Self::ClusterAlreadyInitialized => "cluster_already_initialized",
            Self::MembershipRefused => "membership_refused",
            Self::Inactive => "inactive",
            Self::NotStarted => "not_started",
            Self::Expired => "expired",
            Self::UsageLimitReached => "usage_limit_reached",
            Self::PerUserLimitReached => "per_user_limit_reached",
            Self::OrderAlreadyRedeemed => "order_already_redeemed",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::MinOrderNotMet => "min_order_not_met",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidRequest => "invalid_request",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::NotLeader => "not_leader",
            Self::Timeout => "timeout",
            Self::Forbidden => "forbidden",
            Self::KeyNotFound => "key_not_found",
            Self::KeyAlreadyExists => "key_already_exists",
            Self::KeyLimitReached => "key_limit_reached",
            Self::UsageLimitBelowUsed => "usage_limit_below_used",
            Self::PerUserLimitAfterRedemptions => "per_user_limit_after_redemptions",
            Self::HoldNotFound => "hold_not_found",
            Self::HoldExpired => "hold_expired",
            Self::HoldReleased => "hold_released",
            Self::HoldConfirmed => "hold_confirmed",
            Self::CampaignBudgetReached => "campaign_budget_reached",
            Self::CampaignNotFound => "campaign_not_found",
            Self::CodesTaken => "codes_taken",
            Self::JobNotFound => "job_not_found",
            Self::CodePatternTooSmall => "code_pattern_too_small",
            Self::CodeMistyped => "code_mistyped",
        }
    }

    /// The rejection reason this code stands for, if it stands for one.
    pub fn rejection_reason(self) -> Option<RejectionReason> {
        match self {
            Self::Inactive => Some(RejectionReason::Inactive),
            Self::NotStarted => Some(RejectionReason::NotStarted),
            Self::Expired => Some(RejectionReason::Expired),
            Self::UsageLimitReached => Some(RejectionReason::UsageLimitReached),
            Self::CampaignBudgetReached => Some(RejectionReason::CampaignBudgetReached),
            Self::PerUserLimitReached => Some(RejectionReason::PerUserLimitReached),
            Self::OrderAlreadyRedeemed => Some(RejectionReason::OrderAlreadyRedeemed),
            Self::CurrencyMismatch => Some(RejectionReason::CurrencyMismatch),
            Self::MinOrderNotMet => Some(RejectionReason::MinOrderNotMet),
            _ => None,
        }
    }
}

impl From<RejectionReason> for ErrorCode {
    fn from(reason: RejectionReason) -> Self {
        match reason {
            RejectionReason::Inactive => Self::Inactive,
            RejectionReason::NotStarted => Self::NotStarted,
            RejectionReason::Expired => Self::Expired,
            RejectionReason::UsageLimitReached => Self::UsageLimitReached,
            RejectionReason::CampaignBudgetReached => Self::CampaignBudgetReached,
            RejectionReason::PerUserLimitReached => Self::PerUserLimitReached,
            RejectionReason::OrderAlreadyRedeemed => Self::OrderAlreadyRedeemed,
            RejectionReason::CurrencyMismatch => Self::CurrencyMismatch,
            RejectionReason::MinOrderNotMet => Self::MinOrderNotMet,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    //! The mapping table of `ErrorCode`, checked row by row against API.md.

    use super::ErrorCode;
    use crate::api::RejectionReason;

    /// (code, wire word, status, title): the whole contract in one table.
    const TABLE: [(ErrorCode, &str, u16, &str); 43] = [
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
        (ErrorCode::MembershipRefused, "membership_refused", 409, "Membership change refused"),
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
        (ErrorCode::Forbidden, "forbidden", 403, "Forbidden"),
        (ErrorCode::KeyNotFound, "key_not_found", 404, "Key not found"),
        (ErrorCode::KeyAlreadyExists, "key_already_exists", 409, "Key already exists"),
        (ErrorCode::KeyLimitReached, "key_limit_reached", 409, "Key limit reached"),
        (ErrorCode::UsageLimitBelowUsed, "usage_limit_below_used", 409, "Usage limit below used"),
        (
            ErrorCode::PerUserLimitAfterRedemptions,
            "per_user_limit_after_redemptions",
            409,
            "Per-user limit after redemptions",
        ),
        (ErrorCode::HoldNotFound, "hold_not_found", 404, "Hold not found"),
        (ErrorCode::HoldExpired, "hold_expired", 409, "Hold expired"),
        (ErrorCode::HoldReleased, "hold_released", 409, "Hold released"),
        (ErrorCode::HoldConfirmed, "hold_confirmed", 409, "Hold confirmed"),
        (
            ErrorCode::CampaignBudgetReached,
            "campaign_budget_reached",
            409,
            "Campaign budget reached",
        ),
        (ErrorCode::CampaignNotFound, "campaign_not_found", 404, "Campaign not found"),
        (ErrorCode::CodesTaken, "codes_taken", 409, "Codes taken"),
        (ErrorCode::JobNotFound, "job_not_found", 404, "Job not found"),
        (ErrorCode::CodePatternTooSmall, "code_pattern_too_small", 422, "Code pattern too small"),
        (ErrorCode::CodeMistyped, "code_mistyped", 404, "Code mistyped"),
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
            ErrorCode::MembershipRefused => 9,
            ErrorCode::Inactive => 10,
            ErrorCode::NotStarted => 11,
            ErrorCode::Expired => 12,
            ErrorCode::UsageLimitReached => 13,
            ErrorCode::PerUserLimitReached => 14,
            ErrorCode::OrderAlreadyRedeemed => 15,
            ErrorCode::CurrencyMismatch => 16,
            ErrorCode::MinOrderNotMet => 17,
            ErrorCode::PayloadTooLarge => 18,
            ErrorCode::UnsupportedMediaType => 19,
            ErrorCode::InvalidRequest => 20,
            ErrorCode::IdempotencyKeyReused => 21,
            ErrorCode::RateLimited => 22,
            ErrorCode::Internal => 23,
            ErrorCode::Unavailable => 24,
            ErrorCode::NotLeader => 25,
            ErrorCode::Timeout => 26,
            ErrorCode::Forbidden => 27,
            ErrorCode::KeyNotFound => 28,
            ErrorCode::KeyAlreadyExists => 29,
            ErrorCode::KeyLimitReached => 30,
            ErrorCode::UsageLimitBelowUsed => 31,
            ErrorCode::PerUserLimitAfterRedemptions => 32,
            ErrorCode::HoldNotFound => 33,
            ErrorCode::HoldExpired => 34,
            ErrorCode::HoldReleased => 35,
            ErrorCode::HoldConfirmed => 36,
            ErrorCode::CampaignBudgetReached => 37,
            ErrorCode::CampaignNotFound => 38,
            ErrorCode::CodesTaken => 39,
            ErrorCode::JobNotFound => 40,
            ErrorCode::CodePatternTooSmall => 41,
            ErrorCode::CodeMistyped => 42,
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
}
