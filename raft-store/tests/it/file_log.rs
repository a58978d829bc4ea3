//! The Raft log's own files (`FileLog`): what a reopen recovers, what a torn write costs, and
//! that damage to synced data stops the node instead of being served.

use std::fs::OpenOptions;
use std::ops::Bound;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use raft_store::storage::{BackendError, FileLog, ScanOrder, WriteOp};

fn put(key: &[u8], value: &[u8]) -> WriteOp {
    WriteOp::Put { key: key.to_vec(), value: value.to_vec() }
}

fn keys(log: &FileLog) -> Vec<Vec<u8>> {
    let all = (Bound::Unbounded, Bound::Unbounded);
    log.scan(all, ScanOrder::Ascending, usize::MAX).unwrap().into_iter().map(|(k, _)| k).collect()
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    paths.sort();
    paths
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Goal: flushed puts, deletes and range deletes come back after a reopen, in key order, and a
/// commit never flushed is not there (the flush is the durability point).
#[test]
fn a_reopen_recovers_exactly_the_flushed_commits() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = FileLog::open(dir.path()).unwrap();
        log.commit(vec![put(b"a", b"1"), put(b"b", b"2"), put(b"c", b"3"), put(b"d", b"4")])
            .unwrap();
        log.flush().unwrap();
        log.commit(vec![put(b"a", b"one"), WriteOp::Delete { key: b"b".to_vec() }]).unwrap();
        log.commit(vec![WriteOp::DeleteRange { from: b"c".to_vec(), to: b"d".to_vec() }]).unwrap();
        assert_eq!(keys(&log), vec![b"a".to_vec(), b"d".to_vec()], "commits read at once");
        log.flush().unwrap();
        log.commit(vec![put(b"z", b"never flushed")]).unwrap();
    }
    let log = FileLog::open(dir.path()).unwrap();
    assert_eq!(keys(&log), vec![b"a".to_vec(), b"d".to_vec()]);
    assert_eq!(log.get(b"a").unwrap(), Some(b"one".to_vec()));
    assert_eq!(log.get(b"z").unwrap(), None);
    let last = log.scan((Bound::Unbounded, Bound::Unbounded), ScanOrder::Descending, 1).unwrap();
    assert_eq!(last, vec![(b"d".to_vec(), b"4".to_vec())]);
}

/// Goal: a last frame torn anywhere (a power cut during its write) is cut off on reopen, every
/// frame before it is kept, and the log goes on from there.
#[test]
fn a_torn_last_frame_is_cut_off_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (segment, intact_len, torn_len) = {
        let log = FileLog::open(dir.path()).unwrap();
        log.commit(vec![put(b"kept", b"synced")]).unwrap();
        log.flush().unwrap();
        let segment = segments(dir.path()).pop().unwrap();
        let intact_len = file_len(&segment);
        log.commit(vec![put(b"torn", &[7u8; 300])]).unwrap();
        log.flush().unwrap();
        let torn_len = file_len(&segment);
        (segment, intact_len, torn_len)
    };
    let whole = std::fs::read(&segment).unwrap();
    for cut in [intact_len + 1, intact_len + 12, torn_len - 1] {
        std::fs::write(&segment, &whole[..cut as usize]).unwrap();
        let log = FileLog::open(dir.path()).unwrap();
        assert_eq!(keys(&log), vec![b"kept".to_vec()], "cut at {cut}");
        assert_eq!(file_len(&segment), intact_len, "the torn bytes are gone from the file");
        log.commit(vec![put(b"after", b"x")]).unwrap();
        log.flush().unwrap();
        drop(log);
        let log = FileLog::open(dir.path()).unwrap();
        assert_eq!(keys(&log), vec![b"after".to_vec(), b"kept".to_vec()], "cut at {cut}");
    }
}

/// Goal: a damaged frame with an intact frame after it was synced, so it cannot be a torn write:
/// the open fails, naming the file and the offset, instead of serving a log with a hole.
#[test]
fn damage_before_an_intact_frame_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let damaged_at = {
        let log = FileLog::open(dir.path()).unwrap();
        log.commit(vec![put(b"1", b"first")]).unwrap();
        log.flush().unwrap();
        let at = file_len(&segments(dir.path())[0]);
        log.commit(vec![put(b"2", b"second")]).unwrap();
        log.flush().unwrap();
        log.commit(vec![put(b"3", b"third")]).unwrap();
        log.flush().unwrap();
        at
    };
    let segment = segments(dir.path()).pop().unwrap();
    let file = OpenOptions::new().write(true).open(&segment).unwrap();
    file.write_all_at(b"X", damaged_at + 14).unwrap();
    match FileLog::open(dir.path()) {
        Err(BackendError::Corrupt { path, offset, .. }) => {
            assert_eq!((path, offset), (segment, damaged_at));
        }
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a log with lost synced data must not open"),
    }
}

/// Goal: the log rolls over to new segments and removes the old ones once a purge has left them
/// nearly empty, moving their few live values first, so the live keys survive a reopen.
#[test]
fn purged_segments_are_removed_and_live_values_survive() {
    let dir = tempfile::tempdir().unwrap();
    let value = vec![5u8; 1024 * 1024];
    {
        let log = FileLog::open(dir.path()).unwrap();
        log.commit(vec![put(b"vote", b"pinned in the first segment")]).unwrap();
        for round in 0..3u32 {
            for i in 0..70u32 {
                let key = format!("entry-{round}-{i:03}");
                log.commit(vec![put(key.as_bytes(), &value)]).unwrap();
            }
            log.flush().unwrap();
            let purge_to = format!("entry-{round}-999");
            log.commit(vec![WriteOp::DeleteRange {
                from: b"entry-".to_vec(),
                to: purge_to.into_bytes(),
            }])
            .unwrap();
            log.flush().unwrap();
        }
        assert!(segments(dir.path()).len() <= 2, "old segments go: {:?}", segments(dir.path()));
        assert_eq!(keys(&log), vec![b"vote".to_vec()]);
    }
    let log = FileLog::open(dir.path()).unwrap();
    assert_eq!(log.get(b"vote").unwrap(), Some(b"pinned in the first segment".to_vec()));
    assert_eq!(keys(&log), vec![b"vote".to_vec()]);
}
