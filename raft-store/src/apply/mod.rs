//! Apply: the one pure function that decides a request against the current state.
//!
//! `apply(request, now, counters, state)` reads through `state`, never writes, never looks at a
//! clock or a random source: every node that applies the same log decides the same. The state
//! machine writes the returned changes (and the new counters) atomically.

mod change;
mod coupon_commands;
mod redeem;

use crate::command::{Batch, Command, Request};
use crate::domain::Timestamp;
use crate::error::Result;
use crate::idempotency::IdempotencyRecord;
use crate::limits::{IDEMPOTENCY_EXPIRY_LISTINGS_PER_ENTRY_MAX, IDEMPOTENCY_RETENTION};
use crate::outcome::{Outcome, Rejection, Response, Responses};
use crate::state_meta::{Counters, StateMeta};
use crate::state_reader::StateReader;
use crate::storage::PendingWrites;

pub use change::{write_change, Change};

/// What applying one request decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub response: Response,
    pub changes: Vec<Change>,
    pub counters: Counters,
}

/// Decides `request` at log time `now`. An idempotency key seen before returns the stored
/// outcome (same request) or `IdempotencyKeyReused` (another request), and changes nothing.
pub fn apply(
    request: &Request,
    now: Timestamp,
    counters: Counters,
    state: &StateReader<'_>,
) -> Result<Decision> {
    if let Some(token) = &request.idempotency {
        if let Some(record) = recorded_outcome(state, &token.key)? {
            let (outcome, replayed) = if record.fingerprint == token.fingerprint {
                (record.outcome, true)
            } else {
                (Outcome::Rejected(Rejection::IdempotencyKeyReused), false)
            };
            return Ok(Decision {
                response: Response { outcome, replayed },
                changes: Vec::new(),
                counters,
            });
        }
    }
    let (outcome, mut changes, counters) = decide(&request.command, now, counters, state)?;
    if let Some(token) = &request.idempotency {
        let record = IdempotencyRecord {
            fingerprint: token.fingerprint,
            outcome: outcome.clone(),
            recorded_at: now,
        };
        changes
            .push(Change::RecordIdempotency { key: token.key.clone(), record: Box::new(record) });
    }
    Ok(Decision { response: Response { outcome, replayed: false }, changes, counters })
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
        Command::ConfirmAlertDelivery { alert_ids } => {
            let changes = coupon_commands::confirm_alert_delivery(alert_ids, now, state)?;
            Ok((Outcome::AlertDeliveryConfirmed, changes, counters))
        }
    }
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

/// Applies the batch of log entry `entry_index`: every request in order, each seeing the writes of
/// those before it, then the entry's idempotency bookkeeping. Everything lands in `pending`, for
/// the caller to commit atomically.
pub fn apply_batch(
    batch: &Batch,
    entry_index: u64,
    meta: &mut StateMeta,
    pending: &mut PendingWrites<'_>,
) -> Result<Responses> {
    meta.log_time = meta.log_time.max(batch.stamped_at);
    let mut responses = Vec::with_capacity(batch.requests.len());
    let mut recorded = Vec::new();
    for request in &batch.requests {
        let decision = apply(request, meta.log_time, meta.counters, &StateReader::new(&*pending))?;
        meta.counters = decision.counters;
        for change in decision.changes {
            if let Change::RecordIdempotency { key, .. } = &change {
                recorded.push(key.clone());
            }
            write_change(change, pending)?;
        }
        responses.push(decision.response);
    }
    if !recorded.is_empty() {
        let listing =
            Change::ListIdempotencyKeys { recorded_at: meta.log_time, entry_index, keys: recorded };
        write_change(listing, pending)?;
    }
    for change in expire_idempotency(meta.log_time, &StateReader::new(&*pending))? {
        write_change(change, pending)?;
    }
    Ok(Responses(responses))
}

#[cfg(test)]
mod tests;
