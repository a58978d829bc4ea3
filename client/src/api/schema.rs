//! OpenAPI schemas (feature `openapi`) of the wire types whose JSON shape a derive cannot state:
//! newtypes with bounds (ids, external ids, currencies, idempotency keys) and the two enums whose
//! documented values differ from their Rust variants (`ErrorCode` with its statuses, `NodeRole`
//! without the client-only `unknown`). Every other wire type derives its schema in place.

use serde_json::json;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, OneOfBuilder, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{RefOr, Required, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{
    header, AlertId, CampaignId, CouponId, Currency, ErrorCode, ExternalId, HoldId, IdempotencyKey,
    JobId, NodeRole, RedemptionId, IDEMPOTENCY_KEY_LENGTH_MAX,
};

/// A coupon's `metadata`: a JSON object of at most 32 keys (its other bounds are in the field's
/// description).
pub(super) fn metadata() -> Object {
    metadata_of_type(Type::Object.into())
}

/// `metadata` on input, where `null` means `{}`.
pub(super) fn metadata_or_null() -> Object {
    metadata_of_type(SchemaType::from_iter([Type::Object, Type::Null]))
}

fn metadata_of_type(schema_type: SchemaType) -> Object {
    ObjectBuilder::new()
        .schema_type(schema_type)
        .description(Some(
            "The caller's own data, `{}` by default: at most 32 keys; keys and string values \
             (at any depth) at most 256 characters; at most 16 KiB as compact JSON.",
        ))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .max_properties(Some(32))
        .examples([json!({"campaign": "summer"})])
        .build()
}

/// A positive integer id assigned by the service.
fn positive_id(description: &str, example: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(super::ID_MAX))
        .description(Some(description))
        .examples([json!(example)])
        .into()
}

impl PartialSchema for CouponId {
    fn schema() -> RefOr<Schema> {
        positive_id("A coupon's id: a positive integer assigned by the service, never reused.", 42)
    }
}
impl ToSchema for CouponId {}

impl PartialSchema for CampaignId {
    fn schema() -> RefOr<Schema> {
        positive_id("A campaign's id: a positive integer assigned by the service.", 3)
    }
}
impl ToSchema for CampaignId {}

impl PartialSchema for JobId {
    fn schema() -> RefOr<Schema> {
        positive_id("A code generation job's id: a positive integer assigned by the service.", 2)
    }
}
impl ToSchema for JobId {}

impl PartialSchema for HoldId {
    fn schema() -> RefOr<Schema> {
        positive_id("A hold's id: a positive integer assigned by the service, never reused.", 5)
    }
}
impl ToSchema for HoldId {}

impl PartialSchema for RedemptionId {
    fn schema() -> RefOr<Schema> {
        positive_id(
            "A redemption's id: a positive integer assigned by the service in apply order, \
             never reused; also the history paging cursor.",
            7,
        )
    }
}
impl ToSchema for RedemptionId {}

impl PartialSchema for AlertId {
    fn schema() -> RefOr<Schema> {
        positive_id("A low-stock alert's id, for deduplicating webhook deliveries.", 3)
    }
}
impl ToSchema for AlertId {}

impl PartialSchema for ExternalId {
    fn schema() -> RefOr<Schema> {
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(128))
            // No control character (Unicode `Cc`), as the server checks.
            .pattern(Some("^[^\\u0000-\\u001f\\u007f-\\u009f]*$"));
        // A JSON integer is read as a signed or unsigned 64-bit one.
        let integer = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(i64::MIN))
            .maximum(Some(u64::MAX));
        OneOfBuilder::new()
            .item(text)
            .item(integer)
            .description(Some(
                "The caller's own id (`user_id`, `order_id`): 1 to 128 characters, no control \
                 characters. A JSON integer is also accepted and stored as its decimal string.",
            ))
            .examples([json!("u-1")])
            .into()
    }
}
impl ToSchema for ExternalId {}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Currency::accepted_codes()))
            .description(Some(
                "An ISO 4217 currency code that has a minor unit. An amount in it has at most \
                 that many fraction digits (EUR 2, JPY 0, KWD 3), and every amount the service \
                 computes (a percentage of an order) is rounded half up to it: 15 % of EUR 0.10 \
                 is EUR 0.02.",
            ))
            .examples([json!("EUR")])
            .into()
    }
}
impl ToSchema for Currency {}

impl PartialSchema for IdempotencyKey {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(IDEMPOTENCY_KEY_LENGTH_MAX))
            // Printable ASCII, no blank at either end (HTTP would strip it in transit).
            .pattern(Some("^[!-~]([ -~]*[!-~])?$"))
            .examples([json!("order-o-9-redeem")])
            .into()
    }
}
impl ToSchema for IdempotencyKey {}

/// The key is a request header, so as a parameter set it is the one optional `Idempotency-Key`.
impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let parameter = ParameterBuilder::new()
            .name(header::IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes the write safe to retry. The same key with the same request (method, path \
                 and body) returns the first response again, status and body, with \
                 `Idempotent-Replayed: true`, from any node, also after a leader change or a \
                 restart; the same key with a different request is 422 `idempotency_key_reused`. \
                 The outcome of the applied command is stored (a 404 or 409 rejection included); \
                 a request refused before it was proposed (400, 413, 415, 422, 429, 503) stores \
                 nothing. Keys are kept at least 24 hours of log time.",
            ))
            .schema(Some(Self::schema()))
            .build();
        vec![parameter]
    }
}

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        let table: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|code| format!("- `{code}`: {} ({})", code.status(), code.title()))
            .collect();
        let description = format!(
            "The machine-readable `code` of a problem: stable snake_case, and always sent with \
             the same HTTP status. `unauthorized` only answers the peer listener, never the \
             public API.\n\n{}",
            table.join("\n")
        );
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ErrorCode::ALL.map(ErrorCode::as_str)))
            .description(Some(description))
            .examples([json!("usage_limit_reached")])
            .into()
    }
}
impl ToSchema for ErrorCode {}

impl PartialSchema for NodeRole {
    fn schema() -> RefOr<Schema> {
        // `unknown` is the client's catch-all for roles a newer server may add; no server sends it.
        let roles = [
            NodeRole::Leader,
            NodeRole::Follower,
            NodeRole::Candidate,
            NodeRole::Learner,
            NodeRole::Shutdown,
        ];
        let words: Vec<serde_json::Value> =
            roles.iter().filter_map(|role| serde_json::to_value(role).ok()).collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(words))
            .description(Some("The answering node's Raft role."))
            .examples([json!("leader")])
            .into()
    }
}
impl ToSchema for NodeRole {}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use crate::api::{ErrorCode, NodeRole};

    fn enum_words<T: PartialSchema>() -> Vec<serde_json::Value> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["enum"].as_array().unwrap().clone()
    }

    #[test]
    fn error_code_schema_lists_every_code_as_serde_writes_it() {
        let serde_words: Vec<_> =
            ErrorCode::ALL.iter().map(|code| serde_json::to_value(code).unwrap()).collect();
        assert_eq!(enum_words::<ErrorCode>(), serde_words);
    }

    #[test]
    fn node_role_schema_is_what_a_server_sends() {
        let words = enum_words::<NodeRole>();
        assert_eq!(words.len(), 5);
        assert!(!words.contains(&serde_json::json!("unknown")));
        for word in words {
            let role: NodeRole = serde_json::from_value(word).unwrap();
            assert_ne!(role, NodeRole::Unknown);
        }
    }
}
