//! API keys: who may call the public API, and in which role. The state keeps a key's SHA-256
//! digest, never its secret; a presented secret is hashed and looked up by digest. Secrets are
//! drawn with at least 200 bits of entropy (or chosen by the operator for the bootstrap key), so a
//! fast hash is the right one: there is nothing for a slow one to stretch.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Invalid, Timestamp};
use crate::limits::{KEY_ID_RANDOM_CHARS, KEY_LABEL_CHARS_MAX};

/// What a key may do. `admin`: everything; `storefront`: validate, redeem and holds;
/// `readonly`: every read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Storefront,
    Readonly,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Storefront, Role::Readonly];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Storefront => "storefront",
            Role::Readonly => "readonly",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == raw)
    }
}

/// `key_` and lower-case letters and digits; `key_admin` is the bootstrap key's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(String);

impl KeyId {
    pub const PREFIX: &'static str = "key_";

    /// The id of the admin key the cluster is initialised with.
    pub fn bootstrap() -> Self {
        Self("key_admin".to_owned())
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        check_key_id(raw).map(|()| Self(raw.to_owned()))
    }

    /// An id from elsewhere (a decoded command) within the same bounds as `parse`.
    pub fn check(&self) -> Result<(), Invalid> {
        check_key_id(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_key_id(raw: &str) -> Result<(), Invalid> {
    let rest = raw.strip_prefix(KeyId::PREFIX).ok_or(Invalid::KeyId)?;
    let well_formed = (1..=KEY_ID_RANDOM_CHARS).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if well_formed {
        Ok(())
    } else {
        Err(Invalid::KeyId)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 digest of a key's secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyDigest(pub [u8; 32]);

impl KeyDigest {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Compares in constant time, so how long a comparison takes says nothing of the digest.
    pub fn matches(&self, other: &KeyDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyDigest {
    /// A digest is not secret, but a prefix is all a log line needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyDigest({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// A key's label: free text for the operator, printable, at most `KEY_LABEL_CHARS_MAX`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLabel(String);

impl KeyLabel {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        check_label(raw).map(|()| Self(raw.to_owned()))
    }

    /// A label from elsewhere (a decoded command) within the same bounds as `parse`.
    pub fn check(&self) -> Result<(), Invalid> {
        check_label(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_label(raw: &str) -> Result<(), Invalid> {
    if raw.chars().count() > KEY_LABEL_CHARS_MAX {
        return Err(Invalid::Length { min: 0, max: KEY_LABEL_CHARS_MAX });
    }
    if raw.chars().any(char::is_control) {
        return Err(Invalid::ControlCharacters);
    }
    Ok(())
}

/// A key as the state keeps it. A revoked key stays listed, with the time of its revocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: KeyId,
    pub role: Role,
    pub label: KeyLabel,
    pub digest: KeyDigest,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_prefixed_lower_case_and_bounded() {
        assert!(KeyId::parse("key_0a9z").is_ok());
        assert_eq!(KeyId::parse(KeyId::bootstrap().as_str()), Ok(KeyId::bootstrap()));
        for bad in ["key_", "key_ABC", "kei_abc", "key_a-b", &format!("key_{}", "a".repeat(17))] {
            assert_eq!(KeyId::parse(bad), Err(Invalid::KeyId), "{bad}");
        }
    }

    #[test]
    fn a_digest_matches_only_its_own_secret() {
        let digest = KeyDigest::of("cpk_secret");
        assert!(digest.matches(&KeyDigest::of("cpk_secret")));
        assert!(!digest.matches(&KeyDigest::of("cpk_secreT")));
    }

    #[test]
    fn labels_are_bounded_printable_text() {
        assert!(KeyLabel::parse("").is_ok());
        assert!(KeyLabel::parse(&"é".repeat(KEY_LABEL_CHARS_MAX)).is_ok());
        assert!(KeyLabel::parse(&"x".repeat(KEY_LABEL_CHARS_MAX + 1)).is_err());
        assert_eq!(KeyLabel::parse("a\tb"), Err(Invalid::ControlCharacters));
    }

    #[test]
    fn roles_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
