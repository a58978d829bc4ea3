//! Apply: the one pure function that decides a request against the current state.
//!
//! `apply(request, node_batches, now, counters, state)` reads through `state` (and the records of
//! the entry's node batches, read from it), never writes, never looks at a clock or a random
//! source: every node that applies the same log decides the same. `apply_batch` runs it for each
//! request of an entry; the state machine writes the changes (and the new counters) atomically.
//!
//! Apply is total: a command that breaks a bound of the state (`KeyedCommand::check_bounds`,
//! `Batch::check_bounds`) is refused as `Rejection::InvalidCommand` and changes nothing, so no
//! decodable log entry can make it panic or store a value out of bounds. The assertions below
//! guard the state's own invariants, which no command content can reach past that check.

mod campaigns;
mod change;
mod code_jobs;
mod coupon_commands;
mod coupon_index;
mod holds;
mod key_commands;
mod redeem;

use std::collections::{btree_map, BTreeMap, BTreeSet};

use crate::command::{Batch, Command, KeyedCommand, MembershipNote};
use crate::domain::{ApiKey, AuditAction, AuditRecord, Timestamp};
use crate::error::Result;
use crate::idempotency::{
    IdempotencyKey, IdempotencyRecord, IdempotencyToken, NodeBatchRecord, NodeBatchSlot,
};
use crate::limits::{
    HOLD_EXPIRIES_PER_ENTRY_MAX, IDEMPOTENCY_EXPIRY_LISTINGS_PER_ENTRY_MAX, IDEMPOTENCY_RETENTION,
    LOG_TIME_STEP_MAX,
};
use crate::outcome::{AppliedOutcome, AppliedOutcomes, Outcome, Rejection};
use crate::state_meta::{Counters, StateMeta};
use crate::state_reader::StateReader;
use crate::storage::PendingWrites;

pub use change::{write_change, Change};

/// What applying one request decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub response: AppliedOutcome,
    pub changes: Vec<Change>,
    pub counters: Counters,
}

/// Decides `request` at log time `now`. A request out of bounds is refused, and an idempotency
/// key seen before returns the stored outcome (same request) or `IdempotencyKeyReused` (another
/// request); neither changes anything. A client's key keeps a record of its own; a key the node
/// assigned is kept in its batch's record, one of `node_batches`.
fn apply(
    request: &KeyedCommand,
    node_batches: &mut NodeBatches,
    now: Timestamp,
    counters: Counters,
    state: &StateReader<'_>,
) -> Result<Decision> {
    if let Err(error) = request.check_bounds() {
        tracing::warn!(%error, "refused a logged command out of bounds");
        return Ok(refused(counters));
    }
    let Some(token) = &request.idempotency else {
        return decide_audited(request, now, counters, state);
    };
    if let Some(slot) = token.key.node_batch_slot() {
        return node_batches.apply(request, slot, now, counters, state);
    }
    if let Some(record) = recorded_outcome(state, &token.key)? {
        let response = replay(token, record);
        return Ok(Decision { response, changes: Vec::new(), counters });
    }
    let mut decision = decide_audited(request, now, counters, state)?;
    let record = IdempotencyRecord {
        fingerprint: token.fingerprint,
        outcome: decision.response.outcome.clone(),
        recorded_at: now,
    };
    let key = token.key.clone();
    decision.changes.push(Change::RecordIdempotency { key, record: Box::new(record) });
    Ok(decision)
}

/// Decides a request within bounds whose key (if any) is new, with its audit record.
fn decide_audited(
    request: &KeyedCommand,
    now: Timestamp,
    counters: Counters,
    state: &StateReader<'_>,
) -> Result<Decision> {
    let (outcome, mut changes, mut counters) = decide(&request.command, now, counters, state)?;
    // A command that changed nothing (a repeated revoke) leaves no record; a membership note is
    // nothing but its record.
    let changed =
        !changes.is_empty() || matches!(request.command, Command::NoteMembershipChange(_));
    if let Some(action) = audited_action(&request.command, &outcome).filter(|_| changed) {
        let subject = (audited_before(&action, state)?, audited_after(&action, &outcome));
        let previous = state.last_audit_hash()?;
        let actor = request.actor.clone();
        let record =
            AuditRecord::sealed(counters.next_audit_id, now, actor, action, subject, &previous);
        counters.next_audit_id = record.id.next();
        changes.push(Change::RecordAudit(record));
    }
    Ok(Decision { response: AppliedOutcome { outcome, replayed: false }, changes, counters })
}

/// The records of the node batches one log entry's requests belong to, read once each and
/// written once at the end of the entry (`apply_batch`).
#[derive(Default)]
struct NodeBatches {
    records: BTreeMap<IdempotencyKey, NodeBatchRecord>,
    /// Those that gained an outcome in this entry.
    changed: BTreeSet<IdempotencyKey>,
}

impl NodeBatches {
    /// As `apply`, for a request within bounds under a node-assigned key kept at `slot`: the
    /// outcome its batch's record holds at the position, or the decision, which the record
    /// then holds.
    fn apply(
        &mut self,
        request: &KeyedCommand,
        slot: NodeBatchSlot,
        now: Timestamp,
        counters: Counters,
        state: &StateReader<'_>,
    ) -> Result<Decision> {
        let record = match self.records.entry(slot.batch.clone()) {
            btree_map::Entry::Occupied(held) => held.into_mut(),
            btree_map::Entry::Vacant(new) => {
                new.insert(state.node_batch_record(&slot.batch)?.unwrap_or_default())
            }
        };
        if let Some(outcome) = outcome_in_batch(record, slot.position) {
            let response = AppliedOutcome { outcome, replayed: true };
            return Ok(Decision { response, changes: Vec::new(), counters });
        }
        let decision = decide_audited(request, now, counters, state)?;
        record.outcomes.insert(slot.position, decision.response.outcome.clone());
        self.changed.insert(slot.batch);
        Ok(decision)
    }

    /// The records that changed, to write.
    fn into_changes(self) -> impl Iterator<Item = Change> {
        let Self { mut records, changed } = self;
        changed.into_iter().map(move |batch| {
            let record = records.remove(&batch).expect("a changed record is held");
            Change::RecordNodeBatch { batch, record: Box::new(record) }
        })
    }
}

#[cfg(not(feature = "broken-no-idempotency"))]
fn outcome_in_batch(record: &NodeBatchRecord, position: u16) -> Option<Outcome> {
    record.outcomes.get(&position).cloned()
}

/// Deliberately broken build (see `recorded_outcome`): a node batch's outcomes are never read.
#[cfg(feature = "broken-no-idempotency")]
fn outcome_in_batch(_: &NodeBatchRecord, _: u16) -> Option<Outcome> {
    None
}

/// The answer to a request whose key was used before: the stored outcome when it is the same
/// request (the fingerprints agree), `IdempotencyKeyReused` otherwise. The one rule for replays,
/// applied by apply and by the node before its own checks of a request.
pub fn replay(token: &IdempotencyToken, record: IdempotencyRecord) -> AppliedOutcome {
    if record.fingerprint == token.fingerprint {
        AppliedOutcome { outcome: record.outcome, replayed: true }
    } else {
        AppliedOutcome {
            outcome: Outcome::Rejected(Rejection::IdempotencyKeyReused),
            replayed: false,
        }
    }
}

/// `InvalidCommand`, with no change. Not stored under the request's key: the node refuses such
/// a request before it is proposed, and stores nothing for it either.
fn refused(counters: Counters) -> Decision {
    let outcome = Outcome::Rejected(Rejection::InvalidCommand);
    Decision {
        response: AppliedOutcome { outcome, replayed: false },
        changes: Vec::new(),
        counters,
    }
}

#[cfg(not(feature = "broken-no-idempotency"))]
fn recorded_outcome(
    state: &StateReader<'_>,
    key: &crate::idempotency::IdempotencyKey,
) -> Result<Option<IdempotencyRecord>> {
    state.idempotency_record(key)
}

/// Deliberately broken build for the simulation's detection test: keys are never looked up, so a
/// retried redeem is applied again.
#[cfg(feature = "broken-no-idempotency")]
fn recorded_outcome(
    _: &StateReader<'_>,
    _: &crate::idempotency::IdempotencyKey,
) -> Result<Option<IdempotencyRecord>> {
    Ok(None)
}

