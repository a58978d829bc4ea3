//! Every bound of a node, in one place. Past a bound the node answers with a clear error instead
//! of queueing without end; the relations between bounds are checked at compile time.

use std::time::Duration;

/// Default largest public request body (`--max-body-bytes`).
pub const REQUEST_BODY_BYTES_DEFAULT: usize = 64 * 1024;
/// Largest peer request body: log entries and snapshot chunks travel between nodes.
pub const PEER_BODY_BYTES_MAX: usize = 32 * 1024 * 1024;
/// Snapshot bytes openraft sends per install-snapshot RPC; well inside the peer body bound. (How
/// a snapshot is stored is raft-store's `SNAPSHOT_STORED_CHUNK_BYTES`.)
pub const SNAPSHOT_SENT_CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// Default bound on proposals a node holds at once, queued or waiting for commit
/// (`--max-in-flight-proposals`); past it new writes get 503.
pub const IN_FLIGHT_PROPOSALS_DEFAULT: usize = 4096;
/// Log entries (proposal batches) a node has submitted and not yet seen answered. While they are
/// in flight, new proposals gather into the next. Fewer in flight make larger entries, and each
/// entry costs a synced append on every node and a replication round. While apply wrote every
/// entry to sled (whose IO pool woke for each), one in flight was the fastest on 2 cores. With
/// the state in memory, two are: 3-5 % more redeems/s in five alternating pairs (the anchors'
/// client, 6,057-6,258 against 5,757-6,049/s), for about 10 % more node CPU per redeem.
pub const IN_FLIGHT_BATCHES_MAX: usize = 2;
/// Default pause of the batching task (`--batch-linger-ms`) before it takes the next batch under
/// concurrent load (the rule is in `write::linger`): more requests join each log entry, so fewer
/// entries (each a synced append on every node and a replication round) carry the same work. A
/// lone request never waits.
pub const BATCH_LINGER_DEFAULT: Duration = Duration::from_millis(1);
/// Largest `--batch-linger-ms`. A request sent to a follower may pause twice (on the follower,
/// then on the leader), which stays well below the shortest request deadline.
pub const BATCH_LINGER_MAX_MS: u64 = 20;
/// Requests in one log entry.
pub const REQUESTS_PER_BATCH_MAX: usize = raft_store::limits::REQUESTS_PER_ENTRY_MAX;

/// Times a node sends a proposal towards the leader (following leader changes) before it gives
/// up with 503. A proposal that reached a node is never forwarded again by that node: one hop.
pub const FORWARD_ATTEMPTS_MAX: u32 = 3;
/// Pause before trying again when the leader moved and no new one is known yet.
pub const LEADER_RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// How long a node waits for a leader to be known before it answers 503.
pub const LEADER_WAIT: Duration = Duration::from_secs(2);

/// Shortest `--request-timeout-ms`.
pub const REQUEST_TIMEOUT_MIN_MS: u64 = 100;
/// Default deadline for one public request (`--request-timeout-ms`); past it, 504 (outcome
/// unknown for writes).
pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);
/// How long `/readyz` waits for a leader to confirm a read before answering 503.
pub const READINESS_CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// Deadline of one forwarded proposal or read-index call to the leader.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(4);
/// Deadline of the Raft RPCs that do not carry their own (snapshot installs do).
pub const PEER_RPC_TIMEOUT_MIN: Duration = Duration::from_millis(500);
/// How long a voter holds a leader's question "have you applied this index?" open before it
/// answers no: a code generation job waits at most this long for a voter after each chunk, so
/// a voter that is down or far behind slows the job down without stopping it.
pub const APPLIED_WAIT_MAX: Duration = Duration::from_secs(10);

/// Deadline of one identity challenge to a node before a membership change (never more than a
/// fifth of the request's deadline).
pub const IDENTITY_PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Log entries a node's matched index may trail the leader's last log by and still count as
/// replicating: a learner becomes a voter, and a voter counts towards a change's quorum, only then.
pub const REPLICATION_LAG_ENTRIES_MAX: u64 = 64;

