//! Every bound of the replicated state, in one place, with the relations between them checked at
//! compile time. The node validates requests against these before proposing, and checks every
//! command against them where it enters the log (`KeyedCommand::check_bounds`); `apply` checks them
//! again and refuses a command past one (`Rejection::InvalidCommand`), so no decodable command
//! can make it panic or store a value out of bounds.

use std::time::Duration;

/// Largest `usage_limit` and `per_user_limit` a coupon may have.
pub const USAGE_LIMIT_MAX: u32 = 1_000_000_000;
/// Shortest and longest coupon code, after trimming.
pub const CODE_LENGTH_MIN: usize = 3;
pub const CODE_LENGTH_MAX: usize = 64;
/// Length of a code the service generates (Crockford base-32 characters).
pub const GENERATED_CODE_LENGTH: usize = 12;
/// Shortest and longest `user_id` and `order_id`, in characters.
pub const EXTERNAL_ID_LENGTH_MIN: usize = 1;
pub const EXTERNAL_ID_LENGTH_MAX: usize = 128;
/// Metadata bounds: keys per coupon, characters per key and per string value, and the size of the
/// whole object as compact JSON.
pub const METADATA_KEYS_MAX: usize = 32;
pub const METADATA_STRING_CHARS_MAX: usize = 256;
pub const METADATA_JSON_BYTES_MAX: usize = 16 * 1024;
/// Fraction digits allowed in money amounts and in percentages.
pub const MONEY_SCALE_MAX: u32 = 2;
pub const PERCENTAGE_SCALE_MAX: u32 = 4;
/// Earliest and latest instant the state holds, in Unix milliseconds: the years RFC 3339 can
/// write, 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (all inside chrono's range).
pub const TIMESTAMP_MILLIS_MIN: i64 = -62_167_219_200_000;
pub const TIMESTAMP_MILLIS_MAX: i64 = 253_402_300_799_999;
/// Longest idempotency key, in bytes: the wire contract's `IDEMPOTENCY_KEY_LENGTH_MAX` (the node
/// checks at compile time that the two agree).
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;
/// Alerts one `ConfirmAlertDelivery` may name (the webhook confirms at most this many at once).
pub const ALERTS_PER_CONFIRMATION_MAX: usize = 100;

/// Longest API key label, in characters; most keys a cluster holds (revoked ones included, as they
/// stay listed), and the longest secret a caller may present (longer is refused unhashed).
pub const KEY_LABEL_CHARS_MAX: usize = 64;
pub const KEYS_MAX: usize = 1000;
pub const KEY_SECRET_CHARS_MAX: usize = 256;
/// Random characters in a key id (after `key_`) and in a drawn secret (after `cpk_`).
pub const KEY_ID_RANDOM_CHARS: usize = 16;
pub const KEY_SECRET_RANDOM_CHARS: usize = 40;

