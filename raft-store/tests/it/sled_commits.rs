//! Every shape of `SledBackend::commit`: a lone put or delete (written without a sled batch),
//! a lone range delete (also one that matches nothing) and a batch, read back at once and after a
//! reopen.

use raft_store::storage::{SledBackend, Tree, WriteOp};

use crate::support::{open_sled, reopen};

fn put(key: &[u8], value: &[u8]) -> WriteOp {
    WriteOp::Put { key: key.to_vec(), value: value.to_vec() }
}

fn delete(key: &[u8]) -> WriteOp {
    WriteOp::Delete { key: key.to_vec() }
}

/// What each key of the state machine tree should hold after the commits below.
const EXPECTED: [(&[u8], Option<&[u8]>); 5] =
    [(b"a", Some(b"1 again")), (b"b", None), (b"c", None), (b"d", Some(b"4")), (b"e", None)];

fn assert_contents(backend: &SledBackend, when: &str) {
    for (key, value) in EXPECTED {
        let stored = backend.get(Tree::StateMachine, key).expect("read");
        assert_eq!(stored.as_deref(), value, "{when}: key {:?}", String::from_utf8_lossy(key));
    }
    let log = backend.get(Tree::Log, b"a").expect("read log tree");
    assert_eq!(log.as_deref(), Some(&b"log"[..]), "{when}: a lone put lands in its own tree");
}

#[tokio::test]
async fn every_shape_of_commit_reads_back_and_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = open_sled(&dir);
    let commits = [
        vec![put(b"a", b"1")],
        vec![put(b"b", b"2"), put(b"c", b"3"), put(b"d", b"4"), put(b"e", b"5")],
        vec![put(b"a", b"1 again")],
        vec![delete(b"b")],
        vec![WriteOp::DeleteRange { from: b"c".to_vec(), to: b"d".to_vec() }],
        vec![WriteOp::DeleteRange { from: b"x".to_vec(), to: b"y".to_vec() }],
        vec![delete(b"e"), delete(b"missing")],
    ];
    for ops in commits {
        backend.commit(Tree::StateMachine, ops).expect("commit");
    }
    backend.commit(Tree::Log, vec![put(b"a", b"log")]).expect("commit to the log tree");
    assert_contents(&backend, "before the reopen");

    backend.flush(Tree::Log).expect("flush");
    drop(backend);
    let reopened = reopen(&dir, SledBackend::open).await;
    assert_contents(&reopened, "after the reopen");
}