/// How often a leader outside the preferred leader region looks for a successor there.
pub const LEADER_PREFERENCE_CHECK_INTERVAL: Duration = Duration::from_millis(500);
/// Shortest time between two handoffs one leader starts: a successor that cannot win (it lost
/// its link just then) costs one quiet spell per interval at most, never a storm of elections.
pub const LEADER_HANDOFF_INTERVAL: Duration = Duration::from_secs(10);

/// Raft timing defaults (`--heartbeat-ms`, `--election-timeout-ms-min/max`). Several nodes share
/// two cores in local runs, so elections leave room for a busy scheduler.
pub const HEARTBEAT_DEFAULT: Duration = Duration::from_millis(100);
pub const ELECTION_TIMEOUT_MIN_DEFAULT: Duration = Duration::from_millis(800);
pub const ELECTION_TIMEOUT_MAX_DEFAULT: Duration = Duration::from_millis(1600);
/// Default applied entries between snapshots (`--snapshot-every`).
pub const SNAPSHOT_EVERY_DEFAULT: u64 = 20_000;
/// Log entries kept behind a snapshot, so a briefly lagging follower catches up from the log.
pub const LOGS_KEPT_BEHIND_SNAPSHOT_DEFAULT: u64 = 1_000;

/// Default per-client rate of validate and redeem on one node (`--rate-limit-per-second`), and
/// its burst (`--rate-limit-burst`): far above what one shop's checkout sends, low enough that a
/// runaway client cannot starve the others.
pub const RATE_LIMIT_PER_SECOND_DEFAULT: u32 = 10_000;
pub const RATE_LIMIT_BURST_DEFAULT: u32 = 20_000;

/// Default bound on the connections one listener holds at once (`--max-connections`); past
/// it, new connections wait in the kernel's listen backlog (`accept_loop`).
pub const CONNECTIONS_DEFAULT: usize = 1024;
/// Largest `--max-connections`: each connection may cost a task and its buffers.
pub const CONNECTIONS_MAX: usize = 65_536;
/// Smallest `--max-connections`: a peer link needs a few at once (Raft streams, forwarding).
pub const CONNECTIONS_MIN: usize = 2;
/// Time a connection has to finish its TLS handshake; a slow or silent client is then closed,
/// so it cannot hold one of the listener's slots.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause after an accept error that is not one connection's own (out of file descriptors).
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// `Retry-After` seconds for 503 answers.
pub const RETRY_AFTER_UNAVAILABLE_SECONDS: u64 = 1;

const _: () =
    assert!(CONNECTIONS_MIN <= CONNECTIONS_DEFAULT && CONNECTIONS_DEFAULT <= CONNECTIONS_MAX);
const _: () = assert!(CONNECTIONS_MAX <= u32::MAX as usize);
const _: () = assert!(SNAPSHOT_SENT_CHUNK_BYTES < PEER_BODY_BYTES_MAX as u64);
const _: () = assert!(IN_FLIGHT_PROPOSALS_DEFAULT >= REQUESTS_PER_BATCH_MAX);
const _: () = assert!(BATCH_LINGER_DEFAULT.as_millis() <= BATCH_LINGER_MAX_MS as u128);
const _: () = assert!(4 * BATCH_LINGER_MAX_MS <= REQUEST_TIMEOUT_MIN_MS);
const _: () = assert!(FORWARD_TIMEOUT.as_millis() < REQUEST_TIMEOUT_DEFAULT.as_millis());
const _: () =
    assert!(IDENTITY_PROBE_TIMEOUT.as_millis() * 5 <= REQUEST_TIMEOUT_DEFAULT.as_millis());
const _: () = assert!(REPLICATION_LAG_ENTRIES_MAX < LOGS_KEPT_BEHIND_SNAPSHOT_DEFAULT);
const _: () = assert!(HEARTBEAT_DEFAULT.as_millis() * 3 < ELECTION_TIMEOUT_MIN_DEFAULT.as_millis());
const _: () =
    assert!(ELECTION_TIMEOUT_MIN_DEFAULT.as_millis() < ELECTION_TIMEOUT_MAX_DEFAULT.as_millis());
// The state's bound on an idempotency key is the wire contract's.
const _: () = assert!(
    coupon_client::api::IDEMPOTENCY_KEY_LENGTH_MAX == raft_store::limits::IDEMPOTENCY_KEY_BYTES_MAX
);
