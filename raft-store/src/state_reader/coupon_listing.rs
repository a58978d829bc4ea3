//! The coupon listing: one page of the coupons a filter admits, oldest first by id, read through
//! the listing's indexes (kept by apply: `apply::coupon_index`). Each filter names an index that
//! holds, in id order, every coupon it may admit; a page is the ids all of them hold (found by
//! leapfrogging: each index seeks to the largest id another proposed), each checked on its coupon.
//! So a page of one filter reads about as many index entries and coupons as it lists, whatever
//! the number of coupons. An intersection is driven by its most selective index whatever the
//! order of the filters: every round of turns moves past at least one id of each index, so a walk
//! takes at most (indexes x (ids of the most selective index in its range + 1)) steps. Proving an
//! intersection empty still reads that many entries (as PostgreSQL's bitmap AND of two indexes
//! reads both ranges); `LISTING_SCAN_MAX` bounds each page of it, which then ends short with a
//! cursor.
//!
//! A code prefix that few codes share (`CODE_PREFIX_SPARSE_CODES_MAX`) has no index entries of its
//! own: its codes are one short range of the code index, read whole and put in id order.
//!
//! Statuses move with time. An indexed status holds until its `changes_at`; apply indexes a
//! coupon again once log time reaches it, but a listing's instant (the node's clock, never before
//! log time) may be ahead, so the coupons whose change is due by then are read too and checked
//! like the rest.

use std::ops::Bound;

use crate::domain::{CampaignId, Coupon, CouponId, CouponStatus, Timestamp};
use crate::error::Result;
use crate::keyspace::{
    self, Coupons, CouponsByCodePrefix, CouponsByStatus, PrefixedCoupon, StatusChanges,
};
use crate::limits::{
    CODE_PREFIX_INDEXED_CHARS_MAX, CODE_PREFIX_SPARSE_CODES_MAX, LISTING_SCAN_MAX,
    STATUS_CHANGES_READ_MAX,
};
use crate::storage::ScanOrder;

use super::StateReader;

/// Which coupons a listing shows; `None` fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CouponFilter {
    /// Where a coupon stands at the listing's instant (taken no earlier than log time).
    pub status: Option<(CouponStatus, Timestamp)>,
    /// Normalised (upper case), as codes are stored.
    pub code_prefix: Option<String>,
    /// Created strictly after this instant.
    pub created_after: Option<Timestamp>,
    /// Codes of this campaign only.
    pub campaign_id: Option<CampaignId>,
}

impl CouponFilter {
    /// Whether `coupon` passes every condition of the filter.
    pub fn admits(&self, coupon: &Coupon) -> bool {
        self.status.is_none_or(|(status, now)| CouponStatus::of(coupon, now) == status)
            && self
                .code_prefix
                .as_ref()
                .is_none_or(|prefix| coupon.code.as_str().starts_with(prefix.as_str()))
            && self.created_after.is_none_or(|after| coupon.created_at > after)
    }
}

/// One page of a coupon listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponPage {
    pub coupons: Vec<Coupon>,
    /// The id to pass as `after` for the next page; `None` once the listing is complete.
    pub next_after: Option<CouponId>,
}

/// One filter's index: every coupon the filter may admit, in id order.
enum Candidates {
    Status {
        status: CouponStatus,
        /// Coupons whose indexed status the listing's instant has overtaken, in id order.
        overtaken: Vec<CouponId>,
    },
    Campaign(CampaignId),
    /// The entries of a prefix the index lists.
    CodePrefix(String),
    /// The coupons of a sparse prefix, in id order.
    SparsePrefix(Vec<CouponId>),
}

/// The smallest of `ids` (in order) from `from` on.
fn first_of(ids: &[CouponId], from: CouponId) -> Option<CouponId> {
    ids.get(ids.partition_point(|id| *id < from)).copied()
}

