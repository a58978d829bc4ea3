//! The listing's indexes of coupons, kept by apply in the batch that writes the coupon: by status
//! (with the instant time next changes it) and by each beginning of the code that more than
//! `CODE_PREFIX_SPARSE_CODES_MAX` codes share (a sparser one is read from the code index). A
//! coupon is indexed again at every write of it, and once log time reaches the next change of its
//! status (`index_due`, bounded per entry), so an index entry never says more than its coupon
//! does.

use std::ops::Bound;

use crate::domain::{Coupon, CouponId, IndexedStatus, Timestamp};
use crate::error::Result;
use crate::keyspace::{
    self, CouponsByCodePrefix, CouponsByStatus, IndexedStatuses, ListedCodePrefixes,
    PrefixedCoupon, StatusChanges,
};
use crate::limits::{
    CODE_PREFIX_INDEXED_CHARS_MAX, CODE_PREFIX_SPARSE_CODES_MAX, STATUS_CHANGES_PER_ENTRY_MAX,
};
use crate::state_reader::StateReader;
use crate::storage::{PendingWrites, ScanOrder};

/// Indexes `coupon`, just written, at log time `now`: moves its status entries when its status
/// or their next change differs, and lists its code's beginnings when it is new (a code never
/// changes).
pub fn index(coupon: &Coupon, now: Timestamp, pending: &mut PendingWrites<'_>) -> Result<()> {
    let previous = keyspace::get::<IndexedStatuses>(&*pending, &coupon.id)?;
    let indexed = IndexedStatus::of(coupon, now);
    if previous == Some(indexed) {
        return Ok(());
    }
    match previous {
        Some(previous) => {
            pending.push(keyspace::delete::<CouponsByStatus>(&(previous.status, coupon.id)));
            if let Some(changes_at) = previous.changes_at {
                pending.push(keyspace::delete::<StatusChanges>(&(changes_at, coupon.id)));
            }
        }
        None => list_code_prefixes(coupon, pending)?,
    }
    pending.push(keyspace::put::<CouponsByStatus>(&(indexed.status, coupon.id), &())?);
    if let Some(changes_at) = indexed.changes_at {
        pending.push(keyspace::put::<StatusChanges>(&(changes_at, coupon.id), &())?);
    }
    pending.push(keyspace::put::<IndexedStatuses>(&coupon.id, &indexed)?);
    Ok(())
}

/// Indexes again the coupons whose status log time `now` has changed (at most
/// `STATUS_CHANGES_PER_ENTRY_MAX`, soonest first); a listing corrects for those still due.
pub fn index_due(now: Timestamp, pending: &mut PendingWrites<'_>) -> Result<()> {
    let due = keyspace::scan::<StatusChanges>(
        &*pending,
        Bound::Unbounded,
        Bound::Included(&(now, CouponId(u64::MAX))),
        ScanOrder::Ascending,
        STATUS_CHANGES_PER_ENTRY_MAX,
    )?;
    for ((_, coupon_id), ()) in due {
        let coupon = StateReader::new(&*pending).coupon(coupon_id)?;
        // Paired with `index`, which lists only a coupon it was given.
        let Some(coupon) = coupon else { panic!("a status change names a missing coupon") };
        index(&coupon, now, pending)?;
    }
    Ok(())
}

/// The code's beginnings the prefix index may list the coupon under, shortest first.
pub fn code_prefixes(coupon: &Coupon) -> impl Iterator<Item = PrefixedCoupon> + '_ {
    let code = coupon.code.as_str();
    // Codes are ASCII (`CouponCode::parse`), so every byte ends a character.
    (1..=code.len().min(CODE_PREFIX_INDEXED_CHARS_MAX)).map(move |length| PrefixedCoupon {
        prefix: code[..length].to_owned(),
        coupon_id: coupon.id,
    })
}

