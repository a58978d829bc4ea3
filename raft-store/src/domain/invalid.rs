//! `Invalid`: why a value cannot enter the domain, and `BoundsError`, which names its field. The
//! node turns either into a 422 field error; their `Display` text is for humans and never parsed.

use rust_decimal::Decimal;

use super::Currency;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("must be {min} to {max} characters long")]
    Length { min: usize, max: usize },
    #[error("may contain only the letters A-Z, digits, '-' and '_'")]
    CodeCharacters,
    #[error("must be printable ASCII")]
    NotPrintableAscii,
    #[error("must not contain control characters")]
    ControlCharacters,
    #[error("must be key_ followed by 1 to 16 lower-case letters or digits")]
    KeyId,
    #[error("must be an ISO 4217 currency code that has a minor unit, such as EUR, JPY or KWD")]
    Currency,
    #[error("may have at most {} fraction digits in {currency}", currency.minor_units())]
    MinorUnits { currency: Currency },
    #[error("is required: this coupon's amounts are in {coupon}")]
    OrderCurrencyRequired { coupon: Currency },
    #[error("must be greater than zero")]
    NotPositive,
    #[error("must not be negative")]
    Negative,
    #[error("must be at most {max}")]
    AboveMax { max: Decimal },
    #[error("must be from {min} to {max}")]
    OutOfRange { min: u64, max: u64 },
    #[error("may have at most {max} fraction digits")]
    Scale { max: u32 },
    #[error("must be in the future")]
    NotInFuture,
    #[error("must be before expires_at")]
    StartsAfterExpiry,
    #[error("is only allowed with a percentage discount")]
    CapOnFixedDiscount,
    #[error("is the fixed amount's own: a fixed discount keeps its currency")]
    CurrencyOfFixedDiscount,
    #[error("may have at most {max} keys")]
    TooManyKeys { max: usize },
    #[error("keys and string values may be at most {max} characters")]
    MetadataString { max: usize },
    #[error("must be at most {max} bytes as JSON")]
    TooLarge { max: usize },
    #[error("must be a JSON object")]
    NotAnObject,
    #[error("must be stored in its canonical form")]
    NotCanonical,
    #[error("must be between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z")]
    TimeOutOfRange,
    #[error("may hold at most {max} items")]
    TooMany { max: usize },
    #[error("must not name the same value twice")]
    Duplicates,
}

/// A value of a command outside the bounds of the replicated state (`crate::limits`), named by
/// its field. The node answers it as a 422; apply refuses such a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {invalid}")]
pub struct BoundsError {
    pub field: &'static str,
    pub invalid: Invalid,
}

impl BoundsError {
    /// A `map_err` adapter: `value.check().map_err(BoundsError::at("code"))`.
    pub fn at(field: &'static str) -> impl Fn(Invalid) -> Self {
        move |invalid| Self { field, invalid }
    }
}