fn decide(
    command: &Command,
    now: Timestamp,
    counters: Counters,
    state: &StateReader<'_>,
) -> Result<(Outcome, Vec<Change>, Counters)> {
    match command {
        Command::CreateCoupon { code, terms } => {
            coupon_commands::create(code, terms, now, counters, state)
        }
        Command::Redeem(redeem) => redeem::redeem(redeem, now, counters, state),
        Command::RollBack { redemption_id } => {
            let (outcome, changes) = redeem::roll_back(*redemption_id, now, state)?;
            Ok((outcome, changes, counters))
        }
        Command::Deactivate { coupon_id } => {
            let (outcome, changes) = coupon_commands::set_active(*coupon_id, false, state)?;
            Ok((outcome, changes, counters))
        }
        Command::Reactivate { coupon_id } => {
            let (outcome, changes) = coupon_commands::set_active(*coupon_id, true, state)?;
            Ok((outcome, changes, counters))
        }
        Command::UpdateCoupon { coupon_id, changes } => {
            let (outcome, changes) = coupon_commands::update(*coupon_id, changes, state)?;
            Ok((outcome, changes, counters))
        }
        Command::ConfirmAlertDelivery { alert_ids } => {
            let changes = coupon_commands::confirm_alert_delivery(alert_ids, now, state)?;
            Ok((Outcome::AlertDeliveryConfirmed, changes, counters))
        }
        Command::CreateKey(new) => {
            let (outcome, changes) = key_commands::create(new, now, state)?;
            Ok((outcome, changes, counters))
        }
        Command::RevokeKey { id } => {
            let (outcome, changes) = key_commands::revoke(id, now, state)?;
            Ok((outcome, changes, counters))
        }
        // The audit record is the whole change.
        Command::NoteMembershipChange(_) => Ok((Outcome::MembershipNoted, Vec::new(), counters)),
        Command::PlaceHold { redeem, ttl_seconds } => {
            holds::place(redeem, *ttl_seconds, now, counters, state)
        }
        Command::ConfirmHold { hold_id } => holds::confirm(*hold_id, now, counters, state),
        Command::ReleaseHold { hold_id } => {
            let (outcome, changes) = holds::release(*hold_id, now, state)?;
            Ok((outcome, changes, counters))
        }
        Command::CreateCampaign(new) => campaigns::create(new, now, counters, state),
        Command::AddCampaignCodes { campaign_id, codes } => {
            campaigns::add_codes(*campaign_id, codes, now, counters, state)
        }
        Command::StartCodeJob { campaign_id, seed, count, pattern } => {
            code_jobs::start(*campaign_id, *seed, *count, pattern, now, counters, state)
        }
        Command::RunCodeJob { job_id, from } => {
            code_jobs::run(*job_id, *from, now, counters, state)
        }
    }
}

/// The subject of `action` before the change, read from the state apply decided on.
fn audited_before(
    action: &AuditAction,
    state: &StateReader<'_>,
) -> Result<Option<serde_json::Value>> {
    Ok(match action {
        AuditAction::CouponUpdated(id)
        | AuditAction::CouponDeactivated(id)
        | AuditAction::CouponReactivated(id) => state.coupon(*id)?.as_ref().map(as_json),
        AuditAction::RedemptionRolledBack(id) => state.redemption(*id)?.as_ref().map(as_json),
        AuditAction::KeyRevoked(id) => state.api_key(id)?.as_ref().map(key_json),
        AuditAction::CampaignCodesAdded(id) => state.campaign(*id)?.as_ref().map(as_json),
        AuditAction::CouponCreated(_)
        | AuditAction::CampaignCreated(_)
        | AuditAction::CodeJobStarted(_)
        | AuditAction::KeyCreated(_)
        | AuditAction::MemberAdded(_)
        | AuditAction::MemberRemoved(_) => None,
    })
}

/// The subject of `action` after the change, from what apply decided.
fn audited_after(action: &AuditAction, outcome: &Outcome) -> Option<serde_json::Value> {
    match (action, outcome) {
        (_, Outcome::Created(coupon) | Outcome::Updated(coupon)) => Some(as_json(coupon)),
        (_, Outcome::CampaignCreated(campaign)) => Some(as_json(campaign)),
        (_, Outcome::CodeJob(job)) => Some(as_json(job)),
        (_, Outcome::CampaignCodesAdded { campaign, first, count }) => Some(serde_json::json!({
            "campaign": as_json(campaign), "first_coupon_id": first.0, "codes": count,
        })),
        (_, Outcome::RolledBack { redemption, .. }) => Some(as_json(redemption)),
        (_, Outcome::KeyCreated(key) | Outcome::KeyRevoked(key)) => Some(key_json(key)),
        (AuditAction::MemberAdded(id) | AuditAction::MemberRemoved(id), _) => {
            Some(serde_json::json!({ "node_id": id }))
        }
        _ => None,
    }
}

