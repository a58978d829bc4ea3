//! The listing's query into the state's `CouponFilter`.

use chrono::{DateTime, Utc};
use coupon_client::api::{self, CouponsQuery};
use raft_store::domain::{CampaignId, CouponStatus, Timestamp};
use raft_store::state_reader::CouponFilter;

use super::{FieldErrors, InvalidFields};

/// The filter `query` asks for, with statuses judged at `now` (never before the log time apply
/// last saw: the caller passes the later of the two).
pub fn coupon_filter(
    query: &CouponsQuery,
    now: DateTime<Utc>,
) -> Result<CouponFilter, InvalidFields> {
    let mut errors = FieldErrors::default();
    let now = Timestamp::from_datetime(now);
    let status = query.status.map(|status| (domain_status(status), now));
    // A prefix is a code's beginning: the code's characters, normalised the same way.
    let code_prefix = query.code_prefix.as_deref().and_then(|prefix| {
        let normal = prefix.trim_matches(|c: char| c.is_ascii_whitespace()).to_ascii_uppercase();
        let valid = !normal.is_empty()
            && normal.len() <= raft_store::limits::CODE_LENGTH_MAX
            && normal.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            errors.add("code_prefix", "may contain only the letters A-Z, digits, '-' and '_'");
        }
        valid.then_some(normal)
    });
    let created_after = match query.created_after {
        Some(at) => errors.check("created_after", Timestamp::try_from_datetime(at)),
        None => None,
    };
    let campaign_id = query.campaign_id.map(|id| CampaignId(id.0));
    errors.finish(Some(CouponFilter { status, code_prefix, created_after, campaign_id }))
}

fn domain_status(status: api::CouponStatus) -> CouponStatus {
    match status {
        api::CouponStatus::Active => CouponStatus::Active,
        api::CouponStatus::Inactive => CouponStatus::Inactive,
        api::CouponStatus::NotStarted => CouponStatus::NotStarted,
        api::CouponStatus::Expired => CouponStatus::Expired,
        api::CouponStatus::Exhausted => CouponStatus::Exhausted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_normalised_and_checked_like_a_code() {
        let query = CouponsQuery { code_prefix: Some(" sum ".into()), ..CouponsQuery::default() };
        assert_eq!(coupon_filter(&query, Utc::now()).unwrap().code_prefix.as_deref(), Some("SUM"));
        let bad = CouponsQuery { code_prefix: Some("a b".into()), ..CouponsQuery::default() };
        assert_eq!(coupon_filter(&bad, Utc::now()).unwrap_err().0[0].field, "code_prefix");
    }
}
