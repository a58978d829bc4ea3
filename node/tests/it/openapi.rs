//! `GET /openapi.json` against the router that serves it: the document lists exactly the routes
//! the router has, each answers as documented, and the schemas are the wire types'.
//!
//! Where the router's route list comes from: the router and the document are both built from
//! the `routes!` declarations in `node/src/http/routes.rs` (utoipa-axum), so a route registered
//! there is documented by construction. The one way left to serve an undocumented route is a
//! bare `.route("/path", ...)` somewhere in the HTTP module; its path is then a string literal in
//! `node/src/http/`, so this test collects every path-like literal of that source and probes it:
//! a literal that reaches a handler must be a documented path. Undocumented methods on
//! documented paths are probed directly (they must be 405).

use std::collections::BTreeSet;
use std::path::Path;

use coupon_client::api::{header, Coupon, ErrorCode};
use serde_json::Value;

use crate::support::http::{client, coupon_body, create_coupon, get, post_json, send, Reply};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Stands for every `{id}`: no coupon, redemption or node has it, so no probe changes anything.
const SAMPLE_ID: &str = "999999";
/// The methods probed on every path (axum answers HEAD for every GET by itself).
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The routes API.md promises (the contract, not the router's list: the router may have more).
const API_MD_ROUTES: [(&str, &str); 16] = [
    ("post", "/coupons/generate"),
    ("get", "/coupons/{id}/validate"),
    ("post", "/coupons/{id}/redeem"),
    ("get", "/coupons/{id}"),
    ("get", "/coupons"),
    ("get", "/coupons/{id}/redemptions"),
    ("post", "/redemptions/{id}/rollback"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/cluster"),
    ("post", "/cluster/init"),
    ("post", "/cluster/members"),
    ("delete", "/cluster/members/{id}"),
    ("get", "/alerts"),
    ("get", "/openapi.json"),
];

/// Goal: the document and the router agree both ways. Steps: one node; fetch the document; call
/// every documented operation (it must reach its handler and answer a documented status, with a
/// documented `code` when it fails); call every other method on each documented path (405);
/// call every path literal of the HTTP source that is not documented (404 `not_found`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let document = fetch_document(api).await;
    let operations = documented_operations(&document);
    for (method, template) in API_MD_ROUTES {
        assert!(operations.contains(&op(method, template)), "API.md's {method} {template}");
    }

    for (method, template) in &operations {
        let reply = call(api, method, &concrete(template)).await;
        expect_documented_answer(&document, method, template, &reply);
    }
    let templates: BTreeSet<&String> = operations.iter().map(|(_, template)| template).collect();
    for template in &templates {
        for method in
            METHODS.into_iter().filter(|method| !operations.contains(&op(method, template)))
        {
            let reply = call(api, method, &concrete(template)).await;
            let what = format!("{method} {template}, which the document does not list");
            assert_eq!((reply.status, reply.code()), (405, "method_not_allowed"), "{what}");
        }
    }
    for path in path_literals_in_http_source() {
        let concrete_path = concrete(&path);
        if templates.iter().any(|template| matches_template(template, &concrete_path)) {
            continue;
        }
        for method in METHODS {
            let reply = call(api, method, &concrete_path).await;
            let what = format!("{method} {path} is served but not in the document: {}", reply.body);
            assert_eq!((reply.status, reply.code()), (404, "not_found"), "{what}");
        }
    }
}

/// Goal: the document's schemas are the wire contract's. Steps: one node; fetch the document;
/// every `$ref` resolves; every `ErrorCode` is in the `ErrorCode` schema and in some response; the `Coupon` schema has exactly the fields of a
/// coupon the node serves and of the `Coupon` DTO, all required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_schemas_are_the_wire_types() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let document = fetch_document(api).await;

    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let resolved = reference.strip_prefix('#').and_then(|pointer| document.pointer(pointer));
        assert!(resolved.is_some(), "dangling $ref {reference}");
    }

    let schema_codes = &document["components"]["schemas"]["ErrorCode"]["enum"];
    let answered = codes_in_responses(&document);
    for code in ErrorCode::ALL {
        let word = Value::from(code.as_str());
        assert!(schema_codes.as_array().is_some_and(|codes| codes.contains(&word)), "{code}");
        assert!(answered.contains(code.as_str()), "{code} in some response");
    }

    let coupon_id = create_coupon(api, &coupon_body("OPENAPI-SHAPE", 5)).await;
    let served = get(api, &format!("/coupons/{coupon_id}")).await.body;
    let dto: Coupon = serde_json::from_value(served.clone()).expect("a served coupon parses");
    let schema = &document["components"]["schemas"]["Coupon"];
    let documented = keys(&schema["properties"]);
    assert_eq!(documented, keys(&served), "Coupon schema vs a served coupon");
    assert_eq!(documented, keys(&serde_json::to_value(dto).expect("serialises")), "vs the DTO");
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .map(|fields| fields.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(required, documented, "the server always sends every coupon field");
}