/// Lists the new `coupon` under each beginning of its code that the index lists, and under one
/// that it makes hold more than `CODE_PREFIX_SPARSE_CODES_MAX` codes, with every code there. A
/// longer beginning is held by no more codes than a shorter one, so the first that stays sparse
/// ends the walk: a random code among a million is listed under two beginnings.
fn list_code_prefixes(coupon: &Coupon, pending: &mut PendingWrites<'_>) -> Result<()> {
    for key in code_prefixes(coupon) {
        if prefix_listed(&key.prefix, &*pending)? {
            pending.push(keyspace::put::<CouponsByCodePrefix>(&key, &())?);
            continue;
        }
        // An unlisted beginning held at most the sparse count before this code.
        let limit = CODE_PREFIX_SPARSE_CODES_MAX + 1;
        let codes = keyspace::codes_with_prefix(&*pending, &key.prefix, limit)?;
        // Paired with the write of the coupon's code (`Change::IndexCode`, before its coupon).
        assert!(codes.iter().any(|(_, id)| *id == coupon.id), "a new code is indexed first");
        if codes.len() <= CODE_PREFIX_SPARSE_CODES_MAX {
            return Ok(());
        }
        for (_, coupon_id) in codes {
            let listed = PrefixedCoupon { prefix: key.prefix.clone(), coupon_id };
            pending.push(keyspace::put::<CouponsByCodePrefix>(&listed, &())?);
        }
        pending.push(keyspace::put::<ListedCodePrefixes>(&key.prefix, &())?);
    }
    Ok(())
}

/// Whether the prefix index lists the codes that begin with `prefix` (it lists all or none).
fn prefix_listed(prefix: &str, tree: &dyn crate::storage::ReadTree) -> Result<bool> {
    Ok(keyspace::get::<ListedCodePrefixes>(tree, &prefix.to_owned())?.is_some())
}

/// The first way the listing's indexes differ from the coupons, each indexed afresh at log time
/// (`None`: they agree): the property tests' invariant of the indexes.
#[cfg(test)]
pub fn disagreement(tree: &dyn crate::storage::ReadTree) -> Option<String> {
    use std::collections::BTreeSet;

    fn keys<S: keyspace::KeySpace>(tree: &dyn crate::storage::ReadTree) -> Vec<S::Key> {
        let all = keyspace::scan::<S>(
            tree,
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Ascending,
            usize::MAX,
        );
        all.expect("readable").into_iter().map(|(key, _)| key).collect()
    }

    let log_time = StateReader::new(tree).meta().expect("meta").log_time;
    let coupons = keyspace::scan::<keyspace::Coupons>(
        tree,
        Bound::Unbounded,
        Bound::Unbounded,
        ScanOrder::Ascending,
        usize::MAX,
    )
    .expect("readable");
    let (mut statuses, mut changes) = (BTreeSet::new(), BTreeSet::new());
    let mut prefixes: std::collections::BTreeMap<String, Vec<CouponId>> = Default::default();
    for (id, coupon) in &coupons {
        let indexed = keyspace::get::<IndexedStatuses>(tree, id).expect("readable");
        let fresh = IndexedStatus::of(coupon, log_time);
        if indexed != Some(fresh) {
            return Some(format!("coupon {id} is indexed as {indexed:?}, not {fresh:?}"));
        }
        statuses.insert((fresh.status.as_byte(), *id));
        changes.extend(fresh.changes_at.map(|at| (at, *id)));
        for key in code_prefixes(coupon) {
            prefixes.entry(key.prefix).or_default().push(key.coupon_id);
        }
    }
    // Listed: every code of a beginning more than the sparse count of codes share, none of another.
    let mut prefixes: Vec<_> = prefixes
        .into_iter()
        .filter(|(_, ids)| ids.len() > CODE_PREFIX_SPARSE_CODES_MAX)
        .flat_map(|(prefix, ids)| ids.into_iter().map(move |id| (prefix.clone(), id)))
        .collect();
    let indexed: BTreeSet<_> = keys::<CouponsByStatus>(tree)
        .into_iter()
        .map(|(status, id)| (status.as_byte(), id))
        .collect();
    if indexed != statuses {
        return Some(format!("status index {indexed:?}, coupons say {statuses:?}"));
    }
    let indexed: BTreeSet<_> = keys::<StatusChanges>(tree).into_iter().collect();
    if indexed != changes {
        return Some(format!("status changes {indexed:?}, coupons say {changes:?}"));
    }
    let listed: BTreeSet<String> = prefixes.iter().map(|(prefix, _)| prefix.clone()).collect();
    let marked: BTreeSet<String> = keys::<ListedCodePrefixes>(tree).into_iter().collect();
    if marked != listed {
        return Some(format!("listed code prefixes {marked:?}, coupons say {listed:?}"));
    }
    let mut indexed: Vec<_> = keys::<CouponsByCodePrefix>(tree)
        .into_iter()
        .map(|key| (key.prefix, key.coupon_id))
        .collect();
    indexed.sort();
    prefixes.sort();
    if indexed != prefixes {
        return Some(format!("code prefixes {indexed:?}, coupons say {prefixes:?}"));
    }
    let listed = keys::<IndexedStatuses>(tree).len();
    (listed != coupons.len())
        .then(|| format!("{listed} indexed statuses for {} coupons", coupons.len()))
}

