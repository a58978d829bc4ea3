//! `CouponRef`: a coupon named on the command line, by id or by code.

use std::convert::Infallible;
use std::str::FromStr;

use coupon_client::api::{CouponId, ReadConsistency};
use coupon_client::{HttpCouponClient, Result};

/// A coupon id (all digits) or a code (anything else). A code made only of digits cannot be
/// named here; use its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponRef {
    Id(CouponId),
    Code(String),
}

impl FromStr for CouponRef {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Self, Infallible> {
        let text = text.trim();
        Ok(match text.parse::<u64>() {
            Ok(id) => Self::Id(CouponId(id)),
            Err(_) => Self::Code(text.to_owned()),
        })
    }
}

impl std::fmt::Display for CouponRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Code(code) => write!(f, "{code:?}"),
        }
    }
}

impl CouponRef {
    /// The coupon's id; a code is looked up first (linearizably, so a coupon created just
    /// before is found).
    pub async fn resolve(&self, client: &HttpCouponClient) -> Result<CouponId> {
        match self {
            Self::Id(id) => Ok(*id),
            Self::Code(code) => {
                let coupon = client.get_coupon_by_code(code, ReadConsistency::Linearizable).await?;
                Ok(coupon.id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use coupon_client::api::CouponId;

    use super::CouponRef;

    #[test]
    fn digits_are_ids_and_the_rest_codes() {
        assert_eq!("42".parse::<CouponRef>().unwrap(), CouponRef::Id(CouponId(42)));
        assert_eq!(
            " summer-2026 ".parse::<CouponRef>().unwrap(),
            CouponRef::Code("summer-2026".into())
        );
    }
}
