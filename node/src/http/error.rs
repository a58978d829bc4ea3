//! `ApiError`: every failure of the public API, rendered as RFC 9457 problem+json. The status
//! comes from the contract's `ErrorCode` and nowhere else.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use coupon_client::api::{
    header as wire_header, ErrorCode, FieldError, Problem, PROBLEM_CONTENT_TYPE,
};
use raft_store::outcome::Rejection;
use raft_store::StoreError;

use crate::cluster_admin::AdminError;
use crate::convert::{rejection_code, InvalidFields};
use crate::limits::RETRY_AFTER_UNAVAILABLE_SECONDS;
use crate::read_barrier::ReadError;
use crate::service::ServiceError;
use crate::write::WriteError;

#[derive(Debug)]
pub struct ApiError {
    problem: Problem,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { problem: Problem::new(code, detail), retry_after_seconds: None }
    }

    /// 422 with one entry per offending field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [only] => format!("{}: {}", only.field, only.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self { problem: Problem::invalid_request(detail, errors), retry_after_seconds: None }
    }

    /// `code` with one entry per field it concerns (a refusal that names lines of the body).
    pub fn with_fields(
        code: ErrorCode,
        detail: impl Into<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        let mut problem = Problem::new(code, detail);
        problem.errors = Some(errors);
        Self { problem, retry_after_seconds: None }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, detail).retry_after(RETRY_AFTER_UNAVAILABLE_SECONDS)
    }

    pub fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(ErrorCode::Internal, "internal error; see the node's log")
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.problem.code
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// A domain refusal decided by apply, for the resource the request named.
    pub fn rejected(rejection: Rejection, detail: impl Into<String>) -> Self {
        Self::new(rejection_code(rejection), detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        if self.problem.code == ErrorCode::Unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(wire_header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(self.problem.code);
        response
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::NotLeader { .. } | WriteError::LeaderUnreachable | WriteError::NoLeader => {
                Self::unavailable("no leader is reachable now; retry shortly")
            }
            WriteError::Overloaded => {
                Self::unavailable("this node is shedding load; retry shortly")
            }
            WriteError::Timeout | WriteError::Superseded { .. } => Self::new(
                ErrorCode::Timeout,
                "the outcome is unknown: retry with the same Idempotency-Key to learn it",
            ),
            WriteError::Stopped => Self::unavailable("this node is not serving writes"),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::NoLeader | ReadError::NotLeader | ReadError::NoQuorum => Self::unavailable(
                "no leader can confirm a linearizable read now; retry, or use consistency=local",
            ),
            ReadError::Timeout => {
                Self::new(ErrorCode::Timeout, "a linearizable read could not be confirmed in time")
            }
            ReadError::Stopped => Self::unavailable("this node is not serving reads"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Installing => Self::unavailable(error.to_string()),
            error => Self::internal(&error),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let detail = error.to_string();
        match error {
            AdminError::AlreadyInitialized => {
                Self::new(ErrorCode::ClusterAlreadyInitialized, detail)
            }
            AdminError::Refused(reason) if reason.is_invalid_request() => {
                Self::new(ErrorCode::InvalidRequest, detail)
            }
            AdminError::Refused(_) => Self::new(ErrorCode::MembershipRefused, detail),
            AdminError::NoLeader | AdminError::Stopped => Self::unavailable(detail),
            AdminError::NotLeader => {
                Self::new(ErrorCode::NotLeader, detail).retry_after(RETRY_AFTER_UNAVAILABLE_SECONDS)
            }
            AdminError::Timeout | AdminError::RollbackUnknown(_) => {
                Self::new(ErrorCode::Timeout, detail)
            }
        }
    }
}

impl From<InvalidFields> for ApiError {
    fn from(InvalidFields(errors): InvalidFields) -> Self {
        Self::invalid(errors)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(error) => error.into(),
            ServiceError::Write(error) => error.into(),
            ServiceError::Read(error) => error.into(),
            ServiceError::Store(error) => error.into(),
            ServiceError::Fingerprint(error) => Self::internal(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use coupon_client::api::FieldError;

    use super::*;

    #[test]
    fn invalid_fields_are_one_invalid_request_listing_them() {
        let fields =
            vec![FieldError::new("code", "too short"), FieldError::new("usage_limit", "0")];
        let error = ApiError::from(InvalidFields(fields.clone()));
        assert_eq!(error.code(), ErrorCode::InvalidRequest);
        assert_eq!(error.problem().errors.as_deref(), Some(fields.as_slice()));
    }
}
