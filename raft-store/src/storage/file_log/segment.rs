//! One segment file of the file log, `<seq as 16 hex digits>.log`: a header, then frames.
//!
//! Recovery reads a segment front to back. Every segment but the newest was synced before the
//! next one was created, so damage there is corruption. In the newest, the log writes one frame
//! and syncs it before it writes the next, so only its last frame can be torn by a power cut: a
//! damaged frame with nothing intact after it is a torn tail (cut off and forgotten: it was never
//! acknowledged), while a damaged frame followed by an intact one was synced and then lost, and
//! the node refuses to start on it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::frame::{read_frame, FRAME_HEADER_BYTES};
use crate::storage::device_sync::{sync_data, sync_dir};

/// First bytes of every segment: the format and its version.
pub const SEGMENT_HEADER: &[u8; 8] = b"CPNLOG01";
const SEGMENT_SUFFIX: &str = ".log";

pub fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016x}{SEGMENT_SUFFIX}"))
}

/// The sequence numbers of the segments in `dir`, oldest first.
pub fn list(dir: &Path) -> io::Result<Vec<u64>> {
    let mut seqs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(stem) = name.to_str().and_then(|name| name.strip_suffix(SEGMENT_SUFFIX)) else {
            continue;
        };
        if let Ok(seq) = u64::from_str_radix(stem, 16) {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// Creates segment `seq` with its header, durably (file and directory entry), before any frame
/// goes into it.
pub fn create(dir: &Path, seq: u64) -> io::Result<File> {
    let file =
        OpenOptions::new().read(true).write(true).create_new(true).open(segment_path(dir, seq))?;
    file.write_all_at(SEGMENT_HEADER, 0)?;
    sync_data(&file)?;
    sync_dir(dir)?;
    Ok(file)
}

pub fn open(dir: &Path, seq: u64) -> io::Result<(File, Vec<u8>)> {
    let mut file = OpenOptions::new().read(true).write(true).open(segment_path(dir, seq))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok((file, bytes))
}

/// How a segment's bytes end.
#[derive(Debug, PartialEq, Eq)]
pub enum SegmentEnd {
    /// Every byte belongs to an intact frame.
    Clean,
    /// The bytes from `at` on are a torn write (or a torn header, when `at` is 0).
    TornTail { at: u64 },
}

/// Why a segment cannot be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    UnknownHeader,
    ShortSealedSegment,
    DamagedSealedFrame,
    DamagedFrameBeforeIntactOne,
    MalformedPayload,
}

impl Damage {
    pub fn describe(self) -> &'static str {
        match self {
            Damage::UnknownHeader => "not a coupon log segment, or a format of another version",
            Damage::ShortSealedSegment => "a sealed segment is shorter than its header",
            Damage::DamagedSealedFrame => "a damaged frame in a segment that had been synced whole",
            Damage::DamagedFrameBeforeIntactOne => {
                "a damaged frame followed by intact frames: synced data was lost"
            }
            Damage::MalformedPayload => "an intact frame whose ops do not decode",
        }
    }
}

/// Walks the frames of one segment's `bytes`, handing each payload and its file offset to
/// `each` (which answers whether the payload decoded); `newest` says whether this is the segment
/// that was being written.
pub fn scan(
    bytes: &[u8],
    newest: bool,
    mut each: impl FnMut(u64, &[u8]) -> bool,
) -> Result<SegmentEnd, (Damage, u64)> {
    if bytes.len() < SEGMENT_HEADER.len() {
        return if newest {
            Ok(SegmentEnd::TornTail { at: 0 })
        } else {
            Err((Damage::ShortSealedSegment, 0))
        };
    }
    if &bytes[..SEGMENT_HEADER.len()] != SEGMENT_HEADER {
        return Err((Damage::UnknownHeader, 0));
    }
    let mut at = SEGMENT_HEADER.len();
    while let Some(payload) = bytes.get(at..).and_then(read_frame) {
        if !each((at + FRAME_HEADER_BYTES) as u64, payload) {
            return Err((Damage::MalformedPayload, at as u64));
        }
        at += FRAME_HEADER_BYTES + payload.len();
    }
    if at == bytes.len() {
        Ok(SegmentEnd::Clean)
    } else if !newest {
        Err((Damage::DamagedSealedFrame, at as u64))
    } else if intact_frame_after(bytes, at) {
        Err((Damage::DamagedFrameBeforeIntactOne, at as u64))
    } else {
        Ok(SegmentEnd::TornTail { at: at as u64 })
    }
}

