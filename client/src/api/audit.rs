//! `GET /audit`: the audit trail, and the rule that chains its records.
//!
//! Each record's `hash` is the lower-case hex SHA-256 of the previous record's `hash` (64 zeros
//! before the first record) followed by the record itself without `hash`, written as RFC 8785
//! canonical JSON. The service computes it where the record is written; anyone holding the
//! records can recompute the chain (`verify_chain`, and `coupon audit verify`), and a removed,
//! inserted or altered record breaks it at that record.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `hash` before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One record of the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Position in the trail, from 1, without gaps.
    pub seq: u64,
    /// Log time of the change (RFC 3339, milliseconds).
    pub at: String,
    /// The id of the key that made the change; `null` on a node running open, and for the
    /// bootstrap key's own installation.
    pub actor: Option<String>,
    /// What was done: `coupon.create`, `coupon.update`, `coupon.deactivate`,
    /// `coupon.reactivate`, `redemption.rollback`, `key.create`, `key.revoke`, `member.add`,
    /// `member.remove`.
    #[cfg_attr(feature = "openapi", schema(example = "coupon.update"))]
    pub action: String,
    /// What it was done to: `coupon:42`, `redemption:7`, `key:key_…`, `node:4`.
    #[cfg_attr(feature = "openapi", schema(example = "coupon:42"))]
    pub subject: String,
    /// The subject before the change, as the state stores it; `null` for a creation.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Value>,
    /// The subject after the change.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<Value>,
    /// The chain's hash through this record (see the module's rule).
    pub hash: String,
}

/// Query of `GET /audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The previous page's `next_after`; absent: from the first record.
    #[serde(
        default,
        deserialize_with = "super::id::option_up_to_id_max",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        param(minimum = 0, maximum = 9_223_372_036_854_775_807_u64, example = 120)
    )]
    pub after: Option<u64>,
    /// Page size, 1 to 500; absent: 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500, example = 50))]
    pub limit: Option<u32>,
    /// `linearizable` (the default) or `local`, as on every `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<super::ReadConsistency>,
}

/// 200 answer of `GET /audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// Oldest first.
    pub records: Vec<AuditRecord>,
    /// Pass as `after` for the next page; `null` on the last page.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_after: Option<u64>,
}

/// The `hash` of a record whose other fields are `body` (a JSON object without `hash`), after
/// the record whose hash is `previous`.
pub fn chain_hash(previous: &str, body: &Value) -> String {
    let canonical = serde_jcs::to_string(body).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(canonical.as_bytes());
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("record {seq}: the hash does not follow from the record and the one before it")]
    Hash { seq: u64 },
    #[error("record {seq} follows record {previous}: records are missing or out of order")]
    Gap { seq: u64, previous: u64 },
    #[error("a record is not a JSON object with a seq and a hash")]
    Malformed,
}

/// Recomputes the chain over `records`, the whole trail from the first record, as served (JSON
/// objects). `Ok` with the number of records, or where it breaks.
pub fn verify_chain(records: &[Value]) -> Result<u64, ChainBreak> {
    let mut previous_hash = GENESIS_HASH.to_owned();
    let mut previous_seq = 0;
    for record in records {
        let mut body = record.as_object().cloned().ok_or(ChainBreak::Malformed)?;
        let hash = body.remove("hash").and_then(|hash| hash.as_str().map(str::to_owned));
        let seq = body.get("seq").and_then(Value::as_u64).ok_or(ChainBreak::Malformed)?;
        let hash = hash.ok_or(ChainBreak::Malformed)?;
        if seq != previous_seq + 1 {
            return Err(ChainBreak::Gap { seq, previous: previous_seq });
        }
        if chain_hash(&previous_hash, &Value::Object(body)) != hash {
            return Err(ChainBreak::Hash { seq });
        }
        (previous_hash, previous_seq) = (hash, seq);
    }
    Ok(previous_seq)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chain(bodies: &[Value]) -> Vec<Value> {
        let mut previous = GENESIS_HASH.to_owned();
        bodies
            .iter()
            .map(|body| {
                let hash = chain_hash(&previous, body);
                let mut record = body.clone();
                record["hash"] = Value::from(hash.clone());
                previous = hash;
                record
            })
            .collect()
    }

    #[test]
    fn a_chain_verifies_and_any_change_breaks_it_where_it_is() {
        let bodies: Vec<Value> = (1..=3)
            .map(
                |seq| json!({"seq": seq, "action": "coupon.create", "after": {"b": 1, "a": [seq]}}),
            )
            .collect();
        let records = chain(&bodies);
        assert_eq!(verify_chain(&records), Ok(3));
        let mut altered = records.clone();
        altered[1]["after"]["b"] = json!(2);
        assert_eq!(verify_chain(&altered), Err(ChainBreak::Hash { seq: 2 }));
        let removed = [records[0].clone(), records[2].clone()];
        assert_eq!(verify_chain(&removed), Err(ChainBreak::Gap { seq: 3, previous: 1 }));
        // Key order does not matter: the hash is over the canonical form.
        let reordered: Value =
            serde_json::from_str(r#"{"after":{"a":[1],"b":1},"action":"coupon.create","seq":1}"#)
                .unwrap();
        assert_eq!(chain_hash(GENESIS_HASH, &reordered), chain_hash(GENESIS_HASH, &bodies[0]));
    }
}
