//! Error decoding: each failure comes back as `ClientError::Api` with the contract's status,
//! `code` and details, and only the right ones are retryable.

use coupon_client::api::{
    CouponId, ErrorCode, HistoryQuery, ReadConsistency, RedeemRequest, RedemptionId,
    RejectionReason, ValidateQuery,
};
use coupon_client::ClientError;

use crate::support::LocalCluster;
use crate::{client, coupon_request};

fn assert_api_error(error: &ClientError, status: u16, code: ErrorCode) {
    let ClientError::Api { status: got, problem, .. } = error else {
        panic!("expected a problem+json answer, got {error:?}");
    };
    assert_eq!((*got, problem.code, problem.status), (status, code, status), "{error}");
    assert!(!error.is_retryable(), "{code:?} must not be retried");
}

/// Goal: not-found, validation, conflict and rejection answers decode into their codes.
/// Steps: one cluster; provoke 404 coupon_not_found, 404 redemption_not_found, 422
/// invalid_request (with the offending field), 409 code_already_exists, 409
/// usage_limit_reached, 409 already_rolled_back; validate says why it is not valid.
#[tokio::test]
async fn every_refusal_decodes_into_its_code() {
    let cluster = LocalCluster::start(3);
    let client = client(cluster.api_addrs());

    let missing = client.get_coupon(CouponId(999_999), ReadConsistency::Linearizable).await;
    assert_api_error(&missing.expect_err("no such coupon"), 404, ErrorCode::CouponNotFound);
    let missing = client.rollback(RedemptionId(999_999)).await;
    assert_api_error(&missing.expect_err("no such redemption"), 404, ErrorCode::RedemptionNotFound);

    let invalid = client.generate(&coupon_request(0)).await.expect_err("usage_limit 0");
    assert_api_error(&invalid, 422, ErrorCode::InvalidRequest);
    let ClientError::Api { problem, .. } = &invalid else { unreachable!() };
    let fields: Vec<&str> = problem.errors.iter().flatten().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"usage_limit"), "{problem:?}");

    let mut named = coupon_request(1);
    named.code = Some("it-Errors-1".into());
    let coupon = client.generate(&named).await.expect("generate").value;
    assert_eq!(coupon.code, "IT-ERRORS-1", "codes are stored upper-case");
    let duplicate = client.generate(&named).await.expect_err("same code again");
    assert_api_error(&duplicate, 409, ErrorCode::CodeAlreadyExists);

    let taken = client.redeem(coupon.id, &RedeemRequest::new("u-1")).await.expect("redeem");
    let exhausted = client.redeem(coupon.id, &RedeemRequest::new("u-2")).await;
    assert_api_error(&exhausted.expect_err("no use left"), 409, ErrorCode::UsageLimitReached);
    let validate = client.validate(coupon.id, &ValidateQuery::default()).await.expect("validate");
    assert!(!validate.valid);
    assert_eq!(validate.reason, Some(RejectionReason::UsageLimitReached));

    client.rollback(taken.value.redemption.id).await.expect("rollback");
    let twice = client.rollback(taken.value.redemption.id).await;
    assert_api_error(&twice.expect_err("rolled back already"), 409, ErrorCode::AlreadyRolledBack);
}

/// Goal: lookups by code and history pages decode. Steps: a coupon found by its code in
/// lower case; three redemptions read back in pages of two.
#[tokio::test]
async fn codes_and_history_pages_decode() {
    let cluster = LocalCluster::start(3);
    let client = client(cluster.api_addrs());
    let mut named = coupon_request(10);
    named.code = Some("IT-PAGES".into());
    let coupon = client.generate(&named).await.expect("generate").value;
    let found = client.get_coupon_by_code("it-pages", ReadConsistency::Local).await;
    assert_eq!(found.expect("by code").id, coupon.id);
    for user in ["u-1", "u-2", "u-3"] {
        client.redeem(coupon.id, &RedeemRequest::new(user)).await.expect("redeem");
    }
    let query = HistoryQuery { limit: Some(2), ..HistoryQuery::default() };
    let first = client.history(coupon.id, &query).await.expect("page 1");
    assert_eq!(first.redemptions.len(), 2);
    let after = first.next_after.expect("a second page");
    let second = client
        .history(coupon.id, &HistoryQuery { after: Some(after), ..query })
        .await
        .expect("page 2");
    assert_eq!(second.redemptions.len(), 1);
    assert_eq!(second.next_after, None);
    assert_eq!(second.redemptions[0].user_id.as_str(), "u-3");
}
