//! `Currency`: an ISO 4217 code such as `EUR`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A currency code as sent on the wire. The server checks the shape (three upper-case letters);
/// the client keeps whatever the server sent so it never rejects a valid answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Wraps a code as is.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code, e.g. `"EUR"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the code has ISO 4217's shape: exactly three ASCII upper-case letters.
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == 3 && self.0.bytes().all(|byte| byte.is_ascii_uppercase())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl From<&str> for Currency {
    fn from(code: &str) -> Self {
        Self(code.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Currency;

    #[test]
    fn shape_check() {
        assert!(Currency::from("EUR").is_well_formed());
        assert!(!Currency::from("eur").is_well_formed());
        assert!(!Currency::from("EURO").is_well_formed());
        assert!(!Currency::from("E1R").is_well_formed());
    }
}