impl Candidates {
    /// The smallest id from `from` on that this index holds.
    fn first_from(&self, state: &StateReader<'_>, from: CouponId) -> Result<Option<CouponId>> {
        Ok(match self {
            Self::Status { status, overtaken } => {
                let indexed = keyspace::scan::<CouponsByStatus>(
                    state.tree,
                    Bound::Included(&(*status, from)),
                    Bound::Included(&(*status, CouponId(u64::MAX))),
                    ScanOrder::Ascending,
                    1,
                )?;
                let indexed = indexed.first().map(|((_, id), ())| *id);
                indexed.into_iter().chain(first_of(overtaken, from)).min()
            }
            Self::Campaign(campaign_id) => {
                let after = from.0.checked_sub(1).map(CouponId);
                state.campaign_codes(*campaign_id, after, 1)?.first().copied()
            }
            Self::CodePrefix(prefix) => {
                let key = |coupon_id| PrefixedCoupon { prefix: prefix.clone(), coupon_id };
                let found = keyspace::scan::<CouponsByCodePrefix>(
                    state.tree,
                    Bound::Included(&key(from)),
                    Bound::Included(&key(CouponId(u64::MAX))),
                    ScanOrder::Ascending,
                    1,
                )?;
                found.first().map(|(key, ())| key.coupon_id)
            }
            Self::SparsePrefix(ids) => first_of(ids, from),
        })
    }
}

