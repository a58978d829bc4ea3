//! Service-assigned ids. Positive integers, never reused; newtypes so a coupon id cannot be
//! passed where a redemption id is expected.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected};
use serde::{Deserialize, Serialize};

/// A Raft node id. A plain alias because openraft's `NodeId` must be a `u64`.
pub type NodeId = u64;

/// The largest id or paging cursor the API takes: ids are OpenAPI `int64`, which is what client
/// languages read them as, so a larger one is refused (422) rather than taken. The service counts
/// ids from 1 and never comes near it.
pub const ID_MAX: u64 = i64::MAX.unsigned_abs();

/// The id of a coupon (`coupon_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CouponId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

/// The id of a redemption (`redemption_id`); also the history paging cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedemptionId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

/// The id of a low-stock alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

/// An id or cursor from 0 to `ID_MAX` (`#[serde(deserialize_with)]`).
pub fn up_to_id_max<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if value > ID_MAX {
        let expected = "an integer from 0 to 9223372036854775807";
        return Err(de::Error::invalid_value(Unexpected::Unsigned(value), &expected));
    }
    Ok(value)
}

/// `up_to_id_max` for an optional cursor (`#[serde(default, deserialize_with)]`).
pub fn option_up_to_id_max<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Bounded(#[serde(deserialize_with = "up_to_id_max")] u64);
    Ok(Option::<Bounded>::deserialize(deserializer)?.map(|Bounded(value)| value))
}

/// The id of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CampaignId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

impl fmt::Display for CampaignId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// The id of a code generation job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// The id of a hold (a use set aside at checkout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(#[serde(deserialize_with = "up_to_id_max")] pub u64);

impl fmt::Display for HoldId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl fmt::Display for CouponId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl fmt::Display for RedemptionId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl fmt::Display for AlertId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stop_at_the_int64_maximum() {
        let id = |json: &str| serde_json::from_str::<CouponId>(json).map(|id| id.0);
        assert_eq!(id("9223372036854775807").ok(), Some(ID_MAX));
        assert!(id("9223372036854775808").is_err());
        assert!(id("-1").is_err());
        let campaign = |json: &str| serde_json::from_str::<CampaignId>(json).map(|id| id.0);
        assert_eq!(campaign("9223372036854775807").ok(), Some(ID_MAX));
        assert!(campaign("9223372036854775808").is_err());
        assert!(serde_json::from_str::<JobId>("9223372036854775808").is_err());
        assert!(serde_json::from_str::<HoldId>("9223372036854775808").is_err());
    }
}
