//! The one bincode configuration both ends of a peer call use, with a size limit so that a
//! malformed length prefix cannot make a node allocate without bound.

use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::limits::PEER_BODY_BYTES_MAX;

fn options() -> impl Options {
    bincode::DefaultOptions::new().with_fixint_encoding().with_limit(PEER_BODY_BYTES_MAX as u64)
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, bincode::Error> {
    options().serialize(value)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, bincode::Error> {
    options().deserialize(bytes)
}
