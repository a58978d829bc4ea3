//! `Region`: the name of the place a node runs in (a data centre, a cloud region), as an operator
//! gives it with `--region`. The membership records each node's region, so every node knows where
//! the others are, and a preferred leader region can be honoured.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest region name: enough for every cloud's region names (`ap-southeast-2`,
/// `europe-west1`), short enough to sit in every membership entry.
pub const REGION_CHARS_MAX: usize = 32;

/// A region name: 1 to `REGION_CHARS_MAX` characters of `a-z`, `0-9` and `-`, so names compare
/// as operators expect (`eu` and `EU` are not two regions: the upper-case one is refused).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Region(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a region is 1 to {REGION_CHARS_MAX} characters of a-z, 0-9 and '-': {0:?}")]
pub struct InvalidRegion(pub String);

impl Region {
    pub fn new(name: &str) -> Result<Self, InvalidRegion> {
        let valid = (1..=REGION_CHARS_MAX).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidRegion(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Region {
    type Err = InvalidRegion;

    fn from_str(name: &str) -> Result<Self, InvalidRegion> {
        Self::new(name)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decoding checks the name too: a region from a peer or a stored entry is held to the rule.
impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Region::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_lower_case_letters_digits_and_dashes() {
        for good in ["eu", "us-east-1", "ap-southeast-2", &"a".repeat(REGION_CHARS_MAX)] {
            assert_eq!(Region::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "EU", "eu west", "eu_west", "é", &"a".repeat(REGION_CHARS_MAX + 1)] {
            assert_eq!(Region::new(bad), Err(InvalidRegion(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn decoding_holds_a_region_to_the_rule() {
        assert_eq!(serde_json::from_str::<Region>("\"us\"").unwrap().as_str(), "us");
        assert!(serde_json::from_str::<Region>("\"US\"").is_err());
    }
}
