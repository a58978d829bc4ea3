//! `CouponCode`: the code a shopper types. Case-insensitive: stored trimmed and upper-case.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Invalid;
use crate::limits::{CODE_LENGTH_MAX, CODE_LENGTH_MIN, GENERATED_CODE_LENGTH};

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or off paper is unambiguous.
pub const CROCKFORD_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CouponCode(String);

impl CouponCode {
    /// Trims, upper-cases, then checks length (3 to 64) and characters (`A-Z 0-9 - _`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        // ASCII blanks only, as the OpenAPI pattern of a code says (`[ \t\n\f\r]`).
        let normalized = raw.trim_matches(|c: char| c.is_ascii_whitespace()).to_ascii_uppercase();
        if !(CODE_LENGTH_MIN..=CODE_LENGTH_MAX).contains(&normalized.chars().count()) {
            return Err(Invalid::Length { min: CODE_LENGTH_MIN, max: CODE_LENGTH_MAX });
        }
        let allowed =
            |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !normalized.chars().all(allowed) {
            return Err(Invalid::CodeCharacters);
        }
        Ok(Self(normalized))
    }

    /// A code from elsewhere (a decoded command) is one `parse` would have made: bounded,
    /// trimmed, upper-case.
    pub fn check(&self) -> Result<(), Invalid> {
        if Self::parse(&self.0)? == *self {
            Ok(())
        } else {
            Err(Invalid::NotCanonical)
        }
    }

    /// A code of `GENERATED_CODE_LENGTH` Crockford characters taken from `entropy` (the leader's
    /// randomness, so that apply itself stays deterministic).
    pub fn generate(entropy: [u8; GENERATED_CODE_LENGTH]) -> Self {
        let code =
            entropy.iter().map(|byte| char::from(CROCKFORD_ALPHABET[usize::from(byte % 32)]));
        Self(code.collect())
    }

    /// The next candidate after `self` collided with an existing code: a pure function of the
    /// colliding code and the attempt, so every node derives the same one.
    pub fn derive_after_collision(&self, attempt: u32) -> Self {
        let digest = Sha256::new()
            .chain_update(self.0.as_bytes())
            .chain_update(attempt.to_be_bytes())
            .finalize();
        let mut entropy = [0u8; GENERATED_CODE_LENGTH];
        entropy.copy_from_slice(&digest[..GENERATED_CODE_LENGTH]);
        Self::generate(entropy)
    }

    /// A code apply derived (`CodePattern::derive`): canonical by construction.
    pub(crate) fn from_generated(code: String) -> Self {
        debug_assert_eq!(Self::parse(&code).as_ref(), Ok(&Self(code.clone())));
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CouponCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_and_upper_cased() {
        assert_eq!(CouponCode::parse("  summer-2026 ").unwrap().as_str(), "SUMMER-2026");
        assert_eq!(CouponCode::parse("a_b").unwrap().as_str(), "A_B");
        assert_eq!(CouponCode::parse("\t\n\x0c\rabc\r\n").unwrap().as_str(), "ABC");
        // Only ASCII blanks are trimmed, as the OpenAPI pattern says.
        assert_eq!(CouponCode::parse("\u{a0}ABC"), Err(Invalid::CodeCharacters));
    }

    #[test]
    fn codes_outside_the_rules_are_invalid() {
        assert_eq!(CouponCode::parse("ab"), Err(Invalid::Length { min: 3, max: 64 }));
        assert!(CouponCode::parse(&"A".repeat(64)).is_ok());
        assert!(CouponCode::parse(&"A".repeat(65)).is_err());
        assert_eq!(CouponCode::parse("SUMMER 26"), Err(Invalid::CodeCharacters));
        assert_eq!(CouponCode::parse("ÉTÉ-2026"), Err(Invalid::CodeCharacters));
    }

    #[test]
    fn a_decoded_code_must_be_one_parse_makes() {
        assert!(CouponCode::parse("ok-1").unwrap().check().is_ok());
        assert_eq!(CouponCode("ok-1".into()).check(), Err(Invalid::NotCanonical));
        assert_eq!(CouponCode(String::new()).check(), Err(Invalid::Length { min: 3, max: 64 }));
    }

    #[test]
    fn generated_codes_use_only_the_crockford_alphabet() {
        let code = CouponCode::generate([255; GENERATED_CODE_LENGTH]);
        assert_eq!(code.as_str().len(), GENERATED_CODE_LENGTH);
        for c in ["I", "L", "O", "U"] {
            assert!(!CouponCode::generate(core::array::from_fn(|i| i as u8 * 7))
                .as_str()
                .contains(c));
        }
        assert!(CouponCode::parse(code.as_str()).is_ok());
    }

    #[test]
    fn derived_codes_are_deterministic_and_differ_per_attempt() {
        let code = CouponCode::parse("ABCDEFGHJKMN").unwrap();
        assert_eq!(code.derive_after_collision(1), code.derive_after_collision(1));
        assert_ne!(code.derive_after_collision(1), code.derive_after_collision(2));
        assert_ne!(code.derive_after_collision(1), code);
    }
}
