//! `GET /openapi.json`: the OpenAPI 3 document of the public API, generated from the route table
//! (`routes.rs`) and the wire types' schemas, built once per process.
//!
//! The routes' own declarations give each operation; this file adds what the layers around them
//! do to every response, so that no handler has to repeat it: the leader hint, `timeout` and
//! `internal`, replays of idempotent writes, the rate limit of validate, redeem and the code
//! lookup, and the bearer key every route but the probes needs (401, 403, and in `x-roles` the
//! roles that may call it).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{header as http_header, HeaderValue, Method};
use axum::response::{IntoResponse, Response as HttpResponse};
use coupon_client::api::{header, Currency, ErrorCode, FieldError, Problem, RejectionReason};
use raft_store::domain::{Role, UNSTATED_CURRENCY_MINOR_UNITS};
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
/// the document's JSON, as `if`/`then`: an order amount needs its currency (redeem); every
/// amount has at most its currency's minor units as fraction digits, and two in none (a fixed
/// discount, a create's money bounds, an order, a change that sets the currency); the cap of a
/// coupon or a campaign goes with a percentage only. A change names a field (`minProperties`,
/// which utoipa does not write for a struct); a discount has no fields but its own; a generated
/// code's prefix and length fit in a code; an import is a body of codes. The server holds
/// requests to the same rules (`convert`), so the schema refuses what it does.
fn add_field_rules(document: &mut serde_json::Value) {
    let currency = serde_json::json!({"$ref": "#/components/schemas/Currency"});
    let schemas = &mut document["components"]["schemas"];
    // A change names at least one field (`{}` is 422).
    schemas["UpdateCouponRequest"]["minProperties"] = serde_json::json!(1);
    let mut redeem = vec![serde_json::json!({
        "if": present("order_amount"),
        "then": {"required": ["currency"], "properties": {"currency": currency}},
    })];
    redeem.extend(minor_units_rules(&sibling_currency, &["order_amount"]));
    schemas["RedeemRequest"]["allOf"] = serde_json::Value::Array(redeem);
    let mut hold = vec![unstated_currency_rule(&sibling_currency, &["order_amount"])];
    hold.extend(minor_units_rules(&sibling_currency, &["order_amount"]));
    schemas["HoldRequest"]["allOf"] = serde_json::Value::Array(hold);
    // A change's money bounds are in the currency it sets; without one, in the coupon's own,
    // which is state (scripts/schemathesis_hooks.py gives such a body amounts that fit it).
    schemas["UpdateCouponRequest"]["allOf"] = serde_json::Value::Array(minor_units_rules(
        &sibling_currency,
        &["min_order_amount", "max_discount_amount"],
    ));
    for request in ["CreateCouponRequest", "CreateCampaignRequest"] {
        schemas[request]["allOf"] = money_bounds_rules();
    }
    for variant in schemas["Discount"]["oneOf"].as_array_mut().into_iter().flatten() {
        variant["additionalProperties"] = serde_json::json!(false);
        if variant["properties"]["type"]["enum"] == serde_json::json!(["fixed"]) {
            variant["allOf"] =
                serde_json::Value::Array(minor_units_rules(&sibling_currency, &["value"]));
        }
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

/// An amount with at most `digits` fraction digits, trailing zeros aside, as
/// `money::parse_amount` counts them (the field's own pattern says what an amount looks like).
fn fraction_digits_at_most(digits: u32) -> serde_json::Value {
    serde_json::json!({"pattern": format!("^[^.]*([.][0-9]{{0,{digits}}}0*)?$")})
}

/// The condition "the `currency` beside the amounts is one of `codes`".
fn sibling_currency(codes: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"required": ["currency"], "properties": {"currency": codes}})
}

/// The condition "the discount's `currency` is one of `codes`" (a create's money bounds).
fn discount_currency(codes: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"required": ["discount"], "properties": {"discount": sibling_currency(codes)}})
}

/// `amounts` have at most their currency's minor units as fraction digits: one rule per count of
/// minor units that ISO 4217 gives (0 for JPY, 2 for EUR, 3 for KWD, 4 for CLF), whose `if` is
/// `currency_is` the codes with that count.
fn minor_units_rules(
    currency_is: &dyn Fn(serde_json::Value) -> serde_json::Value,
    amounts: &[&str],
) -> Vec<serde_json::Value> {
    let mut by_units: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for code in Currency::accepted_codes() {
        let units = Currency::from(code).minor_units().expect("an accepted code has minor units");
        by_units.entry(units).or_default().push(code);
    }
    by_units
        .into_iter()
        .map(|(units, codes)| {
            serde_json::json!({
                "if": currency_is(serde_json::json!({"enum": codes})),
                "then": amounts_rule(amounts, units),
            })
        })
        .collect()
}

/// Without a currency (`currency_is` no string), `amounts` have at most
/// `UNSTATED_CURRENCY_MINOR_UNITS` fraction digits.
fn unstated_currency_rule(
    currency_is: &dyn Fn(serde_json::Value) -> serde_json::Value,
    amounts: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "if": {"not": currency_is(serde_json::json!({"type": "string"}))},
        "then": amounts_rule(amounts, UNSTATED_CURRENCY_MINOR_UNITS),
    })
}

