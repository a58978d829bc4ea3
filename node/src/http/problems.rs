//! The error responses of each route, for the OpenAPI document. A route names the `ErrorCode`s
//! it can answer with once, as one of the sets below in its handler's
//! `#[utoipa::path(responses(...))]`; each status of a set becomes one `application/problem+json`
//! response whose `code` is narrowed to that route's codes, with one example per code.
//!
//! Codes every route can answer with (`internal`, `timeout`) and those a layer adds
//! (`rate_limited`) are added by `openapi.rs`, where the document is assembled.

use std::collections::BTreeMap;

use coupon_client::api::{header, ErrorCode, PROBLEM_CONTENT_TYPE};
use serde_json::json;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, Header, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder,
};
use utoipa::IntoResponses;

/// One `IntoResponses` type per set of codes: `problem_sets!(Name: [Code, ...];)`.
macro_rules! problem_sets {
    ($($(#[$doc:meta])* $name:ident: [$($code:ident),+ $(,)?];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problem_responses(&[$(ErrorCode::$code),+])
            }
        }
    )+};
}

problem_sets! {
    /// `POST /coupons/generate`.
    CreateCouponProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CodeAlreadyExists, Unavailable,
    ];
    /// `POST /coupons/{id}/redeem`: the body's failures, and every refusal (precedence order).
    RedeemProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CouponNotFound, CodeMistyped, Inactive, NotStarted, Expired,
        UsageLimitReached, CampaignBudgetReached, PerUserLimitReached, OrderAlreadyRedeemed, CurrencyMismatch,
        MinOrderNotMet, Unavailable,
    ];
    /// `POST /coupons/{id}/holds` and `/codes/{code}/holds`: a redeem's failures and refusals.
    PlaceHoldProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CouponNotFound, CodeMistyped, Inactive, NotStarted, Expired,
        UsageLimitReached, CampaignBudgetReached, PerUserLimitReached, OrderAlreadyRedeemed, CurrencyMismatch,
        MinOrderNotMet, Unavailable,
    ];
    /// `POST /holds/{id}/confirm`.
    ConfirmHoldProblems: [
        InvalidRequest, IdempotencyKeyReused, HoldNotFound, HoldExpired, HoldReleased, Unavailable,
    ];
    /// `POST /holds/{id}/release`.
    ReleaseHoldProblems: [
        InvalidRequest, IdempotencyKeyReused, HoldNotFound, HoldConfirmed, Unavailable,
    ];
    /// `GET /holds/{id}`.
    HoldReadProblems: [InvalidRequest, HoldNotFound, Unavailable];
    /// `POST /campaigns`.
    CreateCampaignProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, Unavailable,
    ];
    /// `POST /campaigns/{id}/codes/import`.
    ImportCodesProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CampaignNotFound, CodesTaken, Unavailable,
    ];
    /// `POST /campaigns/{id}/codes`.
    GenerateCodesProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CampaignNotFound, CodePatternTooSmall, Unavailable,
    ];
    /// `GET /campaigns/{id}/jobs/{job}`.
    JobReadProblems: [InvalidRequest, JobNotFound, Unavailable];
    /// `GET /campaigns/{id}` and its export.
    CampaignReadProblems: [InvalidRequest, CampaignNotFound, Unavailable];
    /// `POST /redemptions/{id}/rollback`.
    RollBackProblems: [
        InvalidRequest, IdempotencyKeyReused, RedemptionNotFound, AlreadyRolledBack, Unavailable,
    ];
    /// `PATCH /coupons/{id}`.
    CouponPatchProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, CouponNotFound, UsageLimitBelowUsed, PerUserLimitAfterRedemptions,
        Unavailable,
    ];
    /// `POST /coupons/{id}/deactivate` and `/reactivate`.
    CouponUpdateProblems: [InvalidRequest, IdempotencyKeyReused, CouponNotFound, Unavailable];
    /// The reads of one coupon: get, look up by code, validate, history (`code_mistyped` only by
    /// code).
    CouponReadProblems: [InvalidRequest, CouponNotFound, CodeMistyped, Unavailable];
    /// `GET /alerts`.
    ReadProblems: [InvalidRequest, Unavailable];
    /// `GET /cluster`: the answering node's own view, so only its query can be refused.
    QueryProblems: [InvalidRequest];
    /// `POST /cluster/init`.
    InitClusterProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        ClusterAlreadyInitialized, Unavailable,
    ];
    /// `POST /cluster/members`.
    AddMemberProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        MembershipRefused, Unavailable, NotLeader,
    ];
    /// `DELETE /cluster/members/{id}`.
    RemoveMemberProblems: [InvalidRequest, MembershipRefused, Unavailable, NotLeader];
    /// `GET /readyz`.
    NotReadyProblems: [Unavailable];
    /// `POST /keys`.
    CreateKeyProblems: [
        MalformedRequest, PayloadTooLarge, UnsupportedMediaType, InvalidRequest,
        IdempotencyKeyReused, KeyAlreadyExists, KeyLimitReached, Unavailable,
    ];
    /// `DELETE /keys/{id}`.
    RevokeKeyProblems: [InvalidRequest, IdempotencyKeyReused, KeyNotFound, Unavailable];
}

/// One response per status among `codes`.
pub fn problem_responses(codes: &[ErrorCode]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for &code in codes {
        by_status.entry(code.status()).or_default().push(code);
    }
    by_status
        .into_iter()
        .map(|(status, codes)| (status.to_string(), problem_response(&codes).into()))
        .collect()
}

/// A problem+json response for `codes`, which share one status.
pub fn problem_response(codes: &[ErrorCode]) -> Response {
    let words: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
    let code_schema =
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(words.clone()));
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(ObjectBuilder::new().property("code", code_schema).required("code"));
    let examples = codes.iter().map(|&code| {
        let example = utoipa::openapi::example::ExampleBuilder::new()
            .summary(code.title())
            .value(Some(problem_example(code)));
        (code.as_str(), example)
    });
    let content = ContentBuilder::new().schema(Some(schema)).examples_from_iter(examples).build();
    let status = codes.first().map_or(500, |code| code.status());
    let reason = match codes {
        [only] => only.title(),
        _ => http::StatusCode::from_u16(status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Error"),
    };
    let listed: Vec<String> = words.iter().map(|word| format!("`{word}`")).collect();
    let description = format!("{reason}: `code` is {}.", listed.join(" or "));
    let mut response =
        ResponseBuilder::new().description(description).content(PROBLEM_CONTENT_TYPE, content);
    if matches!(status, 429 | 503) {
        response = response.header(header::RETRY_AFTER, retry_after());
    }
    response.build()
}

fn problem_example(code: ErrorCode) -> serde_json::Value {
    let mut example = json!({
        "type": "about:blank", "title": code.title(), "status": code.status(), "code": code.as_str()
    });
    if code == ErrorCode::InvalidRequest {
        example["detail"] = json!("usage_limit: must be at least 1");
        example["errors"] = json!([{"field": "usage_limit", "message": "must be at least 1"}]);
    }
    example
}

fn retry_after() -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
        .description(Some("Seconds to wait before retrying: a whole number."))
        .build()
}