#[cfg(test)]
mod tests {
    //! One test per filter of the listing, run through apply on the real key spaces, each also
    //! holding the indexes to the coupons (`disagreement`).

    use super::super::tests::ledger::*;
    use super::disagreement;
    use crate::command::{CodeChoice, Command, KeyedCommand};
    use crate::domain::fixtures::*;
    use crate::domain::{
        CouponChanges, CouponCode, CouponId, CouponStatus, CouponTerms, Timestamp,
    };
    use crate::limits::CODE_PREFIX_SPARSE_CODES_MAX;
    use crate::outcome::Outcome;
    use crate::state_reader::{CouponFilter, CouponPage};

    fn listed(ledger: &Ledger, filter: &CouponFilter) -> Vec<u64> {
        let page = ledger.read(|s| s.coupons_page(filter, None, 500));
        assert_eq!(page.next_after, None, "one page holds them all");
        assert_eq!(ledger.read_tree(disagreement), None);
        page.coupons.iter().map(|coupon| coupon.id.0).collect()
    }

    fn by_status(status: CouponStatus, now: Timestamp) -> CouponFilter {
        CouponFilter { status: Some((status, now)), ..CouponFilter::default() }
    }

    #[test]
    fn each_status_lists_its_coupons_and_follows_time_and_counts() {
        // Goal: the index by status answers every status, as time passes (swept by apply, or
        // overtaken by the listing's instant) and as redeems and rollbacks move the counts.
        let mut ledger = Ledger::default();
        let active = ledger.create("ACTIVE", terms());
        let inactive = ledger.create("INACTIVE", terms());
        let later = ledger.create("LATER", CouponTerms { starts_at: Some(at(500)), ..terms() });
        let soon = ledger.create("SOON", CouponTerms { expires_at: at(20), ..terms() });
        let single = ledger.create("SINGLE", CouponTerms { usage_limit: 1, ..terms() });
        ledger.outcome(Command::Deactivate { coupon_id: inactive }, at(1));
        let Outcome::Redeemed { redemption, .. } = ledger.outcome(redeem_by(single, "u"), at(2))
        else {
            panic!("redeemed")
        };
        let ids = |ids: &[CouponId]| ids.iter().map(|id| id.0).collect::<Vec<_>>();
        let now = at(10);
        assert_eq!(listed(&ledger, &by_status(CouponStatus::Active, now)), ids(&[active, soon]));
        assert_eq!(listed(&ledger, &by_status(CouponStatus::Inactive, now)), ids(&[inactive]));
        assert_eq!(listed(&ledger, &by_status(CouponStatus::NotStarted, now)), ids(&[later]));
        assert_eq!(listed(&ledger, &by_status(CouponStatus::Exhausted, now)), ids(&[single]));
        assert!(listed(&ledger, &by_status(CouponStatus::Expired, now)).is_empty());

        // Log time passes SOON's expiry: apply indexes it again.
        ledger.pass_time_to(at(30));
        assert_eq!(listed(&ledger, &by_status(CouponStatus::Expired, at(30))), ids(&[soon]));
        // An instant ahead of log time: LATER has started, whatever its indexed status says.
        let ahead = by_status(CouponStatus::Active, at(600));
        assert_eq!(listed(&ledger, &ahead), ids(&[active, later]));
        // A listing's instant is never before log time.
        let behind = by_status(CouponStatus::Active, at(0));
        assert_eq!(listed(&ledger, &behind), ids(&[active]));

        ledger.outcome(Command::RollBack { redemption_id: redemption.id }, at(31));
        let now = at(31);
        assert_eq!(listed(&ledger, &by_status(CouponStatus::Active, now)), ids(&[active, single]));
        assert!(listed(&ledger, &by_status(CouponStatus::Exhausted, now)).is_empty());
        let longer = CouponChanges { expires_at: Some(at(2000)), ..CouponChanges::default() };
        let update = Command::UpdateCoupon { coupon_id: soon, changes: longer };
        assert!(matches!(ledger.outcome(update, at(32)), Outcome::Updated(_)));
        let now = at(32);
        assert_eq!(
            listed(&ledger, &by_status(CouponStatus::Active, now)),
            ids(&[active, soon, single])
        );
    }

