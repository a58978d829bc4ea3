//! Read consistency (`?consistency=`) and the query strings of the plain reads.

use serde::{Deserialize, Serialize};

/// How current a `GET` must be. Every `GET` accepts `?consistency=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadConsistency {
    /// Sees every write acknowledged before the read was sent, whichever node answers.
    #[default]
    Linearizable,
    /// The answering node's own state, possibly stale; cheaper, and works without a leader.
    Local,
}

/// Query of `GET /coupons/{id}`, `GET /alerts` and `GET /cluster`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    /// `linearizable` (the default) sees every write acknowledged before this request was sent,
    /// whichever node answers; `local` is the answering node's own state, possibly stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub consistency: Option<ReadConsistency>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ReadConsistency, ReadQuery};

    #[test]
    fn consistency_words_and_default() {
        assert_eq!(ReadConsistency::default(), ReadConsistency::Linearizable);
        assert_eq!(serde_json::to_value(ReadConsistency::Local).unwrap(), json!("local"));
        let query: ReadQuery =
            serde_json::from_value(json!({"consistency": "linearizable"})).unwrap();
        assert_eq!(query.consistency, Some(ReadConsistency::Linearizable));
        assert!(serde_json::from_value::<ReadQuery>(json!({"consistency": "stale"})).is_err());
    }
}
