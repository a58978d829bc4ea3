//! `GET /openapi.json`: the OpenAPI 3 document of the public API, generated from the route table
//! (`routes.rs`) and the wire types' schemas, built once per process.
//!
//! The routes' own declarations give each operation; this file adds what the layers around them
//! do to every response, so that no handler has to repeat it: the leader hint, `timeout` and
//! `internal`, replays of idempotent writes, and the rate limit of validate and redeem.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{header as http_header, HeaderValue};
use axum::response::{IntoResponse, Response as HttpResponse};
use coupon_client::api::{header, ErrorCode, FieldError, Problem, RejectionReason};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{HeaderBuilder, OpenApi as Document, Ref, RefOr, Required, Response};
use utoipa::OpenApi;

use super::problems::problem_response;
use super::routes;

/// The document's fixed parts: what API.md says for every route, and what it leaves open.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Coupon service",
        version = "1",
        description = include_str!("openapi_description.md"),
    ),
    tags(
        (name = "coupons", description = "Create, read, validate and redeem coupons"),
        (name = "redemptions", description = "Redemption history and rollback"),
        (name = "alerts", description = "Low-stock alerts"),
        (name = "cluster", description = "Cluster status, bootstrap and membership"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    ),
    components(schemas(Problem, FieldError, ErrorCode, RejectionReason))
)]
struct FixedParts;

static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| {
    let json = document().to_json().expect("an OpenAPI document always serialises to JSON");
    Bytes::from(json)
});

/// This API's OpenAPI document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3 document of this API", body = Object))
)]
pub async fn openapi_json() -> HttpResponse {
    let mut response = DOCUMENT.clone().into_response();
    let json = HeaderValue::from_static(coupon_client::api::JSON_CONTENT_TYPE);
    response.headers_mut().insert(http_header::CONTENT_TYPE, json);
    response
}

/// Problem responses shared by many operations (or, for the fallbacks' answers, by none), kept
/// once under `components.responses`.
const SHARED_RESPONSES: [(&str, ErrorCode); 5] = [
    ("Internal", ErrorCode::Internal),
    ("Timeout", ErrorCode::Timeout),
    ("RateLimited", ErrorCode::RateLimited),
    ("UnknownRoute", ErrorCode::NotFound),
    ("WrongMethod", ErrorCode::MethodNotAllowed),
];

/// The whole document: the fixed parts, every route, and what the layers add.
pub fn document() -> Document {
    let mut limited = routes::rate_limited().into_openapi();
    operations(&mut limited).for_each(rate_limited);
    let mut document = FixedParts::openapi();
    document.merge(routes::unlimited().into_openapi());
    document.merge(limited);
    operations(&mut document).for_each(layered);
    let components = document.components.get_or_insert_with(Default::default);
    for (name, code) in SHARED_RESPONSES {
        let mut response = problem_response(&[code]);
        response.headers.insert(header::LEADER_HINT.to_owned(), leader_hint());
        components.responses.insert(name.to_owned(), response.into());
    }
    document
}

/// A reference to the one of `SHARED_RESPONSES` for `code`.
fn shared(code: ErrorCode) -> RefOr<Response> {
    let name =
        SHARED_RESPONSES.iter().find(|(_, shared)| *shared == code).map_or("", |pair| pair.0);
    RefOr::Ref(Ref::from_response_name(name))
}

fn operations(document: &mut Document) -> impl Iterator<Item = &mut Operation> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    })
}

/// What every route gets from the layers of `router()`: the deadline (504 `timeout`), the leader
/// hint on every answer, and `Idempotent-Replayed` on the answers a write's key can replay.
fn layered(operation: &mut Operation) {
    for code in [ErrorCode::Internal, ErrorCode::Timeout] {
        operation.responses.responses.entry(code.status().to_string()).or_insert(shared(code));
    }
    let keyed = operation.parameters.iter().flatten().any(|parameter| {
        parameter.parameter_in == ParameterIn::Header && parameter.name == header::IDEMPOTENCY_KEY
    });
    for (status, response) in &mut operation.responses.responses {
        // A shared response carries the leader hint itself, and is never replayed.
        let RefOr::T(response) = response else { continue };
        response.headers.insert(header::LEADER_HINT.to_owned(), leader_hint());
        // What a key replays is the outcome of the applied command: a success, or a refusal
        // decided by apply (404 for a missing coupon or redemption, 409 for the others).
        if keyed && (status.starts_with('2') || status == "404" || status == "409") {
            response.headers.insert(header::IDEMPOTENT_REPLAYED.to_owned(), replayed());
        }
    }
}

/// Validate and redeem pass the per-client rate limit: 429 past it, keyed by `X-Api-Key`.
fn rate_limited(operation: &mut Operation) {
    let code = ErrorCode::RateLimited;
    operation.responses.responses.insert(code.status().to_string(), shared(code));
    let api_key = ParameterBuilder::new()
        .name(header::API_KEY)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Names the client for the rate limit (a token bucket per client; only the first \
             128 characters count). Absent: the client is its remote address. Not a \
             credential: the API has no authentication.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(api_key);
}

fn leader_hint() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "`host:port` of the leader's API as this node knows it, on every response when a \
             leader is known; send writes there to save a forwarding hop.",
        ))
        .build()
}

fn replayed() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true"])))
        .description(Some(
            "`true` when this is the stored answer to an earlier request with the same \
             `Idempotency-Key`; absent otherwise.",
        ))
        .build()
}