/// How long an idempotency record is kept, measured in log time (the leader-stamped clock).
pub const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// The most one log entry moves log time forward: apply takes `min(stamp, previous log time +
/// LOG_TIME_STEP_MAX)`, never less than the previous log time (`apply::advance_log_time`). A
/// leader whose clock leaps ahead moves log time by at most this per entry, so it can expire a
/// record or a coupon early by at most this much per entry it writes (and the node's leader
/// stamps by its monotonic clock, so a leap during its leadership moves nothing). The first
/// stamped entry of a state sets log time whole. The cost: after the cluster wrote nothing for
/// longer than this, log time catches up by this much per entry.
pub const LOG_TIME_STEP_MAX: Duration = Duration::from_secs(60);
/// Expired listings of idempotency keys (one per log entry that recorded keys) removed per applied
/// entry: more than one, so expiry outpaces creation; few, so one apply stays bounded.
pub const IDEMPOTENCY_EXPIRY_LISTINGS_PER_ENTRY_MAX: usize = 4;
/// A hold's time to live, in seconds: at least this, at most that, and this when none is asked.
pub const HOLD_TTL_SECONDS_MIN: u32 = 1;
pub const HOLD_TTL_SECONDS_MAX: u32 = 86_400;
pub const HOLD_TTL_SECONDS_DEFAULT: u32 = 900;
/// Expired holds apply ends per log entry (their uses come back): more than one entry can place
/// (`REQUESTS_PER_ENTRY_MAX`), so expiry outpaces placing; bounded, so one apply stays bounded.
/// Until a due hold is ended its use stays set aside (never given twice), and a confirm of it is
/// refused all the same: it checks the hold's expiry itself.
pub const HOLD_EXPIRIES_PER_ENTRY_MAX: usize = 2 * REQUESTS_PER_ENTRY_MAX;
/// Codes one import request (one command, one log entry) may give a campaign.
pub const CAMPAIGN_CODES_PER_COMMAND_MAX: usize = 1000;
/// Codes one job may be asked for, and made per log entry (so no entry and no apply grows with
/// the job); characters after a job's prefix (the check character included); attempts to draw a
/// free code for one index before the job fails. A job is admitted only while its pattern stays
/// at most half full, so a draw collides with probability at most 1/2 and 64 attempts all
/// colliding is a 2^-64 event.
pub const CODE_JOB_CODES_MAX: u32 = 1_000_000;
pub const CODE_JOB_CHUNK_CODES: u32 = 1000;
pub const CODE_JOB_LENGTH_MIN: usize = 6;
pub const CODE_JOB_LENGTH_MAX: usize = 32;
pub const CODE_JOB_ATTEMPTS_MAX: u32 = 64;
/// Requests one log entry may carry (the node batches concurrent proposals into one entry).
pub const REQUESTS_PER_ENTRY_MAX: usize = 512;
/// Attempts to derive a fresh code when a generated code collides with an existing one.
pub const GENERATED_CODE_ATTEMPTS_MAX: u32 = 8;

/// Largest page of redemption history.
pub const HISTORY_PAGE_MAX: usize = 500;
pub const HISTORY_PAGE_DEFAULT: usize = 50;
/// Most candidates one page of a listing examines. A page of one filter examines about as many
/// as it lists (its index holds what matches); this bounds pages of several filters whose
/// indexes interleave, and the scan a page falls back to (`STATUS_CHANGES_READ_MAX`): such a
/// page may come back short (even empty) with a cursor to go on.
pub const LISTING_SCAN_MAX: usize = 5000;
/// Coupons whose status time changes (a start, an expiry reached) apply indexes again per log
/// entry: more than one entry can create (`REQUESTS_PER_ENTRY_MAX`), so it outpaces them;
/// bounded, so one apply stays bounded.
pub const STATUS_CHANGES_PER_ENTRY_MAX: usize = 2 * REQUESTS_PER_ENTRY_MAX;
/// Status changes a listing by status reads and corrects its index by: those due by its instant
/// that apply has not indexed yet. Past this many (apply is behind, as after a million codes
/// expired at one instant), the page is found by a bounded scan of the coupons instead.
pub const STATUS_CHANGES_READ_MAX: usize = 1024;
/// Beginnings of a code indexed for the listing by prefix: up to this many characters. A longer
/// prefix is found through its first this-many characters and checked on the coupon.
pub const CODE_PREFIX_INDEXED_CHARS_MAX: usize = 16;
/// A code's beginning held by at most this many codes has no entries of its own in the prefix
/// index: the listing reads its codes from the code index (one range read of at most one more
/// than this) and orders them by id. Only a beginning held by more is listed entry by entry, so
/// a random code of a million is listed under two beginnings, not under twelve (a chunk of
/// generated codes wrote 12,000 prefix keys; sled's cost is per key written).
pub const CODE_PREFIX_SPARSE_CODES_MAX: usize = 64;

/// Snapshot data is written and read this much at a time: a build's buffer, and what a reader of
/// a stored snapshot holds. (One received is written as its chunks arrive: the node's
/// `SNAPSHOT_SENT_CHUNK_BYTES`, a bound of its network.)
pub const SNAPSHOT_STORED_CHUNK_BYTES: usize = 1024 * 1024;