    #[test]
    fn a_status_that_few_coupons_have_is_one_short_read_among_many() {
        // Goal: one expired coupon after more coupons than a page may examine is found on the
        // first page, with no cursor: the listing reads the index, not the coupons.
        let mut ledger = Ledger::default();
        let create = |n: usize| {
            let code = CodeChoice::Chosen(CouponCode::parse(&format!("MANY-{n}")).unwrap());
            let command = Command::CreateCoupon { code, terms: terms() };
            KeyedCommand { idempotency: None, actor: None, command }
        };
        for chunk in 0..12 {
            ledger.run_entry((chunk * 500..chunk * 500 + 500).map(create).collect(), at(1));
        }
        let last = ledger.create("LAST", CouponTerms { expires_at: at(5), ..terms() });
        ledger.pass_time_to(at(6));
        let page =
            ledger.read(|s| s.coupons_page(&by_status(CouponStatus::Expired, at(6)), None, 50));
        assert_eq!(
            page,
            CouponPage {
                coupons: vec![ledger.read(|s| s.coupon(last)).unwrap()],
                next_after: None
            }
        );
        let active = ledger.read(|s| {
            s.coupons_page(&by_status(CouponStatus::Active, at(6)), Some(CouponId(5990)), 50)
        });
        assert_eq!(active.coupons.len(), 10, "6000 active coupons, from 5991 on");
        assert_eq!(active.next_after, None);
    }

    #[test]
    fn a_code_prefix_lists_its_codes_longer_prefixes_too() {
        // Goal: the index by code prefix answers prefixes up to its indexed length exactly, and
        // longer ones through it, checked on the coupon.
        let mut ledger = Ledger::default();
        let xmas = ledger.create("XMAS-A1", terms());
        ledger.create("SUMMER-1", terms());
        let xmas2 = ledger.create("XMAS-B2", terms());
        let long = ledger.create("ABCDEFGHIJKLMNOPQR-1", terms());
        ledger.create("ABCDEFGHIJKLMNOPQZ-2", terms());
        let prefix = |prefix: &str| CouponFilter {
            code_prefix: Some(prefix.to_owned()),
            ..CouponFilter::default()
        };
        assert_eq!(listed(&ledger, &prefix("XMAS-")), vec![xmas.0, xmas2.0]);
        assert_eq!(listed(&ledger, &prefix("XMAS-B")), vec![xmas2.0]);
        assert_eq!(listed(&ledger, &prefix("ABCDEFGHIJKLMNOPQR")), vec![long.0]);
        assert!(listed(&ledger, &prefix("NONE")).is_empty());
    }

