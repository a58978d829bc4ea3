//! The on-disk frame of the file log: one frame per flush, written with one `write` and made
//! durable with one `fdatasync` before the next frame is written.
//!
//! ```text
//! frame   = magic u32 | payload_len u32 | crc32(payload_len ++ payload) u32 | payload
//! payload = op*
//! op      = 1 | key_len u32 | key | value_len u32 | value      (put)
//!         | 2 | key_len u32 | key                              (delete)
//!         | 3 | from_len u32 | from | to_len u32 | to          (delete every key in [from, to))
//! ```
//! Integers are little-endian. The checksum covers the length too, so a torn length is caught.

use crate::limits::LOG_FRAME_BYTES_MAX;
use crate::storage::WriteOp;

/// Marks the start of a frame; a zeroed or stale region never starts with it by chance alone.
const FRAME_MAGIC: u32 = 0x434c_4f47;
pub const FRAME_HEADER_BYTES: usize = 12;

const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
const OP_DELETE_RANGE: u8 = 3;

/// Where a put's value sits inside a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueSpan {
    pub offset: usize,
    pub len: usize,
}

/// One decoded op, borrowing from the payload; a put also says where its value is.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodedOp<'a> {
    Put { key: &'a [u8], value: ValueSpan },
    Delete { key: &'a [u8] },
    DeleteRange { from: &'a [u8], to: &'a [u8] },
}

/// Appends `op` to `payload`; for a put, returns where its value landed.
pub fn encode_op(payload: &mut Vec<u8>, op: &WriteOp) -> Option<ValueSpan> {
    match op {
        WriteOp::Put { key, value } => {
            payload.push(OP_PUT);
            push_bytes(payload, key);
            push_len(payload, value.len());
            let span = ValueSpan { offset: payload.len(), len: value.len() };
            payload.extend_from_slice(value);
            Some(span)
        }
        WriteOp::Delete { key } => {
            payload.push(OP_DELETE);
            push_bytes(payload, key);
            None
        }
        WriteOp::DeleteRange { from, to } => {
            payload.push(OP_DELETE_RANGE);
            push_bytes(payload, from);
            push_bytes(payload, to);
            None
        }
    }
}

fn push_len(payload: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).expect("a key or value fits a frame, and a frame is < 4 GiB");
    payload.extend_from_slice(&len.to_le_bytes());
}

fn push_bytes(payload: &mut Vec<u8>, bytes: &[u8]) {
    push_len(payload, bytes.len());
    payload.extend_from_slice(bytes);
}

fn checksum(len: &[u8; 4], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len);
    hasher.update(payload);
    hasher.finalize()
}

/// The header that precedes `payload` on disk.
pub fn header(payload: &[u8]) -> [u8; FRAME_HEADER_BYTES] {
    assert!(payload.len() <= LOG_FRAME_BYTES_MAX, "a frame never exceeds its bound");
    let len = u32::try_from(payload.len()).expect("LOG_FRAME_BYTES_MAX < 4 GiB").to_le_bytes();
    let mut header = [0u8; FRAME_HEADER_BYTES];
    header[0..4].copy_from_slice(&FRAME_MAGIC.to_le_bytes());
    header[4..8].copy_from_slice(&len);
    header[8..12].copy_from_slice(&checksum(&len, payload).to_le_bytes());
    header
}

/// The payload of the frame at the start of `bytes`, if a whole, intact frame is there.
pub fn read_frame(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..FRAME_HEADER_BYTES)?;
    let magic = u32::from_le_bytes(header[0..4].try_into().ok()?);
    let len: [u8; 4] = header[4..8].try_into().ok()?;
    let crc = u32::from_le_bytes(header[8..12].try_into().ok()?);
    let payload_len = u32::from_le_bytes(len) as usize;
    if magic != FRAME_MAGIC || payload_len > LOG_FRAME_BYTES_MAX {
        return None;
    }
    let payload = bytes.get(FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + payload_len)?;
    (checksum(&len, payload) == crc).then_some(payload)
}

/// Decodes every op of an intact payload; `None` if it is malformed (it passed its checksum, so
/// that means a writer of another format, never a torn write).
pub fn decode_ops(payload: &[u8]) -> Option<Vec<DecodedOp<'_>>> {
    let mut reader = Reader { payload, at: 0 };
    let mut ops = Vec::new();
    while reader.at < payload.len() {
        let op = match reader.byte()? {
            OP_PUT => {
                let key = reader.bytes()?;
                let len = reader.len()?;
                let value = ValueSpan { offset: reader.at, len };
                reader.skip(len)?;
                DecodedOp::Put { key, value }
            }
            OP_DELETE => DecodedOp::Delete { key: reader.bytes()? },
            OP_DELETE_RANGE => {
                DecodedOp::DeleteRange { from: reader.bytes()?, to: reader.bytes()? }
            }
            _ => return None,
        };
        ops.push(op);
    }
    Some(ops)
}

struct Reader<'a> {
    payload: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn skip(&mut self, len: usize) -> Option<&'a [u8]> {
        let bytes = self.payload.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(bytes)
    }

    fn byte(&mut self) -> Option<u8> {
        self.skip(1).map(|bytes| bytes[0])
    }

    fn len(&mut self) -> Option<usize> {
        let bytes = self.skip(4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?) as usize)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.len()?;
        self.skip(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ops: &[WriteOp]) -> Vec<u8> {
        let mut payload = Vec::new();
        for op in ops {
            encode_op(&mut payload, op);
        }
        let mut frame = header(&payload).to_vec();
        frame.extend_from_slice(&payload);
        frame
    }

    fn sample() -> Vec<WriteOp> {
        vec![
            WriteOp::Put { key: b"k1".to_vec(), value: b"value one".to_vec() },
            WriteOp::Delete { key: b"k0".to_vec() },
            WriteOp::DeleteRange { from: b"a".to_vec(), to: b"b".to_vec() },
            WriteOp::Put { key: b"k2".to_vec(), value: Vec::new() },
        ]
    }

    #[test]
    fn a_frame_round_trips_its_ops_and_value_spans() {
        let bytes = frame(&sample());
        let payload = read_frame(&bytes).expect("intact");
        let ops = decode_ops(payload).expect("well formed");
        assert_eq!(ops.len(), 4);
        let DecodedOp::Put { key, value } = &ops[0] else { panic!("put first") };
        assert_eq!(*key, b"k1");
        assert_eq!(&payload[value.offset..value.offset + value.len], b"value one");
        assert_eq!(ops[1], DecodedOp::Delete { key: b"k0" });
        assert_eq!(ops[2], DecodedOp::DeleteRange { from: b"a", to: b"b" });
        assert!(matches!(ops[3], DecodedOp::Put { key: b"k2", value: ValueSpan { len: 0, .. } }));
    }

    #[test]
    fn every_torn_prefix_and_every_flipped_byte_is_refused() {
        let bytes = frame(&sample());
        for cut in 0..bytes.len() {
            assert!(read_frame(&bytes[..cut]).is_none(), "a frame cut at {cut} is not intact");
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert!(read_frame(&flipped).is_none(), "a flip at byte {at} is caught");
        }
        assert!(read_frame(&vec![0u8; bytes.len()]).is_none(), "zeroes are no frame");
    }

    #[test]
    fn a_payload_with_an_unknown_op_or_a_short_field_is_malformed() {
        assert!(decode_ops(&[9]).is_none());
        assert!(decode_ops(&[OP_DELETE, 5, 0, 0, 0, b'a']).is_none());
        assert_eq!(decode_ops(&[]).map(|ops| ops.len()), Some(0));
    }
}