/// Each of `amounts`, where present, has at most `digits` fraction digits.
fn amounts_rule(amounts: &[&str], digits: u32) -> serde_json::Value {
    let bounded: serde_json::Map<String, serde_json::Value> = amounts
        .iter()
        .map(|amount| ((*amount).to_owned(), fraction_digits_at_most(digits)))
        .collect();
    serde_json::json!({"properties": bounded})
}

/// A cap goes with a percentage discount only; a coupon's money bounds have at most the minor
/// units of the discount's currency as fraction digits, and without one
/// `UNSTATED_CURRENCY_MINOR_UNITS` (trailing zeros aside), as `convert::new_coupon` reads them.
fn money_bounds_rules() -> serde_json::Value {
    let bounds = ["min_order_amount", "max_discount_amount"];
    let mut rules = vec![
        serde_json::json!({
            "if": present("max_discount_amount"),
            "then": {"properties": {"discount": {
                "required": ["type"],
                "properties": {"type": {"const": "percentage"}},
            }}},
        }),
        unstated_currency_rule(&discount_currency, &bounds),
    ];
    rules.extend(minor_units_rules(&discount_currency, &bounds));
    serde_json::Value::Array(rules)
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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use raft_store::domain::parse_amount;
    use regex::Regex;
    use rust_decimal::Decimal;

    use super::*;

    /// Amounts of 0 to 5 fraction digits, with and without trailing zeros.
    const AMOUNTS: [&str; 12] = [
        "7", "7.0", "7.5", "7.50", "7.05", "7.500", "7.125", "7.1250", "7.0001", "7.00010",
        "0.00001", "12.34560",
    ];

    fn pattern(rule: &serde_json::Value, amount: &str) -> Regex {
        Regex::new(rule["then"]["properties"][amount]["pattern"].as_str().expect("a pattern"))
            .expect("the pattern compiles")
    }

    #[test]
    fn each_currency_s_amounts_are_held_to_its_minor_units_as_the_server_holds_them() {
        let rules = minor_units_rules(&sibling_currency, &["order_amount"]);
        for code in Currency::accepted_codes() {
            let naming: Vec<&serde_json::Value> = rules
                .iter()
                .filter(|rule| {
                    let codes = rule["if"]["properties"]["currency"]["enum"].as_array();
                    codes.is_some_and(|codes| codes.contains(&serde_json::json!(code)))
                })
                .collect();
            assert_eq!(naming.len(), 1, "one rule names {code}");
            let allows = pattern(naming[0], "order_amount");
            let currency = raft_store::domain::Currency::parse(code).expect("an accepted code");
            for amount in AMOUNTS {
                let server = parse_amount(Decimal::from_str(amount).unwrap(), Some(&currency));
                assert_eq!(allows.is_match(amount), server.is_ok(), "{amount} {code}");
            }
        }
    }

    #[test]
    fn amounts_in_no_currency_have_the_unstated_minor_units() {
        let rule = unstated_currency_rule(&sibling_currency, &["order_amount"]);
        let allows = pattern(&rule, "order_amount");
        for amount in AMOUNTS {
            let server = parse_amount(Decimal::from_str(amount).unwrap(), None);
            assert_eq!(allows.is_match(amount), server.is_ok(), "{amount}");
        }
        assert_eq!(rule["if"]["not"]["required"], serde_json::json!(["currency"]));
    }

    #[test]
    fn the_document_holds_every_amount_of_a_body_to_its_currency() {
        let document: serde_json::Value = serde_json::from_slice(&DOCUMENT).unwrap();
        let schemas = &document["components"]["schemas"];
        // The rules of `schema` that bound amounts, each as the amounts it bounds.
        let rules = |schema: &serde_json::Value| -> Vec<Vec<String>> {
            let rules = schema["allOf"].as_array().into_iter().flatten();
            rules
                .filter_map(|rule| rule["then"]["properties"].as_object())
                .filter(|bounded| bounded.values().all(|bound| bound["pattern"].is_string()))
                .map(|bounded| bounded.keys().cloned().collect())
                .collect()
        };
        let each = |count: usize, amounts: &[&str]| -> Vec<Vec<String>> {
            vec![amounts.iter().map(|amount| (*amount).to_owned()).collect(); count]
        };
        let fixed = schemas["Discount"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|variant| variant["properties"]["type"]["enum"] == serde_json::json!(["fixed"]))
            .expect("a fixed variant");
        let counts = minor_units_rules(&sibling_currency, &[]).len();
        assert!(counts >= 4, "ISO 4217 has currencies of 0, 2, 3 and 4 minor units");
        assert_eq!(rules(fixed), each(counts, &["value"]));
        assert_eq!(rules(&schemas["RedeemRequest"]), each(counts, &["order_amount"]));
        assert_eq!(rules(&schemas["HoldRequest"]), each(1 + counts, &["order_amount"]));
        let bounds = ["max_discount_amount", "min_order_amount"];
        assert_eq!(rules(&schemas["UpdateCouponRequest"]), each(counts, &bounds));
        for create in ["CreateCouponRequest", "CreateCampaignRequest"] {
            assert_eq!(rules(&schemas[create]), each(1 + counts, &bounds), "{create}");
        }
    }
}