    #[test]
    fn a_prefix_that_many_codes_share_is_listed_entry_by_entry_and_pages_in_id_order() {
        // Goal: a beginning shared by more codes than the sparse count gets index entries of its
        // own for every code (those before it grew so included), a sparse one is read from the
        // code index, and both list and page in id order. Steps: codes BULK-n, with other codes
        // between them; list BULK- in pages of 7, BULK-1 (sparse) and BULK- with a status.
        let mut ledger = Ledger::default();
        let shared = CODE_PREFIX_SPARSE_CODES_MAX as u64 + 6;
        let mut bulk = Vec::new();
        for n in 0..shared {
            bulk.push(ledger.create(&format!("BULK-{n}"), terms()).0);
            ledger.create(&format!("OTHER-{n}"), terms());
        }
        assert_eq!(ledger.read_tree(disagreement), None);
        let prefix = |prefix: &str| CouponFilter {
            code_prefix: Some(prefix.to_owned()),
            ..CouponFilter::default()
        };
        assert_eq!(listed(&ledger, &prefix("BULK-")), bulk);
        assert_eq!(listed(&ledger, &prefix("B")), bulk);
        let (mut paged, mut after) = (Vec::new(), None);
        for _ in 0..bulk.len() {
            let page = ledger.read(|s| s.coupons_page(&prefix("BULK-"), after, 7));
            paged.extend(page.coupons.iter().map(|coupon| coupon.id.0));
            after = page.next_after;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(paged, bulk);
        let ones: Vec<u64> = (0..shared)
            .filter(|n| n.to_string().starts_with('1'))
            .map(|n| bulk[n as usize])
            .collect();
        assert_eq!(listed(&ledger, &prefix("BULK-1")), ones);
        ledger.outcome(Command::Deactivate { coupon_id: CouponId(bulk[3]) }, at(1));
        let active = CouponFilter {
            code_prefix: Some("BULK-".into()),
            ..by_status(CouponStatus::Active, at(1))
        };
        let mut expected = bulk.clone();
        expected.remove(3);
        assert_eq!(listed(&ledger, &active), expected);
        assert!(
            listed(&ledger, &prefix("")).len() == 2 * shared as usize,
            "the empty prefix is no filter"
        );
    }

    #[test]
    fn a_campaign_and_creation_time_and_their_combinations_page_in_id_order() {
        // Goal: the campaign's index, the creation-time bound and a combination of filters (a
        // prefix and a status: the leapfrog of two indexes) page by cursor in id order.
        let mut ledger = Ledger::default();
        let mut ids = Vec::new();
        for n in 0..6u64 {
            let code = CodeChoice::Chosen(CouponCode::parse(&format!("P{}-{n}", n % 2)).unwrap());
            let command = Command::CreateCoupon { code, terms: terms() };
            let Outcome::Created(coupon) = ledger.outcome(command, at(n as i64)) else { panic!() };
            ids.push(coupon.id);
        }
        ledger.outcome(Command::Deactivate { coupon_id: ids[2] }, at(7));
        let filter = CouponFilter {
            code_prefix: Some("P0".into()),
            status: Some((CouponStatus::Active, at(7))),
            ..CouponFilter::default()
        };
        let first = ledger.read(|s| s.coupons_page(&filter, None, 1));
        assert_eq!(first.coupons[0].id, ids[0]);
        assert_eq!(first.next_after, Some(ids[0]));
        let second = ledger.read(|s| s.coupons_page(&filter, first.next_after, 1));
        assert_eq!((second.coupons[0].id, second.next_after), (ids[4], None));
        let recent = CouponFilter { created_after: Some(at(3)), ..CouponFilter::default() };
        assert_eq!(listed(&ledger, &recent), vec![ids[4].0, ids[5].0]);
        let past_the_end = ledger.read(|s| s.coupons_page(&filter, Some(CouponId(u64::MAX)), 5));
        assert_eq!(past_the_end, CouponPage { coupons: Vec::new(), next_after: None });
    }

    #[test]
    fn intersections_page_as_a_filter_of_every_coupon_would() {
        // Goal: the leapfrog of two long indexes whose ids interleave (a busy prefix and a
        // status), of a sparse prefix and a status, and of a status no coupon has, lists exactly
        // what a filter applied to every coupon lists, page after page.
        let mut ledger = Ledger::default();
        let mut coupons = Vec::new();
        for n in 0..700u64 {
            // Three busy prefixes whose ids interleave; three in eight inactive, and a run of 40.
            let id = ledger.create(&format!("R{}-{n}", n % 3), terms());
            if n % 8 < 3 || (300..340).contains(&n) {
                ledger.outcome(Command::Deactivate { coupon_id: id }, at(1));
            }
            coupons.push(id);
        }
        let now = at(2);
        let all: Vec<_> = ledger.read(|s| {
            coupons.iter().map(|id| s.coupon(*id).map(|coupon| coupon.expect("created"))).collect()
        });
        for (prefix, status) in [
            ("R1", CouponStatus::Inactive),
            ("R1", CouponStatus::Active),
            ("R2-1", CouponStatus::Inactive),
            ("R0", CouponStatus::Exhausted),
        ] {
            let filter = CouponFilter {
                code_prefix: Some(prefix.into()),
                status: Some((status, now)),
                ..CouponFilter::default()
            };
            let expected: Vec<u64> =
                all.iter().filter(|c| filter.admits(c)).map(|c| c.id.0).collect();
            let (mut paged, mut after) = (Vec::new(), None);
            for _ in 0..all.len() {
                let page = ledger.read(|s| s.coupons_page(&filter, after, 7));
                paged.extend(page.coupons.iter().map(|coupon| coupon.id.0));
                after = page.next_after;
                if after.is_none() {
                    break;
                }
            }
            assert_eq!(after, None, "{prefix} {status:?}: the walk ends");
            assert_eq!(paged, expected, "{prefix} {status:?}");
        }
    }
}