/// Goal: the contract's headers the node really sends are documented on the response that
/// carries them. Steps: one node, one request a second per client; create a coupon twice with
/// one `Idempotency-Key` (`Location`, `Idempotent-Replayed`, `X-Coupon-Leader`); validate twice
/// at once (429 with `Retry-After`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headers_the_node_sends_are_documented() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let flags = ["--rate-limit-per-second=1", "--rate-limit-burst=1"];
    let cluster = InProcessCluster::start(1, &flags).await;
    let api = &cluster.nodes[0].api_addr;
    let document = fetch_document(api).await;

    let body = coupon_body("OPENAPI-HEADERS", 5);
    let first = post_json(api, "/coupons/generate", &body, Some("openapi-headers")).await;
    let replay = post_json(api, "/coupons/generate", &body, Some("openapi-headers")).await;
    assert_eq!((first.status, replay.status), (201, 201), "{}", replay.body);
    assert!(first.headers.contains_key(header::LOCATION));
    assert!(first.headers.contains_key(header::LEADER_HINT), "a one-node cluster knows its leader");
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    expect_documented_headers(&document, "post", "/coupons/generate", &first);
    expect_documented_headers(&document, "post", "/coupons/generate", &replay);

    let coupon_id = first.body["id"].as_u64().expect("id");
    let validate = format!("/coupons/{coupon_id}/validate");
    let (_, limited) = (get(api, &validate).await, get(api, &validate).await);
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"), "{}", limited.body);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    expect_documented_headers(&document, "get", "/coupons/{id}/validate", &limited);
}

/// Every contract header in `reply` is listed on the documented response for its status.
fn expect_documented_headers(document: &Value, method: &str, template: &str, reply: &Reply) {
    let responses = &document["paths"][template][method]["responses"];
    let response = resolve(document, &responses[reply.status.to_string()]);
    let documented = keys(&response["headers"]);
    let contract = [header::LOCATION, header::IDEMPOTENT_REPLAYED, header::LEADER_HINT];
    for name in contract.into_iter().chain([header::RETRY_AFTER]) {
        if reply.headers.contains_key(name) {
            let what = format!("{method} {template} {} sends {name}", reply.status);
            assert!(documented.contains(name), "{what}, undocumented (documented: {documented:?})");
        }
    }
}

async fn fetch_document(api: &str) -> Value {
    let reply = get(api, "/openapi.json").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(content_type(&reply), "application/json");
    let version = reply.body["openapi"].as_str().unwrap_or_default().to_owned();
    assert!(version.starts_with("3."), "not OpenAPI 3: {version:?}");
    reply.body
}

fn op(method: &str, template: &str) -> (String, String) {
    (method.to_owned(), template.to_owned())
}

/// Every (method, path template) of the document.
fn documented_operations(document: &Value) -> Vec<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (template, item) in paths {
        for method in METHODS.into_iter().chain(["head", "options", "trace"]) {
            if item.get(method).is_some() {
                operations.push(op(method, template));
            }
        }
    }
    operations
}

