//! The snapshot format: a version byte, then the state's entries as records in ascending key
//! order (`u32` key length, key, `u32` value length, value, big-endian lengths), then an end
//! marker, the record count and a SHA-256 of every byte before it. It is written and read one
//! record at a time, so neither side ever holds more than one record and one chunk.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::keyspace;
use crate::storage::{BackendError, KeyValue};

/// First byte of every snapshot; a node refuses a snapshot of another format.
pub const SNAPSHOT_FORMAT_VERSION: u8 = 3;

/// Where a key length would be: no key is this long, so it ends the records.
const END_OF_RECORDS: u32 = u32::MAX;

/// Far above any stored key or value: a length past it is damage, not data, and is refused
/// before anything that size is allocated.
const RECORD_PART_BYTES_MAX: u32 = 64 * 1024 * 1024;

pub struct RecordEncoder<W: Write> {
    out: W,
    hasher: Sha256,
    records: u64,
}

impl<W: Write> RecordEncoder<W> {
    pub fn new(out: W) -> Result<Self> {
        let mut encoder = Self { out, hasher: Sha256::new(), records: 0 };
        encoder.write_hashed(&[SNAPSHOT_FORMAT_VERSION])?;
        Ok(encoder)
    }

    /// Appends one entry; entries come in strictly ascending key order.
    pub fn record(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write_hashed(&part_length(key)?.to_be_bytes())?;
        self.write_hashed(key)?;
        self.write_hashed(&part_length(value)?.to_be_bytes())?;
        self.write_hashed(value)?;
        self.records += 1;
        Ok(())
    }

    /// Ends the records and gives back the output.
    pub fn finish(mut self) -> Result<W> {
        self.write_hashed(&END_OF_RECORDS.to_be_bytes())?;
        self.write_hashed(&self.records.to_be_bytes())?;
        let digest: [u8; 32] = self.hasher.finalize_reset().into();
        self.out.write_all(&digest).map_err(BackendError::from)?;
        Ok(self.out)
    }

    fn write_hashed(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes).map_err(BackendError::from)?;
        Ok(())
    }
}

fn part_length(part: &[u8]) -> Result<u32> {
    u32::try_from(part.len())
        .ok()
        .filter(|&length| length <= RECORD_PART_BYTES_MAX)
        .ok_or(StoreError::Snapshot("a stored key or value is larger than a snapshot record holds"))
}

/// Reads the records back, checking as it goes what the writer promised: the version, key order,
/// keys of the state proper only, and at the end the count and the digest. A damaged or cut
/// snapshot is an error, at the latest at its last record.
pub struct RecordDecoder<R: Read> {
    input: R,
    hasher: Sha256,
    records: u64,
    last_key: Option<Vec<u8>>,
    ended: bool,
}

impl<R: Read> RecordDecoder<R> {
    pub fn new(input: R) -> Result<Self> {
        let mut decoder =
            Self { input, hasher: Sha256::new(), records: 0, last_key: None, ended: false };
        let [version] = decoder.read_hashed::<1>()?;
        if version != SNAPSHOT_FORMAT_VERSION {
            return Err(StoreError::Snapshot("unknown snapshot format version"));
        }
        Ok(decoder)
    }

    /// The next entry, or `None` after the last one once the end checks out.
    pub fn next_record(&mut self) -> Result<Option<KeyValue>> {
        if self.ended {
            return Ok(None);
        }
        let key_length = u32::from_be_bytes(self.read_hashed()?);
        if key_length == END_OF_RECORDS {
            self.check_end()?;
            return Ok(None);
        }
        let key = self.read_part(key_length)?;
        let value_length = u32::from_be_bytes(self.read_hashed()?);
        let value = self.read_part(value_length)?;
        if !key.first().is_some_and(|prefix| keyspace::STATE_PREFIXES.contains(prefix)) {
            return Err(StoreError::Snapshot("a snapshot record outside the state's key spaces"));
        }
        if self.last_key.as_ref().is_some_and(|last| *last >= key) {
            return Err(StoreError::Snapshot("snapshot records out of key order"));
        }
        self.last_key = Some(key.clone());
        self.records += 1;
        Ok(Some((key, value)))
    }