/// A snapshot being built is synced each time this much more of it is written.
pub const SNAPSHOT_SYNC_STEP_BYTES: usize = 32 * 1024 * 1024;

/// Entries of the state read at a time by a snapshot's build, an install's clearing and a
/// digest: what they hold in memory is this many entries, whatever the size of the state.
pub const SNAPSHOT_PAGE_ENTRIES: usize = 1024;

/// An install writes the state again in batches of about this many bytes: a reader waits for at
/// most one batch.
pub const SNAPSHOT_INSTALL_BATCH_BYTES: usize = 256 * 1024;

/// The Raft log's files: a segment is closed once it holds this much, and an old segment whose
/// live values are at most `..._TO_MOVE_MAX` has them written again into the newest and goes.
pub const LOG_SEGMENT_BYTES_MAX: u64 = 64 * 1024 * 1024;
pub const LOG_SEGMENT_LIVE_BYTES_TO_MOVE_MAX: u64 = LOG_SEGMENT_BYTES_MAX / 4;
/// Pending log writes past which a commit first flushes what is pending; one commit's bound; and
/// the largest frame recovery accepts (pending bytes plus one commit, with room to spare).
pub const LOG_PENDING_BYTES_MAX: usize = 64 * 1024 * 1024;
pub const LOG_COMMIT_BYTES_MAX: usize = 256 * 1024 * 1024;
pub const LOG_FRAME_BYTES_MAX: usize = 1024 * 1024 * 1024;

const _: () = assert!(LOG_SEGMENT_LIVE_BYTES_TO_MOVE_MAX < LOG_SEGMENT_BYTES_MAX);
const _: () = assert!(LOG_PENDING_BYTES_MAX + LOG_COMMIT_BYTES_MAX <= LOG_FRAME_BYTES_MAX);
const _: () = assert!(LOG_FRAME_BYTES_MAX < u32::MAX as usize);
const _: () = assert!(CODE_LENGTH_MIN <= GENERATED_CODE_LENGTH);
const _: () = assert!(GENERATED_CODE_LENGTH <= CODE_LENGTH_MAX);
const _: () = assert!(HISTORY_PAGE_DEFAULT <= HISTORY_PAGE_MAX);
const _: () = assert!(IDEMPOTENCY_EXPIRY_LISTINGS_PER_ENTRY_MAX > 1);
const _: () = assert!(HOLD_EXPIRIES_PER_ENTRY_MAX > REQUESTS_PER_ENTRY_MAX);
const _: () = assert!(STATUS_CHANGES_PER_ENTRY_MAX > REQUESTS_PER_ENTRY_MAX);
const _: () = assert!(STATUS_CHANGES_READ_MAX <= LISTING_SCAN_MAX);
const _: () = assert!(CODE_PREFIX_INDEXED_CHARS_MAX <= CODE_LENGTH_MAX);
const _: () = assert!(CODE_PREFIX_SPARSE_CODES_MAX < LISTING_SCAN_MAX);
// One SHA-256 digest byte per random character of a generated code.
const _: () = assert!(CODE_JOB_LENGTH_MAX - 1 <= 32 && CODE_JOB_LENGTH_MIN >= 2);
const _: () = assert!(
    HOLD_TTL_SECONDS_MIN <= HOLD_TTL_SECONDS_DEFAULT
        && HOLD_TTL_SECONDS_DEFAULT <= HOLD_TTL_SECONDS_MAX
);
const _: () = assert!(LOG_TIME_STEP_MAX.as_secs() * 100 <= IDEMPOTENCY_RETENTION.as_secs());
const _: () = assert!(EXTERNAL_ID_LENGTH_MIN >= 1);
const _: () = assert!(TIMESTAMP_MILLIS_MIN < 0 && 0 < TIMESTAMP_MILLIS_MAX);
