//! The public HTTP API of a node: routes (declared in `routes.rs`, which the OpenAPI document is
//! generated from too), fallbacks that keep every failure problem+json, and the layers every
//! request passes (body limit, deadline, tracing, leader hint, and for every route but the probes
//! the caller's key and role, `auth.rs`).

mod alerts;
mod app;
mod audit;
mod auth;
mod campaigns;
mod cluster;
mod coupons;
mod error;
mod extract;
mod holds;
mod idempotency;
mod keys;
mod observe;
mod openapi;
mod outcome;
mod problems;
mod rate_limit;
mod routes;
mod unique_keys;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use coupon_client::api::{header, ErrorCode};
use tower_http::trace::TraceLayer;

pub use app::{App, AppState};
pub use auth::{allows, STOREFRONT_ROUTES};
pub use cluster::cluster_status;
pub use error::ApiError;
pub use rate_limit::RateLimit;

use crate::forward::leader_now;

pub fn router(app: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    let limited = routes::rate_limited()
        .route_layer(middleware::from_fn_with_state(app.clone(), rate_limit::limit));
    // `authorize` runs first (outermost), so the rate limit counts per authenticated caller.
    let keyed = routes::unlimited()
        .merge(limited)
        .route_layer(middleware::from_fn_with_state(app.clone(), auth::authorize));
    // `openapi::document()` is built from these same three route sets.
    Router::from(keyed.merge(routes::open()))
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
