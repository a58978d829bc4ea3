//! Single HTTP attempts at one chosen node, for the operations where a checker needs exact
//! control: which node answers a read, which node a replay reaches, one attempt per send.

use std::time::Duration;

use bytes::Bytes;
use coupon_client::api::{
    header, Coupon, Problem, RedeemRequest, RedeemResponse, ValidateResponse,
};
use coupon_client::ClientError;
use raft_store::NodeId;
use serde::de::DeserializeOwned;

use super::history::{Outcome, ReadKind};
use crate::harness::address::api_addr;
use crate::net::http_call;

/// POSTs a redeem to `node`, once, with `key` as its Idempotency-Key if there is one.
pub async fn redeem_at(
    node: NodeId,
    coupon: u64,
    request: &RedeemRequest,
    key: Option<&str>,
    timeout: Duration,
) -> Outcome {
    let body = match serde_json::to_vec(request) {
        Ok(body) => body,
        Err(error) => return Outcome::Unknown { why: format!("encode: {error}") },
    };
    let mut builder =
        http::Request::post(format!("http://{}/coupons/{coupon}/redeem", api_addr(node)))
            .header(http::header::HOST, api_addr(node).to_string())
            .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        builder = builder.header(header::IDEMPOTENCY_KEY, key);
    }
    let built = builder.body(Bytes::from(body));
    let Ok(request) = built else { return Outcome::Unknown { why: "request build".to_owned() } };
    match http_call(api_addr(node), request, timeout).await {
        Ok(response) => redeem_outcome(&response),
        Err(failure) => Outcome::Unknown { why: format!("{:?}: {}", failure.kind, failure.error) },
    }
}

/// Reads the coupon's remaining uses on `node` (linearizable, the default), once.
pub async fn read_at(node: NodeId, coupon: u64, kind: ReadKind, timeout: Duration) -> Outcome {
    let path = match kind {
        ReadKind::Validate => format!("/coupons/{coupon}/validate"),
        ReadKind::GetCoupon => format!("/coupons/{coupon}"),
    };
    let built = http::Request::get(format!("http://{}{path}", api_addr(node)))
        .header(http::header::HOST, api_addr(node).to_string())
        .body(Bytes::new());
    let Ok(request) = built else { return Outcome::Unknown { why: "request build".to_owned() } };
    let response = match http_call(api_addr(node), request, timeout).await {
        Ok(response) => response,
        Err(failure) => {
            return Outcome::Unknown { why: format!("{:?}: {}", failure.kind, failure.error) }
        }
    };
    if response.status() != http::StatusCode::OK {
        return problem_outcome(response.status().as_u16(), response.body());
    }
    let remaining = match kind {
        ReadKind::Validate => decode::<ValidateResponse>(response.body()).and_then(|v| v.remaining),
        ReadKind::GetCoupon => decode::<Coupon>(response.body()).map(|coupon| coupon.remaining),
    };
    match remaining.and_then(|remaining| u32::try_from(remaining).ok()) {
        Some(remaining) => Outcome::Read { remaining },
        None => Outcome::Unknown { why: "a 200 without a readable `remaining`".to_owned() },
    }
}

fn redeem_outcome(response: &http::Response<Bytes>) -> Outcome {
    if response.status() != http::StatusCode::CREATED {
        return problem_outcome(response.status().as_u16(), response.body());
    }
    let replayed = response
        .headers()
        .get(header::IDEMPOTENT_REPLAYED)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"true"));
    match decode::<RedeemResponse>(response.body()) {
        Some(answer) => Outcome::Redeemed {
            redemption: answer.redemption.id.0,
            remaining: u32::try_from(answer.coupon.remaining).unwrap_or(u32::MAX),
            replayed,
        },
        None => Outcome::Unknown { why: "a 201 whose body is not a redeem answer".to_owned() },
    }
}

/// A 4xx with a problem body is definite; anything else (5xx, no problem body) is unknown.
pub fn problem_outcome(status: u16, body: &[u8]) -> Outcome {
    match decode::<Problem>(body) {
        Some(problem) if (400..500).contains(&status) => {
            Outcome::Rejected { status, code: code_name(&problem) }
        }
        Some(problem) => Outcome::Unknown { why: format!("{status} {}", code_name(&problem)) },
        None => Outcome::Unknown { why: format!("{status} without a problem body") },
    }
}

/// The outcome a `CouponClient` error stands for.
pub fn client_error_outcome(error: &ClientError) -> Outcome {
    match error {
        ClientError::Api { status, problem, .. } if (400..500).contains(status) => {
            Outcome::Rejected { status: *status, code: code_name(problem) }
        }
        other => Outcome::Unknown { why: other.to_string() },
    }
}

fn code_name(problem: &Problem) -> String {
    serde_json::to_value(problem.code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", problem.code))
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}
