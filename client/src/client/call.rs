//! [`Call`]: one logical request, built once and sent on every attempt unchanged.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::uri::Authority;
use http::Method;
use serde::Serialize;
use serde_json::Value;

use super::node_set::{Route, Scheme};
use crate::api::header::IDEMPOTENCY_KEY;
use crate::api::{IdempotencyKey, JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE};
use crate::error::{ClientError, Result};

/// A request to send: everything but the node. Retries reuse it as is, which is what keeps the
/// `Idempotency-Key` the same across attempts and nodes.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// Path and query, e.g. `/coupons/42/validate?user_id=u-1`.
    pub path_and_query: String,
    pub body: Option<Bytes>,
    pub idempotency_key: Option<IdempotencyKey>,
    pub route: Route,
}

impl Call {
    /// A `GET` of `path` with `query` (a struct of the `api` module) as its query string.
    pub fn get(path: String, query: &impl Serialize, route: Route) -> Result<Self> {
        let path_and_query = with_query(path, query)?;
        Ok(Self { method: Method::GET, path_and_query, body: None, idempotency_key: None, route })
    }

    /// A request with a JSON body.
    pub fn with_body(
        method: Method,
        path: String,
        body: &impl Serialize,
        route: Route,
    ) -> Result<Self> {
        let body = serde_json::to_vec(body).map_err(ClientError::Encode)?;
        Ok(Self {
            method,
            path_and_query: path,
            body: Some(Bytes::from(body)),
            idempotency_key: None,
            route,
        })
    }

    /// A request without body or query (`DELETE`, probes).
    pub fn bare(method: Method, path: String, route: Route) -> Self {
        Self { method, path_and_query: path, body: None, idempotency_key: None, route }
    }

    /// Marks the call as a logical write deduplicated by `key`.
    pub fn idempotent(self, key: IdempotencyKey) -> Self {
        Self { idempotency_key: Some(key), ..self }
    }

    /// The HTTP request for one attempt at `node`.
    pub fn to_request(&self, scheme: Scheme, node: &Authority) -> Result<http::Request<Bytes>> {
        let uri = format!("{}://{node}{}", scheme.as_str(), self.path_and_query);
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(uri)
            .header(HOST, node.as_str())
            .header(ACCEPT, format!("{JSON_CONTENT_TYPE}, {PROBLEM_CONTENT_TYPE}"));
        if self.body.is_some() {
            builder = builder.header(CONTENT_TYPE, JSON_CONTENT_TYPE);
        }
        if let Some(key) = &self.idempotency_key {
            builder = builder.header(IDEMPOTENCY_KEY, key.as_str());
        }
        Ok(builder.body(self.body.clone().unwrap_or_default())?)
    }
}

/// Appends `query`'s non-null fields as `?name=value&...`. The names come from the `api`
/// structs' serde attributes, so the client cannot spell a parameter differently from the
/// server that deserializes the same struct.
fn with_query(mut path: String, query: &impl Serialize) -> Result<String> {
    let Value::Object(fields) = serde_json::to_value(query).map_err(ClientError::Encode)? else {
        return Ok(path);
    };
    let mut separator = '?';
    for (name, value) in fields {
        let text = match value {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            // Absent options, and shapes a query string cannot carry (none in the api structs).
            Value::Null | Value::Array(_) | Value::Object(_) => continue,
        };
        path.push(separator);
        separator = '&';
        percent_encode_into(&mut path, &name);
        path.push('=');
        percent_encode_into(&mut path, &text);
    }
    Ok(path)
}

/// `text` as one path segment (a typed coupon code may hold anything).
pub fn path_segment(text: &str) -> String {
    let mut segment = String::with_capacity(text.len());
    percent_encode_into(&mut segment, text);
    segment
}

/// RFC 3986 percent-encoding: everything but unreserved characters is escaped, so user ids
/// with `&`, `=`, `+`, spaces or non-ASCII text arrive intact.
fn percent_encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::{with_query, Call};
    use crate::api::{ExternalId, HistoryQuery, ReadConsistency, RedemptionId, ValidateQuery};
    use crate::client::node_set::{Route, Scheme};

    #[test]
    fn query_strings_use_the_api_field_names_and_escape_values() {
        let query = ValidateQuery {
            user_id: Some(ExternalId::from("u 1&x=é")),
            order_amount: Some(Decimal::new(5000, 2)),
            currency: None,
            consistency: Some(ReadConsistency::Local),
        };
        let path = with_query("/coupons/4/validate".into(), &query).unwrap();
        // serde_json orders object keys alphabetically.
        assert_eq!(
            path,
            "/coupons/4/validate?consistency=local&order_amount=50.00&user_id=u%201%26x%3D%C3%A9"
        );
    }

    #[test]
    fn empty_queries_add_nothing() {
        assert_eq!(with_query("/a".into(), &HistoryQuery::default()).unwrap(), "/a");
        let page =
            HistoryQuery { after: Some(RedemptionId(17)), limit: Some(5), consistency: None };
        assert_eq!(with_query("/a".into(), &page).unwrap(), "/a?after=17&limit=5");
    }

    #[test]
    fn requests_carry_host_content_type_and_key() {
        let key = crate::api::IdempotencyKey::new("k-1").unwrap();
        let call =
            Call::with_body(http::Method::POST, "/x".into(), &serde_json::json!({}), Route::Any)
                .unwrap()
                .idempotent(key);
        let node = http::uri::Authority::from_static("n1:8081");
        let request = call.to_request(Scheme::Http, &node).unwrap();
        assert_eq!(request.uri().to_string(), "http://n1:8081/x");
        let tls = call.to_request(Scheme::Https, &node).unwrap();
        assert_eq!(tls.uri().to_string(), "https://n1:8081/x");
        assert_eq!(request.headers()["host"], "n1:8081");
        assert_eq!(request.headers()["content-type"], "application/json");
        assert_eq!(request.headers()["idempotency-key"], "k-1");
        assert_eq!(request.body().as_ref(), b"{}");
    }
}
