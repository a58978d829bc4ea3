//! `IdempotencyKey`: the value of the `Idempotency-Key` header.

use std::fmt;

use thiserror::Error;

/// Longest accepted key, in bytes (= characters, since keys are ASCII).
pub const IDEMPOTENCY_KEY_LENGTH_MAX: usize = 255;

/// A checked idempotency key: 1 to 255 printable ASCII characters (`' '..='~'`), with no blank
/// at either end because HTTP strips those and the key would change in transit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

/// Why a string is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidIdempotencyKey {
    /// Empty.
    #[error("idempotency key is empty")]
    Empty,
    /// Over [`IDEMPOTENCY_KEY_LENGTH_MAX`].
    #[error(
        "idempotency key is {length} characters long, at most {IDEMPOTENCY_KEY_LENGTH_MAX} allowed"
    )]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// A byte outside printable ASCII, or a blank at either end. HTTP trims blanks around a
    /// header value, so the node would receive, and record, another key than the one kept here.
    #[error("idempotency key must be printable ASCII without blanks at either end")]
    NotPrintable,
}

impl IdempotencyKey {
    /// Checks and wraps a key.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        if key.is_empty() {
            return Err(InvalidIdempotencyKey::Empty);
        }
        if key.len() > IDEMPOTENCY_KEY_LENGTH_MAX {
            return Err(InvalidIdempotencyKey::TooLong { length: key.len() });
        }
        let printable = key.bytes().all(|byte| (b' '..=b'~').contains(&byte));
        if !printable || key.starts_with(' ') || key.ends_with(' ') {
            return Err(InvalidIdempotencyKey::NotPrintable);
        }
        Ok(Self(key))
    }

    /// The key as sent in the header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = InvalidIdempotencyKey;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Self::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::{IdempotencyKey, InvalidIdempotencyKey, IDEMPOTENCY_KEY_LENGTH_MAX};

    #[test]
    fn bounds() {
        assert!(IdempotencyKey::new("a").is_ok());
        assert!(IdempotencyKey::new("order 9 / try ~1").is_ok());
        assert!(IdempotencyKey::new("k".repeat(IDEMPOTENCY_KEY_LENGTH_MAX)).is_ok());
        assert_eq!(IdempotencyKey::new(""), Err(InvalidIdempotencyKey::Empty));
        assert_eq!(
            IdempotencyKey::new("k".repeat(IDEMPOTENCY_KEY_LENGTH_MAX + 1)),
            Err(InvalidIdempotencyKey::TooLong { length: IDEMPOTENCY_KEY_LENGTH_MAX + 1 })
        );
        for bad in ["tab\there", "é", " lead", "trail ", "nl\n"] {
            assert_eq!(IdempotencyKey::new(bad), Err(InvalidIdempotencyKey::NotPrintable), "{bad}");
        }
    }
}
