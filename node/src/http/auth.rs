//! Who may call which route: the caller is found from `Authorization: Bearer <key>` (by
//! `KeyService::authenticate`), and its role must allow the matched route. Missing or unknown key:
//! 401 with `WWW-Authenticate: Bearer`; a role that does not allow the route: 403. Both are
//! decided before the handler runs, so they change nothing.
//!
//! The roles (API.md): `admin` every route; `readonly` every `GET`; `storefront` the routes of
//! `STOREFRONT_ROUTES` (validate, redeem and holds, by id and by code) and this API's document.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use coupon_client::api::ErrorCode;
use raft_store::domain::Role;

use super::app::AppState;
use super::ApiError;
use crate::service::Denied;

/// What a storefront key may call, as (method, route template).
pub const STOREFRONT_ROUTES: [(Method, &str); 9] = [
    (Method::GET, "/coupons/{id}/validate"),
    (Method::POST, "/coupons/{id}/redeem"),
    (Method::GET, "/codes/{code}/validate"),
    (Method::POST, "/codes/{code}/redeem"),
    (Method::POST, "/coupons/{id}/holds"),
    (Method::POST, "/codes/{code}/holds"),
    (Method::GET, "/holds/{id}"),
    (Method::POST, "/holds/{id}/confirm"),
    (Method::POST, "/holds/{id}/release"),
];

/// Routes every key may read whatever its role.
const ANY_KEY_ROUTES: [&str; 1] = ["/openapi.json"];

/// Whether `role` may call `method` on the route template `route`.
pub fn allows(role: Role, method: &Method, route: &str) -> bool {
    match role {
        Role::Admin => true,
        Role::Readonly => *method == Method::GET,
        Role::Storefront => {
            STOREFRONT_ROUTES.iter().any(|(m, r)| m == method && *r == route)
                || (*method == Method::GET && ANY_KEY_ROUTES.contains(&route))
        }
    }
}

/// The bearer secret of `request`, if it sent one in the `Bearer` scheme.
fn bearer(request: &Request) -> Option<&str> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

/// Finds the caller, checks its role against the matched route, and hands the caller on in the
/// request's extensions (for the rate limit, and for handlers as `Extension<Caller>`: the audit
/// trail's actor).
pub async fn authorize(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let caller = match app.keys.authenticate(bearer(&request)) {
        Ok(caller) => caller,
        Err(Denied::NoKey) => {
            return ApiError::new(ErrorCode::Unauthorized, Denied::NoKey.to_string())
                .into_response()
        }
        Err(Denied::UnknownKey) => {
            return ApiError::new(ErrorCode::Unauthorized, Denied::UnknownKey.to_string())
                .into_response()
        }
        Err(Denied::Store(error)) => return ApiError::internal(&error).into_response(),
    };
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("");
    if !allows(caller.role, request.method(), route) {
        let detail =
            format!("a {} key may not call {} {route}", caller.role.as_str(), request.method());
        return ApiError::new(ErrorCode::Forbidden, detail).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roles_allow_what_the_contract_says() {
        let redeem = "/coupons/{id}/redeem";
        let validate = "/coupons/{id}/validate";
        for role in Role::ALL {
            assert!(allows(role, &Method::GET, "/openapi.json"), "{role:?}");
        }
        assert!(allows(Role::Admin, &Method::POST, "/keys"));
        assert!(allows(Role::Readonly, &Method::GET, "/coupons/{id}"));
        assert!(!allows(Role::Readonly, &Method::POST, redeem));
        assert!(allows(Role::Storefront, &Method::POST, redeem));
        assert!(allows(Role::Storefront, &Method::GET, validate));
        assert!(!allows(Role::Storefront, &Method::GET, "/coupons/{id}"));
        assert!(!allows(Role::Storefront, &Method::GET, "/coupons/{id}/redemptions"));
        assert!(!allows(Role::Storefront, &Method::POST, "/coupons/generate"));
        assert!(!allows(Role::Storefront, &Method::GET, "/metrics"));
    }
}
