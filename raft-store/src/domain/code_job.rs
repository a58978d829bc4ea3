//! `CodeJob`: codes for a campaign generated on the server, in bounded chunks. The proposing node
//! draws the job's seed into the log; apply derives every code from the seed and the code's index
//! alone, so every replica makes the same codes without any code travelling through the log.
//!
//! A generated code is the job's prefix, then `length - 1` characters of Crockford's base-32
//! alphabet, then a check character over those (a weighted sum modulo 31, a prime, so a single
//! mistyped character or two swapped neighbours always change it). A code of a job's shape whose
//! check character is wrong was mistyped, not merely unknown.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CampaignId, CouponCode, Invalid, JobId, Timestamp, CROCKFORD_ALPHABET};
use crate::limits::{CODE_JOB_LENGTH_MAX, CODE_JOB_LENGTH_MIN, CODE_LENGTH_MAX};

/// What a job is asked to make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePattern {
    /// Canonical code characters (`A-Z 0-9 - _`), possibly empty.
    pub prefix: String,
    /// Characters after the prefix, the check character included.
    pub length: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeJob {
    pub id: JobId,
    pub campaign_id: CampaignId,
    pub seed: [u8; 16],
    pub pattern: CodePattern,
    pub requested: u32,
    /// Codes made so far: indexes `0..created` of the seed's sequence are done.
    pub created: u32,
    pub state: JobState,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    Running,
    Done,
    /// A code could not be drawn free within the attempts allowed (the pattern filled up with
    /// codes imported since the job was admitted); the codes made so far stay.
    Failed,
}

impl CodePattern {
    /// A prefix of code characters and a length from `CODE_JOB_LENGTH_MIN` to
    /// `CODE_JOB_LENGTH_MAX`, together at most a code's longest.
    pub fn check(&self) -> Result<(), Invalid> {
        let allowed =
            |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !self.prefix.chars().all(allowed) {
            return Err(Invalid::CodeCharacters);
        }
        let length = usize::from(self.length);
        if !(CODE_JOB_LENGTH_MIN..=CODE_JOB_LENGTH_MAX).contains(&length)
            || self.prefix.len() + length > CODE_LENGTH_MAX
        {
            let max = CODE_JOB_LENGTH_MAX.min(CODE_LENGTH_MAX.saturating_sub(self.prefix.len()));
            return Err(Invalid::Length { min: CODE_JOB_LENGTH_MIN, max });
        }
        Ok(())
    }

    /// How many distinct codes the pattern holds: 32 to the power of its random characters.
    pub fn capacity(&self) -> u128 {
        32u128.saturating_pow(u32::from(self.length) - 1)
    }

    /// The code of index `index`, attempt `attempt` (a further attempt follows a collision).
    pub fn derive(&self, seed: &[u8; 16], index: u32, attempt: u32) -> CouponCode {
        let digest = Sha256::new()
            .chain_update(seed)
            .chain_update(index.to_be_bytes())
            .chain_update(attempt.to_be_bytes())
            .finalize();
        // At most `CODE_JOB_LENGTH_MAX - 1` random characters: one digest byte each.
        let random = usize::from(self.length) - 1;
        let body: Vec<u8> = digest[..random]
            .iter()
            .map(|byte| CROCKFORD_ALPHABET[usize::from(byte % 32)])
            .collect();
        let mut code = self.prefix.clone();
        code.extend(body.iter().map(|&c| char::from(c)));
        code.push(char::from(check_character(&body)));
        CouponCode::from_generated(code)
    }

    /// Whether `code` has this pattern's shape (its prefix and length) but a wrong check
    /// character: a mistyped code of this pattern.
    pub fn is_mistyped(&self, code: &CouponCode) -> bool {
        let Some(rest) = code.as_str().strip_prefix(self.prefix.as_str()) else { return false };
        let rest = rest.as_bytes();
        if rest.len() != usize::from(self.length) {
            return false;
        }
        let (body, check) = rest.split_at(rest.len() - 1);
        body.iter().all(|c| CROCKFORD_ALPHABET.contains(c)) && check_character(body) != check[0]
    }
}

/// The check character of `body` (Crockford characters): the sum of each character's value
/// times its position's weight (1 to 30, repeating), modulo 31, as a Crockford character.
fn check_character(body: &[u8]) -> u8 {
    let value = |c: u8| CROCKFORD_ALPHABET.iter().position(|&a| a == c).unwrap_or(0);
    let sum: usize =
        body.iter().enumerate().map(|(position, &c)| (position % 30 + 1) * value(c)).sum();
    CROCKFORD_ALPHABET[sum % 31]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern() -> CodePattern {
        CodePattern { prefix: "XMAS-".to_owned(), length: 10 }
    }

    #[test]
    fn codes_derive_from_the_seed_and_index_alone() {
        let seed = [7u8; 16];
        let code = pattern().derive(&seed, 3, 0);
        assert_eq!(code, pattern().derive(&seed, 3, 0));
        assert_ne!(code, pattern().derive(&seed, 4, 0));
        assert_ne!(code, pattern().derive(&seed, 3, 1));
        assert_eq!(code.as_str().len(), 15);
        assert!(code.as_str().starts_with("XMAS-"));
        assert_eq!(code.check(), Ok(()));
        assert!(!pattern().is_mistyped(&code));
    }

    #[test]
    fn a_mistyped_character_or_swapped_neighbours_are_told_apart() {
        let seed = [1u8; 16];
        for index in 0..200 {
            let code = pattern().derive(&seed, index, 0);
            let bytes = code.as_str().as_bytes().to_vec();
            for position in 5..bytes.len() {
                for &other in CROCKFORD_ALPHABET {
                    if other == bytes[position] {
                        continue;
                    }
                    let mut typo = bytes.clone();
                    typo[position] = other;
                    let typo = CouponCode::parse(std::str::from_utf8(&typo).unwrap()).unwrap();
                    // 0 and Z (values 0 and 31) weigh the same modulo 31: the one blind pair.
                    let blind = matches!((other, bytes[position]), (b'0', b'Z') | (b'Z', b'0'));
                    assert!(blind || pattern().is_mistyped(&typo), "{code} -> {typo}");
                }
            }
            let mut swapped = bytes.clone();
            swapped.swap(6, 7);
            if swapped != bytes {
                let swapped = CouponCode::parse(std::str::from_utf8(&swapped).unwrap()).unwrap();
                let blind = matches!((bytes[6], bytes[7]), (b'0', b'Z') | (b'Z', b'0'));
                assert!(blind || pattern().is_mistyped(&swapped), "{code} swapped");
            }
        }
    }

    #[test]
    fn a_pattern_is_bounded() {
        assert_eq!(pattern().check(), Ok(()));
        assert_eq!(pattern().capacity(), 32u128.pow(9));
        let short = CodePattern { length: 3, ..pattern() };
        assert!(short.check().is_err());
        let lower = CodePattern { prefix: "x-".to_owned(), ..pattern() };
        assert_eq!(lower.check(), Err(Invalid::CodeCharacters));
        let long = CodePattern { prefix: "P".repeat(60), length: 10 };
        assert!(long.check().is_err());
    }
}
