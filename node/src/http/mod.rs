//! The public HTTP API of a node: routes, fallbacks that keep every failure problem+json, and the
//! layers every request passes (body limit, deadline, tracing, leader hint).

mod alerts;
mod cluster;
mod coupons;
mod error;
mod extract;
mod idempotency;
mod observe;
mod outcome;
mod rate_limit;
mod validate;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use coupon_client::api::{header, ErrorCode};
use tower_http::trace::TraceLayer;

pub use cluster::cluster_status;
pub use error::ApiError;
pub use rate_limit::{RateLimit, API_KEY_HEADER};

use crate::app::AppState;
use crate::leadership::leader_now;

pub fn router(app: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    // Validate and redeem are what shoppers hammer: they alone are rate limited per client.
    let limited = Router::new()
        .route("/coupons/{id}/validate", get(coupons::validate))
        .route("/coupons/{id}/redeem", post(coupons::redeem_coupon))
        .route_layer(middleware::from_fn_with_state(app.clone(), rate_limit::limit));
    Router::new()
        .merge(limited)
        .route("/coupons/generate", post(coupons::generate_coupon))
        .route("/coupons", get(coupons::find_coupon_by_code))
        .route("/coupons/{id}", get(coupons::get_coupon))
        .route("/coupons/{id}/redemptions", get(coupons::coupon_history))
        .route("/coupons/{id}/deactivate", post(coupons::deactivate_coupon))
        .route("/coupons/{id}/reactivate", post(coupons::reactivate_coupon))
        .route("/redemptions/{id}/rollback", post(coupons::roll_back_redemption))
        .route("/alerts", get(alerts::list_alerts))
        .route("/cluster", get(cluster::get_cluster))
        .route("/cluster/init", post(cluster::init_cluster))
        .route("/cluster/members", post(cluster::add_member))
        .route("/cluster/members/{id}", delete(cluster::remove_member))
        .route("/healthz", get(cluster::healthz))
        .route("/readyz", get(cluster::readyz))
        .route("/metrics", get(observe::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), leader_hint))
        .layer(middleware::from_fn_with_state(app.clone(), observe::record))
        .layer(middleware::from_fn_with_state(request_timeout, deadline))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not take this method")
}

/// Bounds every request in time: past the deadline the answer is 504 (for a write: the outcome
/// is unknown, retry with the same `Idempotency-Key`).
async fn deadline(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::Timeout,
            "the request did not complete in time; the outcome is unknown",
        )
        .into_response(),
    }
}

/// Tells clients where the leader's API is, so they can send writes there and skip a hop.
async fn leader_hint(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(leader) = leader_now(&app.raft) {
        if let Ok(value) = HeaderValue::from_str(&leader.node.api_addr) {
            response.headers_mut().insert(header::LEADER_HINT, value);
        }
    }
    response
}
