//! The route table of the public API. Each route is declared once, by its handler's
//! `#[utoipa::path]` (method, path, parameters, body, responses), and `routes!` turns that one
//! declaration into both the axum route and the OpenAPI operation. The router (`router()`) and
//! the document (`openapi::document()`) are both built from the two functions below, so a route
//! cannot be served without being documented, nor documented without being served.
//!
//! Add a route here, never with a bare `Router::route`: the OpenAPI test probes every path
//! literal of this module's source and fails on one that answers but is not documented.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::{alerts, audit, campaigns, cluster, coupons, holds, keys, observe, openapi};

/// Validate, redeem and hold (by id and by code) and `GET /coupons` (the code lookup, and the listing): what shoppers hammer (and what tests whether a code
/// exists), so `router()` rate limits them per caller.
pub fn rate_limited() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(coupons::validate))
        .routes(routes!(coupons::redeem_coupon))
        .routes(routes!(coupons::validate_by_code))
        .routes(routes!(coupons::redeem_by_code))
        .routes(routes!(coupons::list_coupons))
        .routes(routes!(holds::hold_coupon))
        .routes(routes!(holds::hold_by_code))
}

/// Every other route that needs a key.
pub fn unlimited() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(coupons::generate_coupon))
        .routes(routes!(coupons::get_coupon, coupons::patch_coupon))
        .routes(routes!(coupons::coupon_history))
        .routes(routes!(coupons::deactivate_coupon))
        .routes(routes!(coupons::reactivate_coupon))
        .routes(routes!(coupons::roll_back_redemption))
        .routes(routes!(campaigns::create_campaign))
        .routes(routes!(campaigns::get_campaign))
        .routes(routes!(campaigns::import_codes))
        .routes(routes!(campaigns::export_codes))
        .routes(routes!(campaigns::generate_codes))
        .routes(routes!(campaigns::get_code_job))
        .routes(routes!(holds::get_hold))
        .routes(routes!(holds::confirm_hold))
        .routes(routes!(holds::release_hold))
        .routes(routes!(keys::create_key, keys::list_keys))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(audit::list_audit))
        .routes(routes!(cluster::get_cluster))
        .routes(routes!(cluster::init_cluster))
        .routes(routes!(cluster::add_member))
        .routes(routes!(cluster::remove_member))
        .routes(routes!(observe::metrics))
        .routes(routes!(openapi::openapi_json))
}

/// The probes, which need no key (a load balancer has none).
pub fn open() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cluster::healthz)).routes(routes!(cluster::readyz))
}
