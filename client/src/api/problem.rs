//! `Problem`: the RFC 9457 body of every error response.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ErrorCode;

/// The `Content-Type` of every error response.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
/// The `Content-Type` of every request body and success response.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The problem `type` of every problem this API sends: the status and `code` say it all.
pub const ABOUT_BLANK: &str = "about:blank";

/// An RFC 9457 problem: `{"type": "about:blank", "title": "Usage limit reached", "status": 409,
/// "detail": "coupon 42 has no uses left", "code": "usage_limit_reached"}`.
///
/// `code` is the contract and `status` always equals `code.status()` for problems built here;
/// `detail` is for humans and is never parsed. Unknown members are ignored (RFC 9457 allows
/// extensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "An RFC 9457 \
    problem, the body of every error. Match on `code`; `status` always goes with it; `detail` \
    is for humans and never to be parsed. Members may be added (RFC 9457 extensions).",
    example = json!({
    "type": "about:blank", "title": "Usage limit reached", "status": 409,
    "detail": "coupon 42 has no uses left", "code": "usage_limit_reached"
})))]
pub struct Problem {
    /// A URI naming the problem type; always `about:blank` here.
    #[serde(rename = "type", default = "about_blank")]
    #[cfg_attr(feature = "openapi", schema(required = true, example = "about:blank"))]
    pub problem_type: String,
    /// A short summary of the `code`, the same for every occurrence of it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = "Usage limit reached"))]
    pub title: String,
    /// The HTTP status, repeated in the body.
    #[cfg_attr(feature = "openapi", schema(example = 409))]
    pub status: u16,
    /// This occurrence, for humans; never parse it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "coupon 42 has no uses left"))]
    pub detail: Option<String>,
    /// The machine-readable code: match on this.
    pub code: ErrorCode,
    /// Per-field validation errors; only with `invalid_request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One invalid field: `{"field": "usage_limit", "message": "must be at least 1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name (a dotted path for nested fields, e.g. `discount.value`; `id` for a
    /// path id, the parameter's name for a query value, `Idempotency-Key` for that header).
    #[cfg_attr(feature = "openapi", schema(example = "usage_limit"))]
    pub field: String,
    /// What is wrong with it.
    #[cfg_attr(feature = "openapi", schema(example = "must be at least 1"))]
    pub message: String,
}

impl FieldError {
    /// One invalid field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl Problem {
    /// A problem for `code` with its status and title, without detail.
    pub fn from_code(code: ErrorCode) -> Self {
        Self {
            problem_type: about_blank(),
            title: code.title().to_owned(),
            status: code.status(),
            detail: None,
            code,
            errors: None,
        }
    }

    /// A problem for `code` with a human-readable detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { detail: Some(detail.into()), ..Self::from_code(code) }
    }

    /// A 422 `invalid_request` listing the invalid fields.
    pub fn invalid_request(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::new(ErrorCode::InvalidRequest, detail).with_errors(errors)
    }

    /// Attaches per-field errors.
    pub fn with_errors(self, errors: Vec<FieldError>) -> Self {
        Self { errors: Some(errors), ..self }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.status, self.code)?;
        if let Some(detail) = &self.detail {
            write!(formatter, ": {detail}")?;
        }
        Ok(())
    }
}

fn about_blank() -> String {
    ABOUT_BLANK.to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FieldError, Problem};
    use crate::api::ErrorCode;

    #[test]
    fn api_md_problem_round_trips() {
        let literal = json!({
            "type": "about:blank", "title": "Usage limit reached", "status": 409,
            "detail": "coupon 42 has no uses left", "code": "usage_limit_reached"
        });
        let parsed: Problem = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(
            parsed,
            Problem::new(ErrorCode::UsageLimitReached, "coupon 42 has no uses left")
        );
        assert_eq!(serde_json::to_value(&parsed).unwrap(), literal);
    }

    #[test]
    fn validation_problem_carries_field_errors() {
        let problem = Problem::invalid_request(
            "1 invalid field",
            vec![FieldError::new("usage_limit", "must be at least 1")],
        );
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["code"], "invalid_request");
        assert_eq!(
            json["errors"],
            json!([{"field": "usage_limit", "message": "must be at least 1"}])
        );
    }

    #[test]
    fn missing_type_defaults_to_about_blank_and_extensions_are_ignored() {
        let body = json!({"title": "Timeout", "status": 504, "code": "timeout", "instance": "/x"});
        let parsed: Problem = serde_json::from_value(body).unwrap();
        assert_eq!(parsed.problem_type, "about:blank");
        assert_eq!(parsed.to_string(), "504 timeout");
    }
}
