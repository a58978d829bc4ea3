//! The identity challenge a leader sends to a node before it names that node a member: "which
//! node are you, where does it run, and do you hold the cluster secret?", answered without the
//! secret crossing the wire in either direction. The answer is the node's id, its region and,
//! when a cluster secret is configured, `HMAC-SHA256(secret, nonce || node_id || len || region)`
//! (node id big-endian, the region's length as one byte, 0 for none); the challenge itself
//! carries no secret header, so naming a hostile address reveals nothing to it.

use hmac::{Hmac, Mac};
use raft_store::{NodeId, Region};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Bytes of a challenge's nonce: drawn fresh for every challenge, so an answer cannot be replayed.
pub const NONCE_BYTES: usize = 32;

/// The body of `POST /peer/identity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityChallenge {
    pub nonce: [u8; NONCE_BYTES],
}

/// A node's answer: who it is, the region it is configured with, and its proof of the secret
/// (none when it has no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityAnswer {
    pub node_id: NodeId,
    pub region: Option<Region>,
    pub proof: Option<Vec<u8>>,
}

/// Why an answer does not prove that it comes from the expected node of this cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum IdentityMismatch {
    #[error("it answered as node {0}")]
    OtherNode(NodeId),
    #[error("it gave no proof of the cluster secret")]
    NoProof,
    #[error("its proof of the cluster secret is wrong")]
    WrongProof,
    #[error("it has a cluster secret and this node has none")]
    UnexpectedProof,
}

fn mac(
    secret: &str,
    nonce: &[u8; NONCE_BYTES],
    node_id: NodeId,
    region: Option<&Region>,
) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 takes a key of any length");
    mac.update(nonce);
    mac.update(&node_id.to_be_bytes());
    let region = region.map_or("", Region::as_str);
    let length = u8::try_from(region.len()).expect("a region is at most 32 bytes");
    mac.update(&[length]);
    mac.update(region.as_bytes());
    mac
}

/// The answer of node `node_id` in `region` holding `secret` to `challenge`.
pub fn answer(
    secret: Option<&str>,
    node_id: NodeId,
    region: Option<&Region>,
    challenge: &IdentityChallenge,
) -> IdentityAnswer {
    let proof = secret.map(|secret| {
        mac(secret, &challenge.nonce, node_id, region).finalize().into_bytes().to_vec()
    });
    IdentityAnswer { node_id, region: region.cloned(), proof }
}

/// Checks that `answer` to `challenge` comes from node `expected` holding `secret` (compared in
/// constant time).
pub fn verify(
    secret: Option<&str>,
    expected: NodeId,
    challenge: &IdentityChallenge,
    answer: &IdentityAnswer,
) -> Result<(), IdentityMismatch> {
    if answer.node_id != expected {
        return Err(IdentityMismatch::OtherNode(answer.node_id));
    }
    match (secret, &answer.proof) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(IdentityMismatch::UnexpectedProof),
        (Some(_), None) => Err(IdentityMismatch::NoProof),
        (Some(secret), Some(proof)) => {
            mac(secret, &challenge.nonce, expected, answer.region.as_ref())
                .verify_slice(proof)
                .map_err(|_| IdentityMismatch::WrongProof)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: IdentityChallenge = IdentityChallenge { nonce: [7; NONCE_BYTES] };

    #[test]
    fn the_right_node_with_the_right_secret_passes() {
        let answer = answer(Some("s3cret"), 4, None, &CHALLENGE);
        assert_eq!(verify(Some("s3cret"), 4, &CHALLENGE, &answer), Ok(()));
        let open = super::answer(None, 4, None, &CHALLENGE);
        assert_eq!(open.proof, None);
        assert_eq!(verify(None, 4, &CHALLENGE, &open), Ok(()));
    }

    #[test]
    fn another_id_another_secret_another_nonce_or_no_proof_fail() {
        let answer = answer(Some("s3cret"), 4, None, &CHALLENGE);
        assert_eq!(
            verify(Some("s3cret"), 5, &CHALLENGE, &answer),
            Err(IdentityMismatch::OtherNode(4))
        );
        assert_eq!(
            verify(Some("other"), 4, &CHALLENGE, &answer),
            Err(IdentityMismatch::WrongProof)
        );
        let fresh = IdentityChallenge { nonce: [8; NONCE_BYTES] };
        assert_eq!(verify(Some("s3cret"), 4, &fresh, &answer), Err(IdentityMismatch::WrongProof));
        let open = super::answer(None, 4, None, &CHALLENGE);
        assert_eq!(verify(Some("s3cret"), 4, &CHALLENGE, &open), Err(IdentityMismatch::NoProof));
        assert_eq!(verify(None, 4, &CHALLENGE, &answer), Err(IdentityMismatch::UnexpectedProof));
    }

    #[test]
    fn the_proof_binds_the_node_id() {
        // A node cannot lend its proof to another id: the id is part of what is signed.
        let mut answer = answer(Some("s3cret"), 4, None, &CHALLENGE);
        answer.node_id = 5;
        assert_eq!(
            verify(Some("s3cret"), 5, &CHALLENGE, &answer),
            Err(IdentityMismatch::WrongProof)
        );
    }

    #[test]
    fn the_proof_binds_the_region() {
        // On the path between two nodes, nothing without the secret can change where a node
        // says it runs.
        let eu = Region::new("eu").unwrap();
        let mut answer = answer(Some("s3cret"), 4, Some(&eu), &CHALLENGE);
        assert_eq!(verify(Some("s3cret"), 4, &CHALLENGE, &answer), Ok(()));
        answer.region = Some(Region::new("us").unwrap());
        assert_eq!(
            verify(Some("s3cret"), 4, &CHALLENGE, &answer),
            Err(IdentityMismatch::WrongProof)
        );
        answer.region = None;
        assert_eq!(
            verify(Some("s3cret"), 4, &CHALLENGE, &answer),
            Err(IdentityMismatch::WrongProof)
        );
    }

    #[test]
    fn the_secret_never_appears_in_an_answer() {
        let secret = "s3cret-that-must-not-leak";
        let bytes = crate::peer::codec::encode(&answer(Some(secret), 4, None, &CHALLENGE)).unwrap();
        assert!(!bytes.windows(secret.len()).any(|window| window == secret.as_bytes()));
    }
}
