//! `GET /openapi.json`: the OpenAPI 3 document of the public API, generated from the route table
//! (`routes.rs`) and the wire types' schemas, built once per process.
//!
//! The routes' own declarations give each operation; this file adds what the layers around them
//! do to every response, so that no handler has to repeat it: the leader hint, `timeout` and
//! `internal`, replays of idempotent writes, the rate limit of validate, redeem and the code
//! lookup, and the bearer key every route but the probes needs (401, 403, and in `x-roles` the
//! roles that may call it).

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{header as http_header, HeaderValue, Method};
use axum::response::{IntoResponse, Response as HttpResponse};
use coupon_client::api::{header, ErrorCode, FieldError, Problem, RejectionReason};
use raft_store::domain::Role;
use raft_store::limits::{
    CAMPAIGN_CODES_PER_COMMAND_MAX, CODE_JOB_LENGTH_MAX, CODE_JOB_LENGTH_MIN, CODE_LENGTH_MAX,
    CODE_LENGTH_MIN, GENERATED_CODE_LENGTH,
};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{HeaderBuilder, OpenApi as Document, Ref, RefOr, Response};
use utoipa::OpenApi;

use super::auth::allows;
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
        (name = "campaigns", description = "Campaigns: one discount behind many codes, with a budget"),
        (name = "holds", description = "Holds: a use set aside at checkout, then confirmed or released"),
        (name = "keys", description = "API keys and their roles"),
        (name = "audit", description = "The audit trail of every administrative change"),
        (name = "alerts", description = "Low-stock alerts"),
        (name = "cluster", description = "Cluster status, bootstrap and membership"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    ),
    components(schemas(Problem, FieldError, ErrorCode, RejectionReason))
)]
struct FixedParts;

static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| {
    let mut json = serde_json::to_value(document()).expect("an OpenAPI document is JSON");
    add_field_rules(&mut json);
    Bytes::from(json.to_string())
});

/// Rules between the fields of a body, which utoipa's schema model has no keyword for, added to
/// the document's JSON: an order amount needs its currency (redeem); the cap of a coupon or a
/// campaign goes with a percentage only, and its bounds in no currency have two fraction
/// digits (create), as `if`/`then`; a change names a field (`minProperties`, which utoipa does not write for a
/// struct); a discount has no fields but its own; a generated code's prefix and length fit in a
/// code; an import is a body of codes. The server holds requests to the same rules (`convert`),
/// so the schema refuses what it does.
fn add_field_rules(document: &mut serde_json::Value) {
    let currency = serde_json::json!({"$ref": "#/components/schemas/Currency"});
    let schemas = &mut document["components"]["schemas"];
    // A change names at least one field (`{}` is 422).
    schemas["UpdateCouponRequest"]["minProperties"] = serde_json::json!(1);
    schemas["RedeemRequest"]["allOf"] = serde_json::json!([{
        "if": present("order_amount"),
        "then": {"required": ["currency"], "properties": {"currency": currency}},
    }]);
    for request in ["CreateCouponRequest", "CreateCampaignRequest"] {
        schemas[request]["allOf"] = money_bounds_rules();
    }
    for variant in schemas["Discount"]["oneOf"].as_array_mut().into_iter().flatten() {
        variant["additionalProperties"] = serde_json::json!(false);
    }
    schemas["GenerateCodesRequest"]["allOf"] = generated_length_rules();
    // A member's address as `cluster::member_node` reads it: a host of any characters, the
    // last `:`, a port that parses as a `u16` (a `+` and leading zeros allowed).
    for address in ["api_addr", "peer_addr"] {
        schemas["AddMemberRequest"]["properties"][address]["pattern"] =
            serde_json::json!(HOST_PORT_PATTERN);
    }
    let import = &mut document["paths"]["/campaigns/{id}/codes/import"]["post"]["requestBody"];
    import["content"]["text/csv"]["schema"] = codes_csv_schema();
}

const HOST_PORT_PATTERN: &str = r"^[\\s\\S]+:[+]?0*([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$";

/// `field` is there, as a string.
fn present(field: &str) -> serde_json::Value {
    serde_json::json!({"required": [field], "properties": {field: {"type": "string"}}})
}