    fn check_end(&mut self) -> Result<()> {
        let records = u64::from_be_bytes(self.read_hashed()?);
        let expected: [u8; 32] = self.hasher.finalize_reset().into();
        let mut digest = [0; 32];
        read_exact(&mut self.input, &mut digest)?;
        if records != self.records {
            return Err(StoreError::Snapshot("a snapshot's record count does not match"));
        }
        if digest != expected {
            return Err(StoreError::Snapshot("a snapshot's digest does not match its data"));
        }
        if self.input.read(&mut [0]).map_err(BackendError::from)? != 0 {
            return Err(StoreError::Snapshot("bytes after a snapshot's end"));
        }
        self.ended = true;
        Ok(())
    }

    fn read_part(&mut self, length: u32) -> Result<Vec<u8>> {
        if length > RECORD_PART_BYTES_MAX {
            return Err(StoreError::Snapshot("a snapshot record longer than any stored entry"));
        }
        let mut part = vec![0; length as usize];
        read_exact(&mut self.input, &mut part)?;
        self.hasher.update(&part);
        Ok(part)
    }

    fn read_hashed<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut bytes = [0; N];
        read_exact(&mut self.input, &mut bytes)?;
        self.hasher.update(bytes);
        Ok(bytes)
    }
}

fn read_exact(input: &mut impl Read, into: &mut [u8]) -> Result<()> {
    input.read_exact(into).map_err(|error| match error.kind() {
        std::io::ErrorKind::UnexpectedEof => StoreError::Snapshot("a snapshot cut short"),
        _ => BackendError::from(error).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(records: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut encoder = RecordEncoder::new(Vec::new()).unwrap();
        for (key, value) in records {
            encoder.record(key, value).unwrap();
        }
        encoder.finish().unwrap()
    }

    fn decoded(data: &[u8]) -> Result<Vec<KeyValue>> {
        let mut decoder = RecordDecoder::new(data)?;
        let mut records = Vec::new();
        while let Some(record) = decoder.next_record()? {
            records.push(record);
        }
        Ok(records)
    }

    #[test]
    fn records_come_back_as_written() {
        let data = encoded(&[(b"\x01a", b"1"), (b"\x02b", b""), (b"\x3Fz", b"value")]);
        let records = decoded(&data).unwrap();
        assert_eq!(
            records,
            vec![
                (b"\x01a".to_vec(), b"1".to_vec()),
                (b"\x02b".to_vec(), Vec::new()),
                (b"\x3Fz".to_vec(), b"value".to_vec()),
            ]
        );
        assert_eq!(decoded(&encoded(&[])).unwrap(), Vec::new());
    }

    #[test]
    fn any_changed_byte_or_cut_is_refused() {
        let data = encoded(&[(b"\x01a", b"one"), (b"\x02b", b"two")]);
        for at in 0..data.len() {
            let mut damaged = data.clone();
            damaged[at] ^= 0x20;
            assert!(decoded(&damaged).is_err(), "a changed byte {at} was taken");
            assert!(decoded(&data[..at]).is_err(), "a snapshot cut at {at} was taken");
        }
        let mut longer = data.clone();
        longer.push(0);
        assert!(decoded(&longer).is_err());
    }

    #[test]
    fn records_out_of_order_or_outside_the_state_are_refused() {
        assert!(decoded(&encoded(&[(b"\x02b", b""), (b"\x01a", b"")])).is_err());
        assert!(decoded(&encoded(&[(b"\x01a", b""), (b"\x01a", b"")])).is_err());
        assert!(decoded(&encoded(&[(b"\x40s", b"")])).is_err());
        assert!(decoded(&encoded(&[(b"", b"")])).is_err());
    }
}