/// Whether an intact frame starts anywhere past the damaged one at `at`.
fn intact_frame_after(bytes: &[u8], at: usize) -> bool {
    (at + 1..bytes.len()).any(|start| read_frame(&bytes[start..]).is_some())
}

/// Cuts a torn tail off, durably, so the next frame is written where the intact ones end; a torn
/// header is written anew.
pub fn cut_torn_tail(file: &File, at: u64) -> io::Result<u64> {
    file.set_len(at)?;
    let len = if at == 0 {
        file.write_all_at(SEGMENT_HEADER, 0)?;
        SEGMENT_HEADER.len() as u64
    } else {
        at
    };
    sync_data(file)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::super::frame::{encode_op, header};
    use super::*;
    use crate::storage::WriteOp;

    fn frame(value: &[u8]) -> Vec<u8> {
        let mut payload = Vec::new();
        encode_op(&mut payload, &WriteOp::Put { key: b"k".to_vec(), value: value.to_vec() });
        let mut bytes = header(&payload).to_vec();
        bytes.extend_from_slice(&payload);
        bytes
    }

    fn segment(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = SEGMENT_HEADER.to_vec();
        for frame in frames {
            bytes.extend_from_slice(frame);
        }
        bytes
    }

    fn frames_seen(bytes: &[u8], newest: bool) -> (usize, Result<SegmentEnd, (Damage, u64)>) {
        let mut seen = 0;
        let end = scan(bytes, newest, |_, _| {
            seen += 1;
            true
        });
        (seen, end)
    }

    #[test]
    fn a_clean_segment_yields_every_frame() {
        let bytes = segment(&[frame(b"1"), frame(b"22")]);
        assert_eq!(frames_seen(&bytes, false), (2, Ok(SegmentEnd::Clean)));
    }

    #[test]
    fn a_torn_last_frame_of_the_newest_segment_is_cut_at_its_start() {
        let whole = segment(&[frame(b"1"), frame(b"22")]);
        let second_starts = (SEGMENT_HEADER.len() + frame(b"1").len()) as u64;
        for cut in second_starts as usize + 1..whole.len() {
            let (seen, end) = frames_seen(&whole[..cut], true);
            assert_eq!((seen, end), (1, Ok(SegmentEnd::TornTail { at: second_starts })));
        }
        let mut zeroed = whole.clone();
        zeroed[second_starts as usize + FRAME_HEADER_BYTES..].fill(0);
        assert_eq!(frames_seen(&zeroed, true).1, Ok(SegmentEnd::TornTail { at: second_starts }));
    }

    #[test]
    fn a_torn_header_of_the_newest_segment_starts_it_anew() {
        assert_eq!(frames_seen(&SEGMENT_HEADER[..3], true).1, Ok(SegmentEnd::TornTail { at: 0 }));
        assert_eq!(
            frames_seen(&SEGMENT_HEADER[..3], false).1,
            Err((Damage::ShortSealedSegment, 0))
        );
        assert_eq!(frames_seen(b"OTHERFMT", true).1, Err((Damage::UnknownHeader, 0)));
    }

    #[test]
    fn damage_before_an_intact_frame_or_in_a_sealed_segment_is_corruption() {
        let mut bytes = segment(&[frame(b"1"), frame(b"22"), frame(b"333")]);
        let second = SEGMENT_HEADER.len() + frame(b"1").len();
        bytes[second + FRAME_HEADER_BYTES + 3] ^= 0xff;
        let at = second as u64;
        assert_eq!(frames_seen(&bytes, true), (1, Err((Damage::DamagedFrameBeforeIntactOne, at))));
        let torn_last = segment(&[frame(b"1"), frame(b"22")]);
        let cut = &torn_last[..torn_last.len() - 1];
        assert_eq!(frames_seen(cut, false).1, Err((Damage::DamagedSealedFrame, at)));
    }
}
