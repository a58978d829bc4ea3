//! Identifiers: numeric ids assigned by the state (never reused) and the string ids shops send.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;
use crate::limits::{EXTERNAL_ID_LENGTH_MAX, EXTERNAL_ID_LENGTH_MIN};

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl $name {
            /// The id that follows this one; ids are handed out from counters in the state.
            pub fn next(self) -> Self {
                Self(self.0 + 1)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(
    /// A coupon's id: positive, assigned at creation from the state's counter.
    CouponId
);
numeric_id!(
    /// A redemption's id: positive and increasing across all coupons, so it orders history.
    RedemptionId
);
numeric_id!(
    /// A low-stock alert's id: receivers of the webhook deduplicate on it.
    AlertId
);
numeric_id!(
    /// A campaign's id: positive, assigned at creation.
    CampaignId
);
numeric_id!(
    /// A code generation job's id: positive, assigned when the job starts.
    JobId
);
numeric_id!(
    /// A hold's id: positive, assigned when the hold is placed.
    HoldId
);
numeric_id!(
    /// An audit record's id: positive and increasing, in the order the changes were applied.
    AuditId
);

macro_rules! external_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(String);

        impl $name {
            /// 1 to 128 characters, no control characters; kept exactly as sent.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                parse_external_id(raw).map(|()| Self(raw.to_owned()))
            }

            /// An id from elsewhere (a decoded command) within the same bounds as `parse`.
            pub fn check(&self) -> Result<(), Invalid> {
                parse_external_id(&self.0)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

external_id!(
    /// The shop's id of the customer who redeems.
    UserId
);
external_id!(
    /// The shop's id of the order a coupon is redeemed for.
    OrderId
);
external_id!(
    /// A campaign's name, for people.
    CampaignName
);

fn parse_external_id(raw: &str) -> Result<(), Invalid> {
    let length = raw.chars().count();
    if !(EXTERNAL_ID_LENGTH_MIN..=EXTERNAL_ID_LENGTH_MAX).contains(&length) {
        return Err(Invalid::Length { min: EXTERNAL_ID_LENGTH_MIN, max: EXTERNAL_ID_LENGTH_MAX });
    }
    if raw.chars().any(char::is_control) {
        return Err(Invalid::ControlCharacters);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_bounded_by_characters_not_bytes() {
        assert!(UserId::parse("u-1").is_ok());
        assert!(UserId::parse(&"é".repeat(EXTERNAL_ID_LENGTH_MAX)).is_ok());
        assert_eq!(
            UserId::parse(&"x".repeat(EXTERNAL_ID_LENGTH_MAX + 1)),
            Err(Invalid::Length { min: 1, max: 128 })
        );
        assert!(OrderId::parse("").is_err());
        assert_eq!(OrderId::parse("a\nb"), Err(Invalid::ControlCharacters));
    }

    #[test]
    fn numeric_ids_count_up() {
        assert_eq!(CouponId(41).next(), CouponId(42));
    }
}