impl StateReader<'_> {
    /// Coupons with ids above `after` that `filter` admits, oldest first, at most `limit`. Found
    /// through the indexes; a page examines at most `LISTING_SCAN_MAX` candidates, so a page of
    /// several filters whose indexes interleave may come back short with a cursor, as may one
    /// read while apply is far behind with status changes (`STATUS_CHANGES_READ_MAX`).
    pub fn coupons_page(
        &self,
        filter: &CouponFilter,
        after: Option<CouponId>,
        limit: usize,
    ) -> Result<CouponPage> {
        let Some(mut from) =
            after.map_or(Some(CouponId(1)), |after| after.0.checked_add(1).map(CouponId))
        else {
            return Ok(CouponPage { coupons: Vec::new(), next_after: None });
        };
        if let Some(created_after) = filter.created_after {
            from = from.max(self.first_created_after(created_after)?);
        }
        let mut filter = filter.clone();
        let mut indexes = Vec::new();
        if let Some((status, now)) = filter.status {
            // An indexed status is right from its indexing (at a log time) to its change.
            let now = now.max(self.meta()?.log_time);
            filter.status = Some((status, now));
            let Some(overtaken) = self.status_changes_due(now)? else {
                return self.scanned_page(&filter, from, limit);
            };
            indexes.push(Candidates::Status { status, overtaken });
        }
        if let Some(campaign_id) = filter.campaign_id {
            indexes.push(Candidates::Campaign(campaign_id));
        }
        // Every code begins with the empty prefix: it filters nothing.
        if let Some(prefix) = filter.code_prefix.as_deref().filter(|prefix| !prefix.is_empty()) {
            indexes.push(self.code_prefix_candidates(prefix)?);
        }
        if indexes.is_empty() {
            return self.scanned_page(&filter, from, limit);
        }
        self.indexed_page(&filter, &indexes, from, limit)
    }

    /// The coupons whose code begins with `prefix`: read from the code index when they are few,
    /// else the prefix index's entries of its first `CODE_PREFIX_INDEXED_CHARS_MAX` characters,
    /// which hold them all (more than the sparse count share those too, so they are listed).
    fn code_prefix_candidates(&self, prefix: &str) -> Result<Candidates> {
        let limit = CODE_PREFIX_SPARSE_CODES_MAX + 1;
        let codes = keyspace::codes_with_prefix(self.tree, prefix, limit)?;
        if codes.len() <= CODE_PREFIX_SPARSE_CODES_MAX {
            let mut ids: Vec<CouponId> = codes.into_iter().map(|(_, id)| id).collect();
            ids.sort_unstable();
            return Ok(Candidates::SparsePrefix(ids));
        }
        let indexed = prefix.len().min(CODE_PREFIX_INDEXED_CHARS_MAX);
        Ok(Candidates::CodePrefix(prefix[..indexed].to_owned()))
    }

    /// The page of ids every one of `indexes` holds, from `from` on, each checked on its coupon.
    fn indexed_page(
        &self,
        filter: &CouponFilter,
        indexes: &[Candidates],
        from: CouponId,
        limit: usize,
    ) -> Result<CouponPage> {
        let mut coupons = Vec::with_capacity(limit.min(64) + 1);
        // Leapfrog: the candidate moves up until every index holds it. Every id below it is
        // decided: listed, or missing from an index.
        let (mut candidate, mut agreeing, mut turn) = (from, 0, 0);
        for _ in 0..LISTING_SCAN_MAX {
            match indexes[turn].first_from(self, candidate)? {
                None => return Ok(CouponPage { coupons, next_after: None }),
                Some(id) if id == candidate => agreeing += 1,
                Some(id) => (candidate, agreeing) = (id, 1),
            }
            turn = (turn + 1) % indexes.len();
            if agreeing < indexes.len() {
                continue;
            }
            let Some(coupon) = self.coupon(candidate)? else {
                panic!("the listing's indexes name a missing coupon {candidate}");
            };
            if filter.admits(&coupon) {
                coupons.push(coupon);
            }
            // One more than the page, to learn whether another page follows.
            if coupons.len() > limit {
                coupons.truncate(limit);
                let next_after = coupons.last().map(|coupon| coupon.id);
                return Ok(CouponPage { coupons, next_after });
            }
            let Some(next) = candidate.0.checked_add(1) else {
                return Ok(CouponPage { coupons, next_after: None });
            };
            (candidate, agreeing) = (CouponId(next), 0);
        }
        // Out of budget: go on after the last id decided.
        Ok(CouponPage { coupons, next_after: Some(CouponId(candidate.0 - 1)) })
    }

    /// The coupons whose status change is due by `now`, in id order: those apply has not yet
    /// indexed again. `None` when there are more than `STATUS_CHANGES_READ_MAX`.
    fn status_changes_due(&self, now: Timestamp) -> Result<Option<Vec<CouponId>>> {
        let due = keyspace::scan::<StatusChanges>(
            self.tree,
            Bound::Unbounded,
            Bound::Included(&(now, CouponId(u64::MAX))),
            ScanOrder::Ascending,
            STATUS_CHANGES_READ_MAX + 1,
        )?;
        if due.len() > STATUS_CHANGES_READ_MAX {
            return Ok(None);
        }
        let mut ids: Vec<CouponId> = due.into_iter().map(|((_, id), ())| id).collect();
        ids.sort_unstable();
        Ok(Some(ids))
    }

    /// The page found by examining coupons in id order from `from` (at most `LISTING_SCAN_MAX`):
    /// the listing without a filter that has an index, and the fallback of a listing by status
    /// while apply is far behind with status changes.
    fn scanned_page(
        &self,
        filter: &CouponFilter,
        mut from: CouponId,
        limit: usize,
    ) -> Result<CouponPage> {
        let mut coupons = Vec::with_capacity(limit.min(64) + 1);
        let mut examined = 0;
        loop {
            // One more than the page, to learn whether another page follows.
            let chunk = (LISTING_SCAN_MAX - examined).min(limit + 1);
            let batch = keyspace::scan::<Coupons>(
                self.tree,
                Bound::Included(&from),
                Bound::Unbounded,
                ScanOrder::Ascending,
                chunk,
            )?;
            examined += batch.len();
            let complete = batch.len() < chunk;
            let last = batch.last().map(|(id, _)| *id);
            coupons
                .extend(batch.into_iter().map(|(_, coupon)| coupon).filter(|c| filter.admits(c)));
            if coupons.len() > limit {
                coupons.truncate(limit);
                let next_after = coupons.last().map(|coupon| coupon.id);
                return Ok(CouponPage { coupons, next_after });
            }
            let next = last.and_then(|last| last.0.checked_add(1));
            match next {
                Some(next) if !complete && examined < LISTING_SCAN_MAX => from = CouponId(next),
                // Out of budget: go on after the last coupon looked at.
                _ if !complete => return Ok(CouponPage { coupons, next_after: last }),
                _ => return Ok(CouponPage { coupons, next_after: None }),
            }
        }
    }

    /// The smallest coupon id created after `instant` (one past the last id if none is): ids are
    /// handed out in log order and log time never goes back, so creation times grow with the id.
    fn first_created_after(&self, instant: Timestamp) -> Result<CouponId> {
        let next = self.meta()?.counters.next_coupon_id;
        let (mut low, mut high) = (1u64, next.0);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.coupon(CouponId(middle))? {
                Some(coupon) if coupon.created_at > instant => high = middle,
                _ => low = middle + 1,
            }
        }
        Ok(CouponId(low))
    }
}