/// A request as a client would send it: writes carry an empty JSON object, which every body
/// route refuses (422) before it changes anything.
async fn call(api: &str, method: &str, path: &str) -> Reply {
    let method =
        reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let mut request = client().request(method.clone(), format!("http://{api}{path}"));
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        request = request.header("content-type", "application/json").body("{}");
    }
    send(request).await
}

/// The answer reached a handler and is one the document lists for this operation.
fn expect_documented_answer(document: &Value, method: &str, template: &str, reply: &Reply) {
    let what = format!("{method} {template} answered {} {}", reply.status, reply.body);
    let fallback = (reply.status, reply.code());
    assert!(fallback != (404, "not_found") && fallback != (405, "method_not_allowed"), "{what}");
    let responses = &document["paths"][template][method]["responses"];
    let response = resolve(document, &responses[reply.status.to_string()]);
    assert!(response.is_object(), "status not documented: {what}");
    let content = &response["content"];
    if content.is_object() {
        assert!(content.get(content_type(reply)).is_some(), "content type not documented: {what}");
    }
    if reply.status >= 400 {
        let codes = problem_codes(response);
        assert!(codes.contains(reply.code()), "code not documented ({codes:?}): {what}");
    }
}

fn content_type(reply: &Reply) -> &str {
    reply.headers.get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("")
}

/// Follows a local `$ref` (`#/components/...`) once.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|reference| reference.strip_prefix('#')) {
        Some(pointer) => document.pointer(pointer).unwrap_or(&Value::Null),
        None => value,
    }
}

/// The `code`s a problem response lists: its schema narrows `Problem.code` to them.
fn problem_codes(response: &Value) -> BTreeSet<String> {
    let schema = &response["content"]["application/problem+json"]["schema"];
    let parts = schema["allOf"].as_array().cloned().unwrap_or_default();
    parts
        .iter()
        .filter_map(|part| part["properties"]["code"]["enum"].as_array())
        .flatten()
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect()
}

/// Every `code` some response of the document lists, shared ones included.
fn codes_in_responses(document: &Value) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let shared = document["components"]["responses"].as_object().cloned().unwrap_or_default();
    codes.extend(shared.values().flat_map(problem_codes));
    for (_, item) in document["paths"].as_object().cloned().unwrap_or_default() {
        for (_, operation) in item.as_object().cloned().unwrap_or_default() {
            let responses = operation["responses"].as_object().cloned().unwrap_or_default();
            codes.extend(responses.values().flat_map(|r| problem_codes(resolve(document, r))));
        }
    }
    codes
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(reference)) = fields.get("$ref") {
                refs.push(reference.clone());
            }
            fields.values().for_each(|field| collect_refs(field, refs));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

fn keys(object: &Value) -> BTreeSet<String> {
    object.as_object().map(|fields| fields.keys().cloned().collect()).unwrap_or_default()
}

/// `/coupons/{id}/redeem` with every `{...}` (also a format string's `{}`) as `SAMPLE_ID`.
fn concrete(template: &str) -> String {
    let segments = template.split('/').map(|segment| {
        if segment.starts_with('{') && segment.ends_with('}') {
            SAMPLE_ID
        } else {
            segment
        }
    });
    segments.collect::<Vec<_>>().join("/")
}

fn matches_template(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Every string literal of `node/src/http/*.rs` that looks like a URL path (`"/..."` of path
/// characters only): each route path, and any other path the module names.
fn path_literals_in_http_source() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("http");
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "/_-.{}".contains(c);
    let mut literals = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("node/src/http") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("source file");
        for (start, _) in source.match_indices("\"/") {
            let rest = &source[start + 1..];
            let length = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
            if rest[length..].starts_with('"') {
                literals.insert(rest[..length].to_owned());
            }
        }
    }
    assert!(literals.len() >= 18, "the route literals were not found: {literals:?}");
    literals
}
