//! Extractors whose every rejection is a problem+json `ApiError`: a JSON body (415 for a wrong
//! content type, 413 over the size limit, 400 for malformed JSON, 422 for a wrong field), a path
//! id (422), a path code resolved to its coupon (422, 404) and a query string (422).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use coupon_client::api::ErrorCode;
use serde::de::DeserializeOwned;

use raft_store::domain::CouponCode;

use super::app::AppState;
use super::unique_keys::UniqueKeys;
use super::ApiError;

/// A JSON request body, strictly typed: unknown fields and wrong types are 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (mime, bytes) = read_body(request, state).await?;
        let is_json = mime == "application/json" || mime.ends_with("+json");
        if bytes.is_empty() {
            return Err(ApiError::new(ErrorCode::MalformedRequest, "a JSON body is required"));
        }
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the body must be application/json",
            ));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from a JSON array too; every body of this API is an object.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .map_err(|error| malformed(&error))?;
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    let UniqueKeys(mut json) =
        serde_json::from_slice(bytes).map_err(|error| match error.classify() {
            // Well-formed JSON that names a field twice.
            serde_json::error::Category::Data => ApiError::invalid_field("body", error.to_string()),
            _ => malformed(&error),
        })?;
    integral_numbers(&mut json);
    serde_path_to_error::deserialize(json).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid_field(field, error.into_inner().to_string())
    })
}

/// `21.0` is the integer 21, as JSON Schema counts it (an `integer` is a number without a
/// fraction, however written), so an integer field takes it; serde would refuse it as a float.
/// The caller's `metadata` is theirs and is stored as sent.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // Exactly representable integers only: past 2^53 a float is not one integer.
            if float.fract() == 0.0 && float.abs() <= 9_007_199_254_740_992.0 {
                #[allow(clippy::cast_possible_truncation)]
                let integer = float as i64;
                *number = integer.into();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields
            .iter_mut()
            .filter(|(name, _)| name.as_str() != "metadata")
            .for_each(|(_, field)| integral_numbers(field)),
        _ => {}
    }
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest, format!("malformed JSON: {error}"))
}

/// A positive integer id from the path, at most `ID_MAX` (the schema's `int64`).
#[derive(Clone, Copy, Debug)]
pub struct PathId(pub u64);

const PATH_ID_RULE: &str = "must be a positive integer, at most 9223372036854775807";

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::invalid_field("id", PATH_ID_RULE))?;
        positive_id("id", &raw).map(PathId)
    }
}

/// Two positive integer ids from the path (`/campaigns/{id}/jobs/{job}`), in path order.
#[derive(Clone, Copy, Debug)]
pub struct PathIds(pub u64, pub u64);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((first, second)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::invalid_field("id", PATH_ID_RULE))?;
        Ok(PathIds(positive_id("id", &first)?, positive_id("job", &second)?))
    }
}

fn positive_id(field: &str, raw: &str) -> Result<u64, ApiError> {
    match raw.parse::<u64>() {
        Ok(id) if (1..=coupon_client::api::ID_MAX).contains(&id) => Ok(id),
        _ => Err(ApiError::invalid_field(field, PATH_ID_RULE)),
    }
}

/// The body's media type (lower case, without parameters) and its bytes, within the size limit.
async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<(String, Bytes), ApiError> {
    let mime = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "the request body is over the size limit")
        } else {
            ApiError::new(ErrorCode::MalformedRequest, "the request body could not be read")
        }
    })?;
    Ok((mime, bytes))
}

/// An import's body: a JSON array (`application/json`) or CSV (`text/csv`); another media type
/// is 415, an empty body 400.
pub struct CodesBody {
    pub bytes: Bytes,
    pub json: bool,
}

impl<S: Send + Sync> FromRequest<S> for CodesBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (mime, bytes) = read_body(request, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::new(ErrorCode::MalformedRequest, "a body of codes is required"));
        }
        match mime.as_str() {
            "application/json" => Ok(Self { bytes, json: true }),
            "text/csv" => Ok(Self { bytes, json: false }),
            _ => Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the body must be text/csv or application/json",
            )),
        }
    }
}

/// The coupon a path `{code}` names (case-insensitively), resolved to its id: the storefront
/// routes by code then run exactly the handler of the id form. An unknown code is 404.
pub struct CodePath(pub u64);

impl FromRequestParts<AppState> for CodePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::invalid_field("code", "must be a coupon code"))?;
        let code = CouponCode::parse(&raw)
            .map_err(|invalid| ApiError::invalid_field("code", invalid.to_string()))?;
        match state.service.coupon_id_for_code(&code).await? {
            Some(id) => Ok(CodePath(id.0)),
            None if state.service.is_mistyped(&code)? => Err(ApiError::new(
                ErrorCode::CodeMistyped,
                format!(
                    "no coupon has the code {code}, and its check character is wrong: mistyped?"
                ),
            )),
            None => Err(ApiError::new(
                ErrorCode::CouponNotFound,
                format!("no coupon has the code {code}"),
            )),
        }
    }
}

/// A typed query string; unknown parameters and bad values are 422.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let field = error.path().to_string();
            let field = if field == "." { "query".to_owned() } else { field };
            ApiError::invalid_field(field, error.into_inner().to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        count: u32,
    }

    #[test]
    fn syntax_errors_are_400_and_data_errors_are_422_with_the_field() {
        assert_eq!(
            parse_json::<Probe>(b"{\"count\": ").unwrap_err().code(),
            ErrorCode::MalformedRequest
        );
        assert_eq!(
            parse_json::<Probe>(b"{\"count\": 1} {}").unwrap_err().code(),
            ErrorCode::MalformedRequest
        );
        let wrong_type = parse_json::<Probe>(b"{\"count\": \"three\"}").unwrap_err();
        assert_eq!(wrong_type.code(), ErrorCode::InvalidRequest);
        assert_eq!(wrong_type.problem().errors.as_ref().unwrap()[0].field, "count");
        let unknown = parse_json::<Probe>(b"{\"count\": 1, \"extra\": 2}").unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::InvalidRequest);
        assert_eq!(parse_json::<Probe>(b"[1]").unwrap_err().code(), ErrorCode::InvalidRequest);
    }

    #[derive(Debug, serde::Deserialize)]
    struct Counted {
        count: u32,
        metadata: serde_json::Value,
    }

    #[test]
    fn an_integer_written_with_a_zero_fraction_is_that_integer_but_metadata_stays_as_sent() {
        let counted =
            parse_json::<Counted>(b"{\"count\": 21.0, \"metadata\": {\"n\": 2.0}}").unwrap();
        assert_eq!(counted.count, 21);
        assert_eq!(counted.metadata, serde_json::json!({"n": 2.0}));
        assert!(counted.metadata["n"].is_f64(), "the caller's data keeps its float");
        let fraction = parse_json::<Counted>(b"{\"count\": 21.5, \"metadata\": {}}").unwrap_err();
        assert_eq!(fraction.code(), ErrorCode::InvalidRequest);
        let huge = parse_json::<Counted>(b"{\"count\": 1e300, \"metadata\": {}}").unwrap_err();
        assert_eq!(huge.code(), ErrorCode::InvalidRequest);
        let twice = parse_json::<Counted>(b"{\"count\": 1, \"count\": 9, \"metadata\": {}}");
        assert_eq!(twice.unwrap_err().code(), ErrorCode::InvalidRequest, "a field named twice");
    }
}
