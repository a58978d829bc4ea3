//! The wire contract of the coupon service (`shared/API.md`): request and response bodies,
//! query strings, error codes, problem bodies and header names.
//!
//! The server (`coupon-node`) and this crate's client both use these types, so the two cannot
//! drift. This module needs only serde, serde_json, rust_decimal, chrono (and thiserror for
//! one small error type): the node depends on it with the `http` feature off.
//!
//! Conventions that every type follows:
//! - Money and percentages are `Decimal`s written as JSON strings; a JSON number is refused.
//! - Times are `DateTime<Utc>` in RFC 3339.
//! - Request bodies and query strings deny unknown fields (the server answers 422), response
//!   bodies ignore them (a client must keep working when the server adds a field).
//! - Absent and `null` optional fields mean the same thing on input.
//!
//! With the `openapi` feature every type also has a `utoipa` schema (`ToSchema`, and `IntoParams`
//! for the query strings), which the node publishes as its OpenAPI document.

mod alert;
pub mod audit;
mod campaign;
mod cluster;
mod consistency;
mod coupon;
mod coupon_list;
mod coupon_update;
mod currency;
pub mod decimal;
mod discount;
mod error_code;
mod external_id;
pub mod header;
mod history;
mod hold;
mod id;
mod idempotency_key;
mod key;
mod problem;
mod redemption;
mod rejection;
#[cfg(feature = "openapi")]
mod schema;
mod validate;

pub use alert::{Alert, AlertList, AlertsQuery};
pub use audit::{AuditPage, AuditQuery, AuditRecord};
pub use campaign::{
    Budget, Campaign, CodeJob, CreateCampaignRequest, GenerateCodesRequest, ImportedCodes, JobState,
};
pub use cluster::{AddMemberRequest, ClusterMember, ClusterStatus, InitClusterRequest, NodeRole};
pub use consistency::{ReadConsistency, ReadQuery};
pub use coupon::{Coupon, CreateCouponRequest, Metadata};
pub use coupon_list::{CouponList, CouponStatus, CouponsAnswer, CouponsQuery};
pub use coupon_update::UpdateCouponRequest;
pub use currency::Currency;
pub use discount::Discount;
pub use error_code::ErrorCode;
pub use external_id::ExternalId;
pub use history::{HistoryPage, HistoryQuery, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX};
pub use hold::{Hold, HoldRequest, HoldState};
pub use id::{AlertId, CampaignId, CouponId, HoldId, JobId, NodeId, RedemptionId, ID_MAX};
pub use idempotency_key::{IdempotencyKey, InvalidIdempotencyKey, IDEMPOTENCY_KEY_LENGTH_MAX};
pub use key::{ApiKey, CreateKeyRequest, CreatedKey, KeyList, KeyRole};
pub use problem::{FieldError, Problem, ABOUT_BLANK, JSON_CONTENT_TYPE, PROBLEM_CONTENT_TYPE};
pub use redemption::{RedeemRequest, RedeemResponse, Redemption};
pub use rejection::RejectionReason;
pub use validate::{ValidateQuery, ValidateResponse};
