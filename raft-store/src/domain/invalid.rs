//! `Invalid`: why a value cannot enter the domain. The node turns it into a 422 field error; its
//! `Display` text is for humans and never parsed.

use rust_decimal::Decimal;

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
    #[error("must be a three-letter upper-case ISO 4217 currency code")]
    Currency,
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
    #[error("may have at most {max} keys")]
    TooManyKeys { max: usize },
    #[error("keys and string values may be at most {max} characters")]
    MetadataString { max: usize },
    #[error("must be at most {max} bytes as JSON")]
    TooLarge { max: usize },
    #[error("must be a JSON object")]
    NotAnObject,
}