fn as_json(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// A key in the trail: everything but its digest.
fn key_json(key: &ApiKey) -> serde_json::Value {
    serde_json::json!({
        "id": key.id.as_str(),
        "role": key.role.as_str(),
        "label": key.label.as_str(),
        "created_at": key.created_at.unix_millis(),
        "revoked_at": key.revoked_at.map(Timestamp::unix_millis),
    })
}

/// What the audit trail records for an applied administrative command; `None` for a refusal and
/// for the commands shoppers and the node's housekeeping send.
fn audited_action(command: &Command, outcome: &Outcome) -> Option<AuditAction> {
    Some(match (command, outcome) {
        (Command::CreateCoupon { .. }, Outcome::Created(coupon)) => {
            AuditAction::CouponCreated(coupon.id)
        }
        (Command::UpdateCoupon { coupon_id, .. }, Outcome::Updated(_)) => {
            AuditAction::CouponUpdated(*coupon_id)
        }
        (Command::Deactivate { coupon_id }, Outcome::Updated(_)) => {
            AuditAction::CouponDeactivated(*coupon_id)
        }
        (Command::Reactivate { coupon_id }, Outcome::Updated(_)) => {
            AuditAction::CouponReactivated(*coupon_id)
        }
        (Command::RollBack { redemption_id }, Outcome::RolledBack { .. }) => {
            AuditAction::RedemptionRolledBack(*redemption_id)
        }
        (Command::CreateKey(_), Outcome::KeyCreated(key)) => {
            AuditAction::KeyCreated(key.id.clone())
        }
        (Command::RevokeKey { id }, Outcome::KeyRevoked(_)) => AuditAction::KeyRevoked(id.clone()),
        (Command::CreateCampaign(_), Outcome::CampaignCreated(campaign)) => {
            AuditAction::CampaignCreated(campaign.id)
        }
        (Command::AddCampaignCodes { campaign_id, .. }, Outcome::CampaignCodesAdded { .. }) => {
            AuditAction::CampaignCodesAdded(*campaign_id)
        }
        (Command::StartCodeJob { .. }, Outcome::CodeJob(job)) => {
            AuditAction::CodeJobStarted(job.id)
        }
        (Command::NoteMembershipChange(MembershipNote::Added(id)), _) => {
            AuditAction::MemberAdded(*id)
        }
        (Command::NoteMembershipChange(MembershipNote::Removed(id)), _) => {
            AuditAction::MemberRemoved(*id)
        }
        _ => return None,
    })
}

/// The idempotency listings past their retention at log time `now`, to forget; bounded per call.
pub fn expire_idempotency(now: Timestamp, state: &StateReader<'_>) -> Result<Vec<Change>> {
    let cutoff = now.saturating_sub(IDEMPOTENCY_RETENTION);
    let due = state.idempotency_expiring(cutoff, IDEMPOTENCY_EXPIRY_LISTINGS_PER_ENTRY_MAX)?;
    Ok(due
        .into_iter()
        .map(|listing| Change::ExpireIdempotencyKeys {
            recorded_at: listing.recorded_at,
            entry_index: listing.entry_index,
            keys: listing.keys,
        })
        .collect())
}

/// Ends the holds due at log time `now` (at most `HOLD_EXPIRIES_PER_ENTRY_MAX`), one at a time, each
/// decided on the writes of those before it (several may share a coupon).
fn expire_holds(now: Timestamp, pending: &mut PendingWrites<'_>) -> Result<()> {
    let due = holds::due(now, HOLD_EXPIRIES_PER_ENTRY_MAX, &StateReader::new(&*pending))?;
    for hold_id in due {
        for change in holds::expire(hold_id, &StateReader::new(&*pending))? {
            write_change(change, now, pending)?;
        }
    }
    Ok(())
}

/// Log time after an entry stamped `stamp`, at log time `log_time`: never back, and forward by
/// at most `LOG_TIME_STEP_MAX` (`crate::limits`), so a leader's clock that leaps ahead cannot
/// drag log time (and every expiry decided by it) along. A state that has applied no stamp yet
/// (log time at its zero value, the Unix epoch) takes the first one whole. A stamp the result is
/// behind was clamped.
pub fn advance_log_time(log_time: Timestamp, stamp: Timestamp) -> Timestamp {
    if log_time == Timestamp::default() {
        return log_time.max(stamp);
    }
    log_time.max(stamp.min(log_time.saturating_add(LOG_TIME_STEP_MAX)))
}

/// Applies the batch of log entry `entry_index`: every request in order, each seeing the writes of
/// those before it, then the entry's idempotency bookkeeping. Everything lands in `pending`, for
/// the caller to commit atomically. A batch out of bounds (its stamp, its size) is refused
/// whole: every request gets `InvalidCommand`, and log time does not move.
pub fn apply_batch(
    batch: &Batch,
    entry_index: u64,
    meta: &mut StateMeta,
    pending: &mut PendingWrites<'_>,
) -> Result<AppliedOutcomes> {
    if let Err(error) = batch.check_bounds() {
        tracing::warn!(%error, entry_index, "refused a log entry out of bounds");
        let responses = batch.requests.iter().map(|_| refused(meta.counters).response);
        return Ok(AppliedOutcomes(responses.collect()));
    }
    let stamped = batch.stamped_at;
    meta.log_time = advance_log_time(meta.log_time, stamped);
    if stamped > meta.log_time {
        tracing::warn!(
            entry_index,
            stamped_at = stamped.unix_millis(),
            log_time = meta.log_time.unix_millis(),
            "a leader's stamp is further ahead of log time than LOG_TIME_STEP_MAX: clamped"
        );
    }
    // Before the requests, so that each is decided on the uses that log time has given back.
    expire_holds(meta.log_time, pending)?;
    coupon_index::index_due(meta.log_time, pending)?;
    let mut responses = Vec::with_capacity(batch.requests.len());
    let mut recorded = Vec::new();
    let mut node_batches = NodeBatches::default();
    for request in &batch.requests {
        let state = StateReader::new(&*pending);
        let decision = apply(request, &mut node_batches, meta.log_time, meta.counters, &state)?;
        meta.counters = decision.counters;
        for change in decision.changes {
            if let Change::RecordIdempotency { key, .. } = &change {
                recorded.push(key.clone());
            }
            write_change(change, meta.log_time, pending)?;
        }
        responses.push(decision.response);
    }
    for change in node_batches.into_changes() {
        if let Change::RecordNodeBatch { batch, .. } = &change {
            recorded.push(batch.clone());
        }
        write_change(change, meta.log_time, pending)?;
    }
    if !recorded.is_empty() {
        let listing =
            Change::ListIdempotencyKeys { recorded_at: meta.log_time, entry_index, keys: recorded };
        write_change(listing, meta.log_time, pending)?;
    }
    for change in expire_idempotency(meta.log_time, &StateReader::new(&*pending))? {
        write_change(change, meta.log_time, pending)?;
    }
    Ok(AppliedOutcomes(responses))
}

#[cfg(test)]
mod tests {
    //! Transition tables and properties of `apply`, run against the real key spaces on a `MemDisk`.

    pub(super) mod ledger {
        //! `Ledger`: the real state machine over an in-memory disk, for tests: each `run` is one log
        //! entry, applied by `StateMachine::apply_entries` (so counters, log time and `last_applied` make
        //! the same round trip through the stored metadata as in production).

        use std::sync::Arc;

        use openraft::{CommittedLeaderId, EntryPayload, LogId};

        use crate::command::{Batch, CodeChoice, Command, KeyedCommand, RedeemCommand};
        use crate::domain::fixtures::*;
        use crate::domain::{CouponCode, CouponId, CouponTerms, Timestamp};
        use crate::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
        use crate::limits::LOG_TIME_STEP_MAX;
        use crate::outcome::{AppliedOutcome, Outcome};
        use crate::state_reader::StateReader;
        use crate::storage::{MemDisk, ReadTree, Tree, TreeReader};
        use crate::type_config::Entry;
        use crate::StateMachine;

        pub struct Ledger {
            disk: Arc<MemDisk>,
            state: StateMachine,
            entries: u64,
        }

        impl Default for Ledger {
            fn default() -> Self {
                let disk = Arc::new(MemDisk::default());
                Self { state: StateMachine::new(disk.clone()), disk, entries: 0 }
            }
        }

        impl Ledger {
            /// Applies `request` as the next log entry, stamped `now`.
            pub fn run(&mut self, request: KeyedCommand, now: Timestamp) -> AppliedOutcome {
                self.run_entry(vec![request], now).pop().expect("one response per request")
            }

            /// Applies `requests` together as the next log entry, stamped `now`.
            pub fn run_entry(
                &mut self,
                requests: Vec<KeyedCommand>,
                now: Timestamp,
            ) -> Vec<AppliedOutcome> {
                self.run_batch(Batch { stamped_at: now, requests })
            }

            /// Applies `batch` as it stands (its own stamp and requests) as the next log entry.
            pub fn run_batch(&mut self, batch: Batch) -> Vec<AppliedOutcome> {
                self.entries += 1;
                let entry = Entry {
                    log_id: LogId::new(CommittedLeaderId::new(1, 1), self.entries),
                    payload: EntryPayload::Normal(batch),
                };
                let mut answers = self.state.apply_entries(vec![entry]).unwrap();
                answers.pop().expect("one answer per entry").0
            }

            pub fn outcome(&mut self, command: Command, now: Timestamp) -> Outcome {
                let response =
                    self.run(KeyedCommand { idempotency: None, actor: None, command }, now);
                assert!(!response.replayed);
                response.outcome
            }

            /// Moves log time to `then` with entries that change nothing, each stamped at most
            /// `LOG_TIME_STEP_MAX` after the one before (as an honest leader's stamps are).
            pub fn pass_time_to(&mut self, then: Timestamp) {
                loop {
                    let now = self.read(|s| s.meta()).log_time;
                    if now >= then {
                        return;
                    }
                    let stamp = then.min(now.saturating_add(LOG_TIME_STEP_MAX));
                    self.outcome(Command::Deactivate { coupon_id: CouponId(u64::MAX) }, stamp);
                }
            }

            /// Runs `query` on the committed state tree itself.
            pub fn read_tree<T>(&self, query: impl FnOnce(&dyn ReadTree) -> T) -> T {
                query(&TreeReader { backend: self.disk.as_ref(), tree: Tree::StateMachine })
            }

            pub fn read<T>(&self, query: impl FnOnce(&StateReader<'_>) -> crate::Result<T>) -> T {
                let committed =
                    TreeReader { backend: self.disk.as_ref(), tree: Tree::StateMachine };
                query(&StateReader::new(&committed)).unwrap()
            }

            /// Creates a coupon with `terms` and code `code`, returning its id.
            pub fn create(&mut self, code: &str, terms: CouponTerms) -> CouponId {
                let code = CodeChoice::Chosen(CouponCode::parse(code).unwrap());
                match self.outcome(Command::CreateCoupon { code, terms }, at(0)) {
                    Outcome::Created(coupon) => coupon.id,
                    other => panic!("create failed: {other:?}"),
                }
            }
        }

        pub fn redeem_by(coupon_id: CouponId, user_id: &str) -> Command {
            Command::Redeem(RedeemCommand {
                coupon_id,
                user_id: user(user_id),
                order_id: None,
                order_amount: None,
                currency: None,
            })
        }

        pub fn redeem_for_order(coupon_id: CouponId, user_id: &str, order_id: &str) -> Command {
            Command::Redeem(RedeemCommand {
                coupon_id,
                user_id: user(user_id),
                order_id: Some(order(order_id)),
                order_amount: Some(dec("50.00")),
                currency: Some(eur()),
            })
        }

        pub fn with_key(key: &str, fingerprint: &[u8], command: Command) -> KeyedCommand {
            let token = IdempotencyToken {
                key: IdempotencyKey::from_validated(key.to_owned()),
                fingerprint: Fingerprint::of(&[fingerprint]),
            };
            KeyedCommand { idempotency: Some(token), actor: None, command }
        }
    }
    mod properties {
        //! Properties of apply over arbitrary sequences of redeems and rollbacks.

        use proptest::prelude::*;

        use super::ledger::*;
        use crate::command::Command;
        use crate::domain::fixtures::*;
        use crate::domain::{CouponTerms, RedemptionId};
        use crate::outcome::Outcome;

        #[derive(Clone, Debug)]
        enum Step {
            Redeem { user: u8, order: Option<u8> },
            RollBack { nth_granted: usize },
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                3 => (0u8..6, proptest::option::of(0u8..8)).prop_map(|(user, order)| Step::Redeem { user, order }),
                1 => (0usize..64).prop_map(|nth_granted| Step::RollBack { nth_granted }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            /// Whatever the sequence: the counter never exceeds the limit, equals the number of live
            /// redemptions in the history, no user exceeds the per-user limit, and no order holds two
            /// live redemptions.
            #[test]
            fn the_counter_is_the_number_of_live_redemptions_and_never_exceeds_the_limit(
                usage_limit in 1u32..8,
                per_user_limit in proptest::option::of(1u32..4),
                steps in proptest::collection::vec(step(), 1..60),
            ) {
                let mut ledger = Ledger::default();
                let id = ledger.create("PROP", CouponTerms { usage_limit, per_user_limit, ..terms() });
                let mut granted: Vec<RedemptionId> = Vec::new();
                for (t, step) in (1i64..).zip(steps) {
                    match step {
                        Step::Redeem { user, order: Some(order) } => {
                            let outcome = ledger.outcome(redeem_for_order(id, &format!("u{user}"), &format!("o{order}")), at(t));
                            if let Outcome::Redeemed { redemption, .. } = outcome { granted.push(redemption.id) }
                        }
                        Step::Redeem { user, order: None } => {
                            if let Outcome::Redeemed { redemption, .. } = ledger.outcome(redeem_by(id, &format!("u{user}")), at(t)) {
                                granted.push(redemption.id)
                            }
                        }
                        Step::RollBack { nth_granted } if !granted.is_empty() => {
                            let redemption_id = granted[nth_granted % granted.len()];
                            ledger.outcome(Command::RollBack { redemption_id }, at(t));
                        }
                        Step::RollBack { .. } => {}
                    }
                    let coupon = ledger.read(|s| s.coupon(id)).unwrap();
                    let history = ledger.read(|s| s.coupon_history(id, None, 500)).redemptions;
                    let live: Vec<_> = history.iter().filter(|r| r.is_live()).collect();
                    prop_assert!(coupon.times_redeemed <= usage_limit);
                    prop_assert_eq!(coupon.times_redeemed as usize, live.len());
                    prop_assert_eq!(history.len(), granted.len());
                    for user in 0..6u8 {
                        let user_id = user_of(user);
                        let live_of_user = live.iter().filter(|r| r.user_id == user_id).count() as u32;
                        let counted = ledger.read(|s| s.user_redemptions(id, &user_id));
                        match per_user_limit {
                            Some(limit) => {
                                prop_assert_eq!(counted, live_of_user);
                                prop_assert!(live_of_user <= limit);
                            }
                            None => prop_assert_eq!(counted, 0, "counts are kept only under a per-user limit"),
                        }
                    }
                    let mut live_orders: Vec<_> = live.iter().filter_map(|r| r.order_id.clone()).collect();
                    let orders = live_orders.len();
                    live_orders.sort();
                    live_orders.dedup();
                    prop_assert_eq!(live_orders.len(), orders, "an order holds one live redemption");
                }
            }
        }

        fn user_of(n: u8) -> crate::domain::UserId {
            user(&format!("u{n}"))
        }
    }
    mod tables {
        //! One test per rule of apply: each command's outcomes and the state they leave behind.

        use std::time::Duration;

        use super::ledger::*;
        use crate::command::{CodeChoice, Command, KeyedCommand};
        use crate::domain::fixtures::*;
        use crate::domain::{
            AlertId, CouponCode, CouponId, CouponTerms, RedeemRejection, RedemptionId, Timestamp,
        };
        use crate::idempotency::IdempotencyToken;
        use crate::limits::{IDEMPOTENCY_RETENTION, LOG_TIME_STEP_MAX};
        use crate::outcome::{Outcome, Rejection};

        fn redeemed_id(outcome: &Outcome) -> RedemptionId {
            match outcome {
                Outcome::Redeemed { redemption, .. } => redemption.id,
                other => panic!("expected a redemption, got {other:?}"),
            }
        }

        #[test]
        fn coupons_get_increasing_ids_and_unique_codes() {
            let mut ledger = Ledger::default();
            assert_eq!(ledger.create("FIRST", terms()), CouponId(1));
            assert_eq!(ledger.create("SECOND", terms()), CouponId(2));
            let again = Command::CreateCoupon {
                code: CodeChoice::Chosen(CouponCode::parse("first").unwrap()),
                terms: terms(),
            };
            assert_eq!(
                ledger.outcome(again, at(1)),
                Outcome::Rejected(Rejection::CodeAlreadyExists)
            );
            assert_eq!(
                ledger.create("THIRD", terms()),
                CouponId(3),
                "a rejected create takes no id"
            );
            assert_eq!(
                ledger.read(|s| s.coupon_id_by_code(&CouponCode::parse("SECOND").unwrap())),
                Some(CouponId(2))
            );
        }

        #[test]
        fn a_generated_code_that_collides_is_replaced_deterministically() {
            let mut ledger = Ledger::default();
            let drawn = CouponCode::parse("ABCDEFGHJKMN").unwrap();
            ledger.create(drawn.as_str(), terms());
            let create = Command::CreateCoupon {
                code: CodeChoice::Generated(drawn.clone()),
                terms: terms(),
            };
            let Outcome::Created(coupon) = ledger.outcome(create, at(1)) else {
                panic!("not created")
            };
            assert_eq!(coupon.code, drawn.derive_after_collision(1));
        }

        #[test]
        fn the_last_use_is_granted_once_and_the_history_holds_every_use() {
            let mut ledger = Ledger::default();
            let id = ledger.create("THREE", CouponTerms { usage_limit: 3, ..terms() });
            let granted: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|u| redeemed_id(&ledger.outcome(redeem_by(id, u), at(1))))
                .collect();
            assert_eq!(granted, vec![RedemptionId(1), RedemptionId(2), RedemptionId(3)]);
            let refused = ledger.outcome(redeem_by(id, "d"), at(1));
            assert_eq!(
                refused,
                Outcome::Rejected(Rejection::Redeem(RedeemRejection::UsageLimitReached))
            );

            let coupon = ledger.read(|s| s.coupon(id)).unwrap();
            assert_eq!(
                (coupon.times_redeemed, coupon.remaining(), coupon.is_fully_redeemed()),
                (3, 0, true)
            );
            let page = ledger.read(|s| s.coupon_history(id, None, 2));
            assert_eq!(
                page.redemptions.iter().map(|r| r.id).collect::<Vec<_>>(),
                vec![RedemptionId(1), RedemptionId(2)]
            );
            assert_eq!(page.next_after, Some(RedemptionId(2)));
            let last = ledger.read(|s| s.coupon_history(id, page.next_after, 2));
            assert_eq!(last.redemptions.len(), 1);
            assert_eq!(last.next_after, None);
        }

        #[test]
        fn history_cursors_at_the_edges_of_u64_are_bounds() {
            let mut ledger = Ledger::default();
            let id = ledger.create("EDGES", terms());
            ledger.outcome(redeem_by(id, "a"), at(1));
            for after in [u64::MAX - 1, u64::MAX] {
                let page = ledger.read(|s| s.coupon_history(id, Some(RedemptionId(after)), 2));
                assert!(page.redemptions.is_empty(), "nothing after {after}");
                assert_eq!(page.next_after, None);
            }
            let page = ledger.read(|s| s.coupon_history(CouponId(u64::MAX), None, 2));
            assert!(page.redemptions.is_empty(), "the last coupon id has no history");
            let all = ledger.read(|s| s.coupon_history(id, Some(RedemptionId(0)), 2));
            assert_eq!(all.redemptions.len(), 1);
        }

        #[test]
        fn an_unknown_coupon_is_not_found_for_every_command() {
            let mut ledger = Ledger::default();
            let not_found = Outcome::Rejected(Rejection::CouponNotFound);
            assert_eq!(ledger.outcome(redeem_by(CouponId(9), "u"), at(1)), not_found);
            assert_eq!(
                ledger.outcome(Command::Deactivate { coupon_id: CouponId(9) }, at(1)),
                not_found
            );
            assert_eq!(
                ledger.outcome(Command::Reactivate { coupon_id: CouponId(9) }, at(1)),
                not_found
            );
        }

        #[test]
        fn expiry_is_decided_by_the_stamped_time() {
            let mut ledger = Ledger::default();
            let id = ledger.create("SOON", terms());
            let just_before = Timestamp::from_unix_millis(at(1000).unix_millis() - 1);
            assert!(matches!(
                ledger.outcome(redeem_by(id, "a"), just_before),
                Outcome::Redeemed { .. }
            ));
            let at_expiry = ledger.outcome(redeem_by(id, "b"), at(1000));
            assert_eq!(at_expiry, Outcome::Rejected(Rejection::Redeem(RedeemRejection::Expired)));
        }

        #[test]
        fn a_per_user_limit_of_one_and_the_rollback_that_frees_it() {
            let mut ledger = Ledger::default();
            let id = ledger.create("ONCE", CouponTerms { per_user_limit: Some(1), ..terms() });
            let first = redeemed_id(&ledger.outcome(redeem_by(id, "alice"), at(1)));
            let again = ledger.outcome(redeem_by(id, "alice"), at(2));
            assert_eq!(
                again,
                Outcome::Rejected(Rejection::Redeem(RedeemRejection::PerUserLimitReached))
            );
            assert!(matches!(
                ledger.outcome(redeem_by(id, "bob"), at(2)),
                Outcome::Redeemed { .. }
            ));

            let rolled_back = ledger.outcome(Command::RollBack { redemption_id: first }, at(3));
            let Outcome::RolledBack { redemption, coupon } = rolled_back else {
                panic!("not rolled back")
            };
            assert_eq!(redemption.rolled_back_at, Some(at(3)));
            assert_eq!(coupon.times_redeemed, 1, "the rollback gives the use back");
            assert!(matches!(
                ledger.outcome(redeem_by(id, "alice"), at(4)),
                Outcome::Redeemed { .. }
            ));
        }

        #[test]
        fn a_rollback_frees_the_last_use_and_cannot_be_repeated() {
            let mut ledger = Ledger::default();
            let id = ledger.create("LAST", CouponTerms { usage_limit: 1, ..terms() });
            let only = redeemed_id(&ledger.outcome(redeem_by(id, "a"), at(1)));
            ledger.outcome(Command::RollBack { redemption_id: only }, at(2));
            let twice = ledger.outcome(Command::RollBack { redemption_id: only }, at(3));
            assert_eq!(twice, Outcome::Rejected(Rejection::AlreadyRolledBack));
            let unknown =
                ledger.outcome(Command::RollBack { redemption_id: RedemptionId(99) }, at(3));
            assert_eq!(unknown, Outcome::Rejected(Rejection::RedemptionNotFound));
            assert!(matches!(ledger.outcome(redeem_by(id, "b"), at(4)), Outcome::Redeemed { .. }));
            let history = ledger.read(|s| s.coupon_history(id, None, 10)).redemptions;
            assert_eq!(history.len(), 2, "a rolled-back redemption stays in the history");
            assert!(!history[0].is_live() && history[1].is_live());
        }

        #[test]
        fn an_order_takes_a_coupon_once_until_its_redemption_is_rolled_back() {
            let mut ledger = Ledger::default();
            let id = ledger.create("ORDER", terms());
            let first = redeemed_id(&ledger.outcome(redeem_for_order(id, "a", "o-1"), at(1)));
            let same_order = ledger.outcome(redeem_for_order(id, "b", "o-1"), at(2));
            assert_eq!(
                same_order,
                Outcome::Rejected(Rejection::Redeem(RedeemRejection::OrderAlreadyRedeemed))
            );
            assert!(matches!(
                ledger.outcome(redeem_for_order(id, "a", "o-2"), at(2)),
                Outcome::Redeemed { .. }
            ));
            ledger.outcome(Command::RollBack { redemption_id: first }, at(3));
            assert!(matches!(
                ledger.outcome(redeem_for_order(id, "b", "o-1"), at(4)),
                Outcome::Redeemed { .. }
            ));
        }

        #[test]
        fn the_redemption_records_the_discount_it_granted() {
            let mut ledger = Ledger::default();
            let id = ledger.create("TEN", terms());
            let Outcome::Redeemed { redemption, coupon, alert } =
                ledger.outcome(redeem_for_order(id, "a", "o-1"), at(5))
            else {
                panic!("not redeemed")
            };
            assert_eq!(redemption.discount_amount, Some(dec("5.00")));
            assert_eq!(redemption.redeemed_at, at(5));
            assert_eq!((coupon.times_redeemed, alert), (1, None));
        }

        #[test]
        fn deactivation_refuses_redeems_until_reactivated() {
            let mut ledger = Ledger::default();
            let id = ledger.create("PAUSE", terms());
            let Outcome::Updated(coupon) =
                ledger.outcome(Command::Deactivate { coupon_id: id }, at(1))
            else {
                panic!()
            };
            assert!(!coupon.active);
            let refused = ledger.outcome(redeem_by(id, "a"), at(2));
            assert_eq!(refused, Outcome::Rejected(Rejection::Redeem(RedeemRejection::Inactive)));
            ledger.outcome(Command::Reactivate { coupon_id: id }, at(3));
            assert!(matches!(ledger.outcome(redeem_by(id, "a"), at(4)), Outcome::Redeemed { .. }));
        }

        #[test]
        fn a_low_stock_alert_is_raised_once_when_the_threshold_is_reached() {
            let mut ledger = Ledger::default();
            let id = ledger.create(
                "STOCK",
                CouponTerms { usage_limit: 5, low_stock_threshold: Some(3), ..terms() },
            );
            let alerts: Vec<_> = (0..5)
                .map(|i| match ledger.outcome(redeem_by(id, &format!("u{i}")), at(1)) {
                    Outcome::Redeemed { alert, .. } => alert,
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(alerts.iter().filter(|a| a.is_some()).count(), 1);
            let raised = alerts[1].clone().expect("remaining 3 after the second use");
            assert_eq!((raised.id, raised.remaining, raised.threshold), (AlertId(1), 3, 3));
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().low_stock_alert, Some(AlertId(1)));
            assert_eq!(ledger.read(|s| s.undelivered_alerts(10)), vec![raised.clone()]);

            let confirm = Command::ConfirmAlertDelivery { alert_ids: vec![AlertId(1), AlertId(7)] };
            assert_eq!(ledger.outcome(confirm.clone(), at(2)), Outcome::AlertDeliveryConfirmed);
            assert_eq!(ledger.read(|s| s.undelivered_alerts(10)), vec![]);
            assert_eq!(ledger.read(|s| s.alerts(None, 10))[0].delivered_at, Some(at(2)));
            ledger.outcome(confirm, at(3));
            assert_eq!(
                ledger.read(|s| s.alerts(None, 10))[0].delivered_at,
                Some(at(2)),
                "confirming twice changes nothing"
            );
        }

        #[test]
        fn an_idempotent_retry_replays_the_first_outcome_and_changes_nothing() {
            let mut ledger = Ledger::default();
            let id = ledger.create("ONCE-ONLY", CouponTerms { usage_limit: 2, ..terms() });
            let first = ledger.run(with_key("k1", b"redeem a", redeem_by(id, "a")), at(1));
            let retry = ledger.run(with_key("k1", b"redeem a", redeem_by(id, "a")), at(2));
            assert!(!first.replayed && retry.replayed);
            assert_eq!(retry.outcome, first.outcome);
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 1);

            let reused = ledger.run(with_key("k1", b"redeem b", redeem_by(id, "b")), at(3));
            assert_eq!(reused.outcome, Outcome::Rejected(Rejection::IdempotencyKeyReused));
            assert!(!reused.replayed);
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 1);
        }

        #[test]
        fn a_stored_rejection_is_replayed_even_after_the_state_changed() {
            let mut ledger = Ledger::default();
            let id = ledger.create("FULL", CouponTerms { usage_limit: 1, ..terms() });
            let only = redeemed_id(&ledger.outcome(redeem_by(id, "a"), at(1)));
            let refused = ledger.run(with_key("k2", b"b", redeem_by(id, "b")), at(2));
            ledger.outcome(Command::RollBack { redemption_id: only }, at(3));
            let retry = ledger.run(with_key("k2", b"b", redeem_by(id, "b")), at(4));
            assert_eq!(retry.outcome, refused.outcome);
            assert!(retry.replayed);
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 0);
        }

        #[test]
        fn idempotency_records_are_kept_for_the_retention_and_then_forgotten() {
            let mut ledger = Ledger::default();
            let id = ledger.create("KEEP", terms());
            let recorded_at = at(10);
            ledger.run(with_key("k3", b"a", redeem_by(id, "a")), recorded_at);
            let key = crate::idempotency::IdempotencyKey::from_validated("k3".to_owned());

            let exactly_retention = recorded_at.saturating_add(IDEMPOTENCY_RETENTION);
            ledger.pass_time_to(exactly_retention);
            assert!(
                ledger.read(|s| s.idempotency_record(&key)).is_some(),
                "kept for the whole retention"
            );
            let retry = ledger.run(with_key("k3", b"a", redeem_by(id, "a")), exactly_retention);
            assert!(retry.replayed);

            let after = exactly_retention.saturating_add(Duration::from_millis(1));
            ledger.pass_time_to(after);
            assert!(ledger.read(|s| s.idempotency_record(&key)).is_none());
            assert!(
                ledger.read(|s| s.idempotency_expiring(after, 10)).is_empty(),
                "the listing went too"
            );
        }

        /// Goal: a leader whose clock leaps a day ahead moves log time by at most
        /// `LOG_TIME_STEP_MAX` per entry, never back, and the records and coupons it would have
        /// expired survive. Steps: a coupon expiring in an hour and a keyed redeem at t=10 s;
        /// an entry stamped a day ahead; then an honest stamp behind it.
        #[test]
        fn a_stamp_a_day_ahead_moves_log_time_by_the_step_bound_only() {
            let mut ledger = Ledger::default();
            let expires_at = at(3600);
            let id = ledger.create("LEAP", CouponTerms { expires_at, ..terms() });
            let first = ledger.run(with_key("k6", b"a", redeem_by(id, "a")), at(10));
            let before = ledger.read(|s| s.meta()).log_time;
            assert_eq!(before, at(10));

            let a_day_ahead = at(10).saturating_add(IDEMPOTENCY_RETENTION);
            ledger.outcome(Command::Deactivate { coupon_id: CouponId(99) }, a_day_ahead);
            let after = ledger.read(|s| s.meta()).log_time;
            assert_eq!(after, before.saturating_add(LOG_TIME_STEP_MAX), "moved by the bound");

            let key = crate::idempotency::IdempotencyKey::from_validated("k6".to_owned());
            assert!(ledger.read(|s| s.idempotency_record(&key)).is_some(), "the record survives");
            let retry = ledger.run(with_key("k6", b"a", redeem_by(id, "a")), a_day_ahead);
            assert!(retry.replayed, "a retry still replays");
            assert_eq!(retry.outcome, first.outcome);
            let redeemed = ledger.outcome(redeem_by(id, "b"), a_day_ahead);
            assert!(matches!(redeemed, Outcome::Redeemed { .. }), "not expired: {redeemed:?}");

            ledger.outcome(Command::Deactivate { coupon_id: CouponId(99) }, at(20));
            let honest = ledger.read(|s| s.meta()).log_time;
            assert_eq!(honest, before.saturating_add(LOG_TIME_STEP_MAX * 3), "never back");
        }

        #[test]
        fn log_time_takes_the_first_stamp_whole_and_honest_stamps_as_they_are() {
            use crate::apply::advance_log_time;
            let epoch = Timestamp::default();
            assert_eq!(advance_log_time(epoch, at(1_700_000_000)), at(1_700_000_000));
            assert_eq!(advance_log_time(at(100), at(130)), at(130));
            assert_eq!(advance_log_time(at(100), at(90)), at(100), "never back");
            assert_eq!(advance_log_time(at(100), at(100_000)), at(160), "at most the step");
        }

        #[test]
        fn one_entry_lists_its_keys_once_and_they_expire_together() {
            let mut ledger = Ledger::default();
            let id = ledger.create("TOGETHER", terms());
            let entry = vec![
                with_key("k4", b"a", redeem_by(id, "a")),
                with_key("k5", b"b", redeem_by(id, "b")),
                with_key("k4", b"a", redeem_by(id, "a")),
            ];
            let answers = ledger.run_entry(entry, at(10));
            assert_eq!(
                answers.iter().map(|answer| answer.replayed).collect::<Vec<_>>(),
                [false, false, true]
            );
            let listed = ledger.read(|s| s.idempotency_expiring(at(11), 10));
            assert_eq!(listed.len(), 1, "one listing for the entry");
            assert_eq!(listed[0].keys.len(), 2, "a replayed key is not listed again");

            let after = at(10)
                .saturating_add(IDEMPOTENCY_RETENTION)
                .saturating_add(Duration::from_millis(1));
            ledger.pass_time_to(after);
            for key in ["k4", "k5"] {
                let key = crate::idempotency::IdempotencyKey::from_validated(key.to_owned());
                assert!(ledger.read(|s| s.idempotency_record(&key)).is_none());
            }
        }

        fn in_node_batch(batch: u8, position: u16, command: Command) -> KeyedCommand {
            let token = IdempotencyToken::node_assigned([batch; 16], position);
            KeyedCommand { idempotency: Some(token), actor: None, command }
        }

        /// Goal: the requests of a batch a node sent under its own keys are deduplicated as a
        /// client's retries are, with one record for the batch however its requests reach the
        /// log: a resend of part of the batch, a batch split over two entries, a request twice
        /// in one entry; and the record is forgotten after the retention, like a client's.
        /// Steps: a coupon with ten uses; batch 1's positions 0-2 in one entry; positions 1-3
        /// again with batch 2's position 0 (of another node) in the next; position 3 once more;
        /// then log time past the retention.
        #[test]
        fn a_node_batch_is_applied_once_per_position_under_one_record() {
            let mut ledger = Ledger::default();
            let id = ledger.create("NODE-BATCH", CouponTerms { usage_limit: 10, ..terms() });
            let user = |name: &str| redeem_by(id, name);
            let first = ledger.run_entry(
                (0..3).map(|at_| in_node_batch(1, at_, user(&format!("u{at_}")))).collect(),
                at(1),
            );
            assert!(first.iter().all(|answer| !answer.replayed));
            let resent = ledger.run_entry(
                vec![
                    in_node_batch(1, 1, user("u1")),
                    in_node_batch(1, 2, user("u2")),
                    in_node_batch(1, 3, user("u3")),
                    in_node_batch(2, 0, user("v0")),
                    in_node_batch(1, 3, user("u3")),
                ],
                at(2),
            );
            let replayed: Vec<bool> = resent.iter().map(|answer| answer.replayed).collect();
            assert_eq!(replayed, [true, true, false, false, true]);
            assert_eq!(resent[0].outcome, first[1].outcome, "the first outcome, replayed");
            assert_eq!(resent[4].outcome, resent[2].outcome);
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 5, "u0-u3 and v0");

            let slot = |batch: u8| {
                let key = crate::idempotency::IdempotencyKey::node_assigned([batch; 16], 0);
                key.node_batch_slot().unwrap().batch
            };
            let record = ledger.read(|s| s.node_batch_record(&slot(1))).expect("one record");
            assert_eq!(record.outcomes.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
            assert!(ledger.read(|s| s.node_batch_record(&slot(2))).is_some());
            let per_request = crate::idempotency::IdempotencyKey::node_assigned([1; 16], 0);
            assert!(
                ledger.read(|s| s.idempotency_record(&per_request)).is_none(),
                "no record of its own"
            );
            let listed = ledger.read(|s| s.idempotency_expiring(at(3), 10));
            let listed: Vec<_> = listed.into_iter().map(|listing| listing.keys).collect();
            assert_eq!(listed, [vec![slot(1)], vec![slot(1), slot(2)]], "each batch, per entry");

            let later = ledger.run(in_node_batch(1, 3, user("u3")), at(3));
            assert!(later.replayed);
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 5);

            let after = at(3)
                .saturating_add(IDEMPOTENCY_RETENTION)
                .saturating_add(Duration::from_millis(1));
            ledger.pass_time_to(after);
            for batch in [slot(1), slot(2)] {
                assert!(ledger.read(|s| s.node_batch_record(&batch)).is_none(), "forgotten");
            }
            assert!(ledger.read(|s| s.idempotency_expiring(after, 10)).is_empty());
        }
    }
    mod forged {
        //! Apply is total: commands built from the bincode level up (arbitrary bytes, and the
        //! encodings of structurally valid commands with arbitrary field values) are decoded as the
        //! log decodes them and applied to a real state; nothing panics, and the state's invariants
        //! hold after every entry.

        use proptest::prelude::*;
        use rust_decimal::Decimal;
        use serde::Serialize;

        use super::ledger::*;
        use crate::command::{Batch, Command, KeyedCommand};
        use crate::domain::fixtures::*;
        use crate::domain::{
            CampaignId, CouponId, CouponTerms, Discount, HoldId, HoldState, AMOUNT_MAX,
        };
        use crate::limits::{TIMESTAMP_MILLIS_MAX, USAGE_LIMIT_MAX};
        use crate::outcome::{Outcome, Rejection};
        use crate::state_reader::StateReader;

        // Mirrors of the log's types with every field open. bincode writes a newtype as its
        // inner value, so these encode exactly as the real types (`mirrors_encode_as_the_real_types`
        // holds them to it) while letting any value past the constructors.
        #[derive(Clone, Debug, Serialize)]
        struct Keyed {
            idempotency: Option<(String, [u8; 32])>,
            actor: Option<String>,
            command: Cmd,
        }

        #[derive(Clone, Debug, Serialize)]
        enum Cmd {
            CreateCoupon {
                code: Code,
                terms: Terms,
            },
            Redeem(Redeem),
            RollBack {
                redemption_id: u64,
            },
            Deactivate {
                coupon_id: u64,
            },
            Reactivate {
                coupon_id: u64,
            },
            ConfirmAlertDelivery {
                alert_ids: Vec<u64>,
            },
            CreateKey {
                id: String,
                role: KeyRole,
                label: String,
                digest: [u8; 32],
            },
            RevokeKey {
                id: String,
            },
            NoteMembershipChange(Note),
            /// `UpdateCoupon`'s place in the enumeration (its own properties are in `tables`).
            _UpdateCoupon,
            PlaceHold {
                redeem: Redeem,
                ttl_seconds: u32,
            },
            ConfirmHold {
                hold_id: u64,
            },
            ReleaseHold {
                hold_id: u64,
            },
            CreateCampaign {
                name: String,
                terms: Terms,
                budget: Option<u32>,
            },
            AddCampaignCodes {
                campaign_id: u64,
                codes: Vec<String>,
            },
        }

        #[derive(Clone, Debug, Serialize)]
        enum KeyRole {
            Admin,
            Storefront,
            Readonly,
        }

        #[derive(Clone, Debug, Serialize)]
        enum Note {
            Added(u64),
            Removed(u64),
        }

        #[derive(Clone, Debug, Serialize)]
        enum Code {
            Chosen(String),
            Generated(String),
        }

        #[derive(Clone, Debug, Serialize)]
        struct Terms {
            discount: Disc,
            max_discount_amount: Option<Decimal>,
            min_order_amount: Option<Decimal>,
            starts_at: Option<i64>,
            expires_at: i64,
            usage_limit: u32,
            per_user_limit: Option<u32>,
            low_stock_threshold: Option<u32>,
            metadata: String,
        }

        #[derive(Clone, Debug, Serialize)]
        enum Disc {
            Percentage { percent: Decimal, currency: Option<String> },
            Fixed { amount: Decimal, currency: String },
        }

        #[derive(Clone, Debug, Serialize)]
        struct Redeem {
            coupon_id: u64,
            user_id: String,
            order_id: Option<String>,
            order_amount: Option<Decimal>,
            currency: Option<String>,
        }

        #[derive(Clone, Debug, Serialize)]
        struct RawBatch {
            stamped_at: i64,
            requests: Vec<Keyed>,
        }

        /// The log's codec: `keyspace` stores entries with `bincode::serialize_into` and reads
        /// them back with `bincode::deserialize` (bincode's default options).
        fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
            bincode::deserialize(bytes).ok()
        }

        fn decimal() -> BoxedStrategy<Decimal> {
            prop_oneof![
                Just(Decimal::MAX),
                Just(Decimal::MIN),
                Just(Decimal::ZERO),
                Just(Decimal::ONE_HUNDRED),
                Just(AMOUNT_MAX),
                Just(AMOUNT_MAX + Decimal::new(1, 2)),
                (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..=28).prop_map(
                    |(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale)
                ),
                (0i64..100_000, 0u32..3).prop_map(|(units, scale)| Decimal::new(units, scale)),
            ]
            .boxed()
        }

        fn text() -> BoxedStrategy<String> {
            prop_oneof![
                Just(String::new()),
                Just(" padded ".to_owned()),
                Just("x".repeat(10_000)),
                Just("é".repeat(129)),
                "[A-Z0-9_-]{3,8}",
                "[a-z]{1,4}",
                "\\PC{0,12}",
                ".{0,6}",
            ]
            .boxed()
        }

        fn stamp() -> BoxedStrategy<i64> {
            prop_oneof![
                Just(i64::MAX),
                Just(i64::MIN),
                Just(TIMESTAMP_MILLIS_MAX + 1),
                any::<i64>(),
                0i64..2_000_000,
            ]
            .boxed()
        }

        fn limit() -> BoxedStrategy<u32> {
            prop_oneof![
                Just(0),
                Just(u32::MAX),
                Just(USAGE_LIMIT_MAX),
                Just(USAGE_LIMIT_MAX + 1),
                1u32..5,
            ]
            .boxed()
        }

        fn metadata() -> BoxedStrategy<String> {
            prop_oneof![
                Just(String::new()),
                Just("{}".to_owned()),
                Just(r#"{"a":1}"#.to_owned()),
                Just(r#"{ "a": 1 }"#.to_owned()),
                Just(r#"{"b":1,"a":2}"#.to_owned()),
                Just("[1]".to_owned()),
                Just(format!(r#"{{"k":"{}"}}"#, "x".repeat(300))),
                ".{0,8}",
            ]
            .boxed()
        }

        fn currency() -> BoxedStrategy<String> {
            let listed =
                proptest::sample::select(vec!["EUR", "JPY", "KWD"]).prop_map(str::to_owned);
            let unlisted =
                proptest::sample::select(vec!["eur", "XYZ", "XAU"]).prop_map(str::to_owned);
            prop_oneof![listed, unlisted, text()].boxed()
        }

        fn discount() -> BoxedStrategy<Disc> {
            prop_oneof![
                (decimal(), proptest::option::of(currency()))
                    .prop_map(|(percent, currency)| Disc::Percentage { percent, currency }),
                (decimal(), currency())
                    .prop_map(|(amount, currency)| Disc::Fixed { amount, currency }),
            ]
            .boxed()
        }

        /// Terms with every field arbitrary.
        fn wild_terms() -> BoxedStrategy<Terms> {
            (
                (discount(), proptest::option::of(decimal()), proptest::option::of(decimal())),
                (proptest::option::of(stamp()), stamp()),
                (limit(), proptest::option::of(limit()), proptest::option::of(limit())),
                metadata(),
            )
                .prop_map(
                    |((discount, cap, minimum), (starts_at, expires_at), limits, metadata)| {
                        let (usage_limit, per_user_limit, low_stock_threshold) = limits;
                        Terms {
                            discount,
                            max_discount_amount: cap,
                            min_order_amount: minimum,
                            starts_at,
                            expires_at,
                            usage_limit,
                            per_user_limit,
                            low_stock_threshold,
                            metadata,
                        }
                    },
                )
                .boxed()
        }

        /// Terms within the bounds, so that later redeems and rollbacks reach a real coupon.
        fn sound_terms() -> BoxedStrategy<Terms> {
            (1u32..4, proptest::option::of(1u32..3), proptest::option::of(0u32..3), any::<bool>())
                .prop_map(|(usage_limit, per_user_limit, low_stock_threshold, whole)| Terms {
                    discount: if whole {
                        Disc::Percentage { percent: Decimal::ONE_HUNDRED, currency: None }
                    } else {
                        Disc::Fixed { amount: Decimal::new(500, 2), currency: "EUR".to_owned() }
                    },
                    max_discount_amount: None,
                    min_order_amount: None,
                    starts_at: None,
                    expires_at: 1_000_000_000,
                    usage_limit,
                    per_user_limit,
                    low_stock_threshold,
                    metadata: String::new(),
                })
                .boxed()
        }

        fn command() -> BoxedStrategy<Cmd> {
            let code = prop_oneof![text().prop_map(Code::Chosen), text().prop_map(Code::Generated)];
            let terms = prop_oneof![sound_terms(), wild_terms()];
            let coupon_id = prop_oneof![3 => 0u64..5, 1 => any::<u64>()];
            let user = prop_oneof![3 => "u[0-3]", 1 => text()];
            let redeem = (
                coupon_id.clone(),
                user,
                proptest::option::of(prop_oneof!["o[0-3]", text()]),
                proptest::option::of(decimal()),
                proptest::option::of(currency()),
            )
                .prop_map(|(coupon_id, user_id, order_id, order_amount, currency)| Redeem {
                    coupon_id,
                    user_id,
                    order_id,
                    order_amount,
                    currency,
                });
            prop_oneof![
                2 => (code, terms).prop_map(|(code, terms)| Cmd::CreateCoupon { code, terms }),
                4 => redeem.clone().prop_map(Cmd::Redeem),
                1 => prop_oneof![0u64..8, any::<u64>()].prop_map(|redemption_id| Cmd::RollBack { redemption_id }),
                1 => coupon_id.clone().prop_map(|coupon_id| Cmd::Deactivate { coupon_id }),
                1 => coupon_id.prop_map(|coupon_id| Cmd::Reactivate { coupon_id }),
                1 => proptest::collection::vec(any::<u64>(), 0..200)
                    .prop_map(|alert_ids| Cmd::ConfirmAlertDelivery { alert_ids }),
                1 => (key_id(), prop_oneof![Just(KeyRole::Admin), Just(KeyRole::Storefront), Just(KeyRole::Readonly)], text(), any::<[u8; 32]>())
                    .prop_map(|(id, role, label, digest)| Cmd::CreateKey { id, role, label, digest }),
                1 => key_id().prop_map(|id| Cmd::RevokeKey { id }),
                1 => prop_oneof![any::<u64>().prop_map(Note::Added), any::<u64>().prop_map(Note::Removed)]
                    .prop_map(Cmd::NoteMembershipChange),
                2 => (redeem.clone(), prop_oneof![0u32..3, Just(86_401), any::<u32>()])
                    .prop_map(|(redeem, ttl_seconds)| Cmd::PlaceHold { redeem, ttl_seconds }),
                1 => prop_oneof![0u64..6, any::<u64>()].prop_map(|hold_id| Cmd::ConfirmHold { hold_id }),
                1 => prop_oneof![0u64..6, any::<u64>()].prop_map(|hold_id| Cmd::ReleaseHold { hold_id }),
                1 => (text(), prop_oneof![sound_terms(), wild_terms()], proptest::option::of(prop_oneof![0u32..4, any::<u32>()]))
                    .prop_map(|(name, terms, budget)| Cmd::CreateCampaign { name, terms, budget }),
                2 => (prop_oneof![0u64..3, any::<u64>()], proptest::collection::vec(prop_oneof!["C-[0-3]", text()], 0..4))
                    .prop_map(|(campaign_id, codes)| Cmd::AddCampaignCodes { campaign_id, codes }),
            ]
            .boxed()
        }

        /// Key ids: mostly well formed (a few, so creates collide and revokes hit), some not.
        fn key_id() -> BoxedStrategy<String> {
            prop_oneof![3 => "key_[a-c]", 1 => text()].boxed()
        }

        fn keyed() -> BoxedStrategy<Keyed> {
            let key = prop_oneof![text(), Just("k".repeat(256))];
            (
                proptest::option::of((key, any::<[u8; 32]>())),
                proptest::option::of(key_id()),
                command(),
            )
                .prop_map(|(idempotency, actor, command)| Keyed { idempotency, actor, command })
                .boxed()
        }

        /// One log entry's payload, as bytes.
        #[derive(Clone, Debug)]
        enum Entry {
            /// A structurally valid batch of commands, stamped with the test's clock.
            Commands(Vec<Keyed>),
            /// A structurally valid batch with its own (arbitrary) stamp.
            Stamped(RawBatch),
            /// Bytes of no particular shape: decoded as a batch, or as one command if that fails.
            Bytes(Vec<u8>),
        }

        fn entry() -> BoxedStrategy<Entry> {
            prop_oneof![
                8 => proptest::collection::vec(keyed(), 1..4).prop_map(Entry::Commands),
                1 => (stamp(), proptest::collection::vec(keyed(), 0..3))
                    .prop_map(|(stamped_at, requests)| Entry::Stamped(RawBatch { stamped_at, requests })),
                1 => proptest::collection::vec(any::<u8>(), 0..96).prop_map(Entry::Bytes),
            ]
            .boxed()
        }

        /// The decoded payload of `entry` at test time `t`, if it decodes at all.
        fn decoded(entry: &Entry, t: i64) -> Option<Batch> {
            let stamped = |requests: Vec<KeyedCommand>| Batch { stamped_at: at(t), requests };
            match entry {
                Entry::Commands(commands) => {
                    let requests = commands
                        .iter()
                        .map(|keyed| decode::<KeyedCommand>(&bincode::serialize(keyed).unwrap()));
                    Some(stamped(requests.collect::<Option<Vec<_>>>()?))
                }
                Entry::Stamped(raw) => decode(&bincode::serialize(raw).unwrap()),
                Entry::Bytes(bytes) => decode::<Batch>(bytes)
                    .or_else(|| decode::<KeyedCommand>(bytes).map(|one| stamped(vec![one]))),
            }
        }

        /// Every coupon is within its limit and within the bounds, counted as its history says;
        /// ids are dense and every redemption is counted once.
        fn check_invariants(state: &StateReader<'_>) -> Result<(), TestCaseError> {
            let meta = state.meta().unwrap();
            prop_assert!(meta.log_time.check().is_ok(), "log time in bounds");
            let mut redemptions = 0u64;
            let mut campaign_uses = std::collections::BTreeMap::new();
            for id in 1..meta.counters.next_coupon_id.0 {
                let coupon = state.coupon(CouponId(id)).unwrap();
                let coupon = coupon.ok_or_else(|| TestCaseError::fail("ids are dense"))?;
                prop_assert!(coupon.uses_taken() <= u64::from(coupon.terms.usage_limit));
                prop_assert_eq!(coupon.terms.check_bounds(), Ok(()));
                let live_holds = (1..meta.counters.next_hold_id.0)
                    .filter_map(|id| state.hold(HoldId(id)).unwrap())
                    .filter(|hold| hold.coupon_id == coupon.id && hold.state == HoldState::Held)
                    .count();
                prop_assert_eq!(coupon.held as usize, live_holds, "held counts the live holds");
                if let Some(campaign_id) = coupon.campaign_id {
                    let campaign = state.campaign(campaign_id).unwrap();
                    let campaign =
                        campaign.ok_or_else(|| TestCaseError::fail("its campaign exists"))?;
                    *campaign_uses.entry(campaign_id).or_insert(0) += coupon.uses_taken();
                    prop_assert_eq!(
                        &campaign.terms,
                        &coupon.terms,
                        "a code has its campaign's terms"
                    );
                }
                prop_assert_eq!(coupon.code.check(), Ok(()));
                prop_assert_eq!(state.coupon_id_by_code(&coupon.code).unwrap(), Some(coupon.id));
                let history = state.coupon_history(coupon.id, None, 500).unwrap().redemptions;
                let live = history.iter().filter(|r| r.is_live()).count();
                prop_assert_eq!(coupon.times_redeemed as usize, live);
                redemptions += history.len() as u64;
            }
            prop_assert!(state.coupon(meta.counters.next_coupon_id).unwrap().is_none());
            for id in 1..meta.counters.next_campaign_id.0 {
                let campaign = state.campaign(CampaignId(id)).unwrap();
                let campaign =
                    campaign.ok_or_else(|| TestCaseError::fail("campaign ids are dense"))?;
                let used = campaign_uses.get(&campaign.id).copied().unwrap_or(0);
                prop_assert_eq!(campaign.uses_taken(), used, "a campaign counts its codes' uses");
                prop_assert!(campaign.budget.is_none_or(|budget| used <= u64::from(budget)));
            }
            prop_assert_eq!(meta.counters.next_redemption_id.0, redemptions + 1);
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            /// Whatever decodes is applied without a panic, and leaves the invariants standing.
            #[test]
            fn whatever_decodes_applies_without_panic_and_keeps_the_invariants(
                entries in proptest::collection::vec(entry(), 1..24),
            ) {
                let mut ledger = Ledger::default();
                for (t, entry) in (1i64..).zip(&entries) {
                    let Some(batch) = decoded(entry, t * 1000) else { continue };
                    let requests = batch.requests.len();
                    let answers = ledger.run_batch(batch);
                    prop_assert_eq!(answers.len(), requests, "one answer per request");
                    ledger.read(|state| Ok(check_invariants(state)))?;
                    let disagreement = ledger.read_tree(super::super::coupon_index::disagreement);
                    prop_assert_eq!(disagreement, None, "the listing's indexes agree with the coupons");
                }
            }
        }

        #[test]
        fn mirrors_encode_as_the_real_types() {
            let terms = Terms {
                discount: Disc::Fixed { amount: Decimal::new(500, 2), currency: "EUR".into() },
                max_discount_amount: None,
                min_order_amount: Some(Decimal::new(1, 0)),
                starts_at: Some(2),
                expires_at: 1_000_000,
                usage_limit: 3,
                per_user_limit: Some(1),
                low_stock_threshold: None,
                metadata: r#"{"a":1}"#.into(),
            };
            let keyed = Keyed {
                idempotency: Some(("k".into(), [7; 32])),
                actor: Some("key_a".into()),
                command: Cmd::CreateCoupon { code: Code::Chosen("ABC".into()), terms },
            };
            let real: KeyedCommand = decode(&bincode::serialize(&keyed).unwrap()).unwrap();
            let Command::CreateCoupon { code, terms } = &real.command else { panic!("{real:?}") };
            assert_eq!(
                code,
                &crate::command::CodeChoice::Chosen(
                    crate::domain::CouponCode::parse("ABC").unwrap()
                )
            );
            assert_eq!(terms.discount, Discount::fixed(dec("5.00"), eur()).unwrap());
            assert_eq!(
                (terms.starts_at, terms.expires_at),
                (Some(at(0).saturating_add(std::time::Duration::from_millis(2))), at(1000))
            );
            assert_eq!(
                (terms.usage_limit, terms.per_user_limit, terms.metadata.as_json()),
                (3, Some(1), r#"{"a":1}"#)
            );
            assert_eq!(real.idempotency.as_ref().unwrap().key.as_str(), "k");
            assert_eq!(bincode::serialize(&real).unwrap(), bincode::serialize(&keyed).unwrap());

            let key = Keyed {
                idempotency: None,
                actor: None,
                command: Cmd::CreateKey {
                    id: "key_b".into(),
                    role: KeyRole::Storefront,
                    label: "web".into(),
                    digest: [9; 32],
                },
            };
            let real: KeyedCommand = decode(&bincode::serialize(&key).unwrap()).unwrap();
            let Command::CreateKey(new) = &real.command else { panic!("{real:?}") };
            assert_eq!(
                (new.id.as_str(), new.role, new.digest.0),
                ("key_b", crate::domain::Role::Storefront, [9; 32])
            );
            assert_eq!(bincode::serialize(&real).unwrap(), bincode::serialize(&key).unwrap());

            let redeem = Keyed {
                idempotency: None,
                actor: None,
                command: Cmd::Redeem(Redeem {
                    coupon_id: 4,
                    user_id: "u-1".into(),
                    order_id: Some("o-1".into()),
                    order_amount: Some(Decimal::MAX),
                    currency: None,
                }),
            };
            let real: KeyedCommand = decode(&bincode::serialize(&redeem).unwrap()).unwrap();
            let Command::Redeem(command) = &real.command else { panic!("{real:?}") };
            assert_eq!(
                (command.coupon_id, command.order_amount),
                (CouponId(4), Some(Decimal::MAX))
            );
        }

        /// The forged redeem of the report: a `Decimal::MAX` order on a 100 % coupon, as
        /// `/peer/propose` could once commit it. Every replica overflowed on it; it is refused.
        #[test]
        fn a_redeem_of_decimal_max_on_a_whole_discount_is_refused_not_a_panic() {
            let mut ledger = Ledger::default();
            let whole = Discount::percentage(Decimal::ONE_HUNDRED, None).unwrap();
            let id = ledger.create("ALL-OFF", CouponTerms { discount: whole, ..terms() });
            let forged = Keyed {
                idempotency: None,
                actor: None,
                command: Cmd::Redeem(Redeem {
                    coupon_id: id.0,
                    user_id: "u-1".into(),
                    order_id: None,
                    order_amount: Some(Decimal::MAX),
                    currency: Some("EUR".into()),
                }),
            };
            let command: KeyedCommand = decode(&bincode::serialize(&forged).unwrap()).unwrap();
            let answer = ledger.run(command, at(1));
            assert_eq!(answer.outcome, Outcome::Rejected(Rejection::InvalidCommand));
            assert_eq!(ledger.read(|s| s.coupon(id)).unwrap().times_redeemed, 0);
            assert!(ledger.read(|s| s.coupon_history(id, None, 10)).redemptions.is_empty());
            assert!(matches!(
                ledger.outcome(redeem_by(id, "u-1"), at(2)),
                Outcome::Redeemed { .. }
            ));
        }
    }
}
