//! Plain HTTP calls for tests that need the raw status, headers and body.

use std::time::Duration;

use coupon_client::api::{CreateCouponRequest, Discount};
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client")
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn is_problem(&self) -> bool {
        let content_type =
            self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        content_type == "application/problem+json" && self.body["status"] == self.status
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body read");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, body }
}

pub async fn get(api: &str, path: &str) -> Reply {
    send(client().get(format!("http://{api}{path}"))).await
}

pub async fn post_json(api: &str, path: &str, body: &Value, key: Option<&str>) -> Reply {
    let mut request = client().post(format!("http://{api}{path}")).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    send(request).await
}

/// A coupon body: 10 % off, `usage_limit` uses, valid for a year.
pub fn coupon_body(code: &str, usage_limit: u64) -> Value {
    let expires_at = chrono::Utc::now() + chrono::Duration::days(365);
    let mut request = CreateCouponRequest::new(
        Discount::Percentage { value: Decimal::TEN, currency: None },
        expires_at,
        usage_limit,
    );
    request.code = Some(code.to_owned());
    serde_json::to_value(request).expect("coupon body")
}

/// Creates a coupon through `api` and returns its id.
pub async fn create_coupon(api: &str, body: &Value) -> u64 {
    let reply = post_json(api, "/coupons/generate", body, None).await;
    assert_eq!(reply.status, 201, "create failed: {}", reply.body);
    reply.body["id"].as_u64().expect("coupon id")
}

pub fn redeem_body(user: &str, order: Option<&str>) -> Value {
    match order {
        Some(order) => json!({"user_id": user, "order_id": order}),
        None => json!({"user_id": user}),
    }
}

/// Every redemption of a coupon, following the pages, from `api` at the given consistency.
pub async fn full_history(api: &str, coupon_id: u64, consistency: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<u64> = None;
    for _page in 0..10_000 {
        let mut path =
            format!("/coupons/{coupon_id}/redemptions?limit=500&consistency={consistency}");
        if let Some(after) = after {
            path.push_str(&format!("&after={after}"));
        }
        let reply = get(api, &path).await;
        assert_eq!(reply.status, 200, "history: {}", reply.body);
        all.extend(reply.body["redemptions"].as_array().expect("redemptions").iter().cloned());
        match reply.body["next_after"].as_u64() {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
    panic!("history of coupon {coupon_id} never ended");
}
