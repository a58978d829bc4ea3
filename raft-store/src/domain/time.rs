//! `Timestamp`: the one representation of time inside the replicated state.
//!
//! Milliseconds since the Unix epoch, UTC. Apply never reads a clock: every timestamp comes from a
//! command, stamped by the leader.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::Invalid;
use crate::limits::{TIMESTAMP_MILLIS_MAX, TIMESTAMP_MILLIS_MIN};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Sub-millisecond precision is dropped: the state keeps milliseconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_millis())
    }

    /// `from_datetime`, refused outside the years 0000 to 9999.
    pub fn try_from_datetime(at: DateTime<Utc>) -> Result<Self, Invalid> {
        let stamp = Self::from_datetime(at);
        stamp.check()?;
        Ok(stamp)
    }

    /// Within the bounds the state holds (`TIMESTAMP_MILLIS_MIN` to `..._MAX`).
    pub fn check(self) -> Result<(), Invalid> {
        if (TIMESTAMP_MILLIS_MIN..=TIMESTAMP_MILLIS_MAX).contains(&self.0) {
            Ok(())
        } else {
            Err(Invalid::TimeOutOfRange)
        }
    }

    /// `None` only for instants outside chrono's range, which `from_datetime` cannot produce.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_millis_opt(self.0).single()
    }

    pub fn saturating_add(self, span: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(span)))
    }

    pub fn saturating_sub(self, span: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(span)))
    }
}

fn duration_millis(span: Duration) -> i64 {
    i64::try_from(span.as_millis()).unwrap_or(i64::MAX)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(at) => f.write_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => write!(f, "{}ms", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_chrono_at_millisecond_precision() {
        let at: DateTime<Utc> = "2026-12-31T23:59:59.123456Z".parse().unwrap();
        let stamp = Timestamp::from_datetime(at);
        assert_eq!(stamp.to_string(), "2026-12-31T23:59:59.123Z");
        assert_eq!(Timestamp::from_datetime(stamp.to_datetime().unwrap()), stamp);
    }

    #[test]
    fn the_bounds_are_the_years_rfc_3339_can_write() {
        let first: DateTime<Utc> = "0000-01-01T00:00:00Z".parse().unwrap();
        let last: DateTime<Utc> = "9999-12-31T23:59:59.999Z".parse().unwrap();
        assert_eq!(
            Timestamp::try_from_datetime(first).unwrap().unix_millis(),
            TIMESTAMP_MILLIS_MIN
        );
        assert_eq!(Timestamp::try_from_datetime(last).unwrap().unix_millis(), TIMESTAMP_MILLIS_MAX);
        let after = last + chrono::Duration::milliseconds(1);
        assert_eq!(Timestamp::try_from_datetime(after), Err(Invalid::TimeOutOfRange));
        assert_eq!(Timestamp::from_unix_millis(i64::MIN).check(), Err(Invalid::TimeOutOfRange));
        assert!(Timestamp::from_unix_millis(TIMESTAMP_MILLIS_MAX).to_datetime().is_some());
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let near_end = Timestamp::from_unix_millis(i64::MAX - 1);
        assert_eq!(near_end.saturating_add(Duration::from_secs(1)).unix_millis(), i64::MAX);
        assert_eq!(Timestamp::EPOCH.saturating_sub(Duration::from_secs(1)).unix_millis(), -1000);
    }
}