/// A cap goes with a percentage discount only; a coupon's money bounds in no currency have at
/// most two fraction digits (`UNSTATED_CURRENCY_MINOR_UNITS`; trailing zeros aside), as
/// `convert::new_coupon` reads them. (In a currency, its minor units: not stated here.)
fn money_bounds_rules() -> serde_json::Value {
    let two_digits = serde_json::json!({"pattern": "^[0-9]+([.][0-9]{1,2}0*)?$"});
    serde_json::json!([
        {
            "if": present("max_discount_amount"),
            "then": {"properties": {"discount": {
                "required": ["type"],
                "properties": {"type": {"const": "percentage"}},
            }}},
        },
        {
            "if": {"properties": {"discount": {"anyOf": [
                {"not": {"required": ["currency"]}},
                {"properties": {"currency": {"type": "null"}}},
            ]}}},
            "then": {"properties": {"min_order_amount": two_digits, "max_discount_amount": two_digits}},
        },
    ])
}

/// A job's prefix and length (absent: `GENERATED_CODE_LENGTH`) together fit in a code: one rule
/// per prefix length that leaves less than the longest length, since JSON Schema cannot add.
fn generated_length_rules() -> serde_json::Value {
    let (code_max, length_max) = (CODE_LENGTH_MAX, CODE_JOB_LENGTH_MAX);
    let rules: Vec<serde_json::Value> = (code_max - length_max + 1..=code_max - CODE_JOB_LENGTH_MIN)
        .map(|prefix| {
            let room = code_max - prefix;
            let mut then = serde_json::json!({"properties": {"length": {"maximum": room}}});
            if room < GENERATED_CODE_LENGTH {
                // The default length does not fit: the length must be given.
                then["required"] = serde_json::json!(["length"]);
                then["properties"]["length"]["type"] = serde_json::json!("integer");
            }
            serde_json::json!({
                "if": {"required": ["prefix"], "properties": {"prefix": {"type": "string", "minLength": prefix}}},
                "then": then,
            })
        })
        .collect();
    serde_json::Value::Array(rules)
}

/// An import's CSV: one code a line in the first column (trimmed, then unquoted, then trimmed
/// again, as `convert` reads it), blank lines skipped, at least one code.
fn codes_csv_schema() -> serde_json::Value {
    // Rust's `str::trim` whitespace, but the line break.
    let blank = r"[\t\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
    let code = format!(
        r#"{blank}*"*[\t\u000c\r ]*[A-Za-z0-9_-]{{{CODE_LENGTH_MIN},{CODE_LENGTH_MAX}}}[\t\u000c\r ]*"*{blank}*(,[^\n]*)?"#
    );
    let pattern = format!(r"^({blank}*\n)*{code}(\n({code}|{blank}*))*$");
    serde_json::json!({
        "type": "string",
        "minLength": 1,
        "pattern": pattern,
        "description": format!("One code a line in the first column (further columns are ignored), \
            blank lines skipped: 1 to {CAMPAIGN_CODES_PER_COMMAND_MAX} codes, each once."),
    })
}

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
const SHARED_RESPONSES: [(&str, ErrorCode); 7] = [
    ("Unauthorized", ErrorCode::Unauthorized),
    ("Forbidden", ErrorCode::Forbidden),
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
    let mut keyed = routes::unlimited().into_openapi();
    keyed.merge(limited);
    for (path, item) in keyed.paths.paths.iter_mut() {
        for (method, operation) in [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ] {
            if let Some(operation) = operation {
                needs_key(operation, &method, path);
            }
        }
    }
    let mut open = routes::open().into_openapi();
    // An empty requirement: the probes need no key.
    operations(&mut open).for_each(|operation| {
        operation.security = Some(vec![SecurityRequirement::default()]);
    });
    let mut document = FixedParts::openapi();
    document.merge(keyed);
    document.merge(open);
    operations(&mut document).for_each(layered);
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key's secret (`POST /keys`, or the bootstrap admin key). Missing or \
                     unknown: 401; a role that does not allow the route: 403 (see `x-roles`).",
                ))
                .build(),
        ),
    );
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

/// Validate, redeem and the code lookup pass the per-caller rate limit: 429 past it.
fn rate_limited(operation: &mut Operation) {
    let code = ErrorCode::RateLimited;
    operation.responses.responses.insert(code.status().to_string(), shared(code));
}

/// A route behind `auth::authorize`: the bearer key, 401 and 403, and the roles that may call it.
fn needs_key(operation: &mut Operation, method: &Method, path: &str) {
    operation.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    for code in [ErrorCode::Unauthorized, ErrorCode::Forbidden] {
        operation.responses.responses.insert(code.status().to_string(), shared(code));
    }
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|role| allows(*role, method, path))
        .map(Role::as_str)
        .collect();
    let extensions = ExtensionsBuilder::new().add("x-roles", serde_json::json!(roles)).build();
    operation.extensions.get_or_insert_with(Default::default).merge(extensions);
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
