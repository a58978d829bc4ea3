//! `LatencyMatrix`: the one-way delay between two regions, the same both ways.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context as _};

/// One-way delays by unordered pair of regions (`eu:us=40` is also `us:eu`); a region's delay to
/// itself is a pair like any other (`eu:eu=1`), so nothing is assumed for a pair left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyMatrix {
    one_way: BTreeMap<(String, String), Duration>,
}

impl LatencyMatrix {
    /// The delay from `source` to `destination`, if the matrix has that pair.
    pub fn one_way(&self, source: &str, destination: &str) -> Option<Duration> {
        self.one_way.get(&pair(source, destination)).copied()
    }

    /// Adds one `A:B=MS` entry; a pair given twice is refused, so a typo cannot hide.
    pub fn insert_entry(&mut self, entry: &str) -> anyhow::Result<()> {
        let (regions, millis) =
            entry.split_once('=').with_context(|| format!("'{entry}' is not A:B=MS"))?;
        let (source, destination) =
            regions.split_once(':').with_context(|| format!("'{entry}' is not A:B=MS"))?;
        let millis: u64 = millis
            .trim()
            .parse()
            .with_context(|| format!("'{entry}': MS is not a whole number"))?;
        let (source, destination) = (source.trim(), destination.trim());
        if source.is_empty() || destination.is_empty() {
            bail!("'{entry}' names an empty region");
        }
        if self.one_way.insert(pair(source, destination), Duration::from_millis(millis)).is_some() {
            bail!("the pair {source}:{destination} is given twice");
        }
        Ok(())
    }
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(entries: &[&str]) -> LatencyMatrix {
        let mut matrix = LatencyMatrix::default();
        for entry in entries {
            matrix.insert_entry(entry).unwrap();
        }
        matrix
    }

    #[test]
    fn a_pair_is_the_same_both_ways_and_only_given_pairs_exist() {
        let matrix = matrix(&["eu:us=40", "eu:eu=1"]);
        assert_eq!(matrix.one_way("eu", "us"), Some(Duration::from_millis(40)));
        assert_eq!(matrix.one_way("us", "eu"), Some(Duration::from_millis(40)));
        assert_eq!(matrix.one_way("eu", "eu"), Some(Duration::from_millis(1)));
        assert_eq!(matrix.one_way("us", "us"), None);
    }

    #[test]
    fn malformed_and_repeated_entries_are_refused() {
        let mut matrix = LatencyMatrix::default();
        for bad in ["eu:us", "eu=40", "eu:us=forty", ":us=4", "eu:us=-1"] {
            assert!(matrix.insert_entry(bad).is_err(), "{bad}");
        }
        matrix.insert_entry("eu:us=40").unwrap();
        assert!(matrix.insert_entry("us:eu=41").is_err());
    }
}
