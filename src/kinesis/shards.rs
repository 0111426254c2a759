//! The shards of a stream and their lineage: which shard may be read now, which waits for its
//! parents, which is drained. A pure bookkeeping of the `ListShards` answers, so that the order
//! Kinesis asks for after a reshard (every record of a parent before any of its children) is
//! decided in one place and tested without a network.

use std::collections::{BTreeMap, BTreeSet};

/// One shard as `ListShards` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    /// `shardId-000000000000`.
    pub id: String,
    /// The shard it was split from, or one of the two it was merged from.
    pub parent: Option<String>,
    /// The other shard of a merge.
    pub adjacent_parent: Option<String>,
}

/// Where a shard is in its life, as this reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShardState {
    /// Known, waiting for a parent to be drained.
    Waiting,
    /// Being read.
    Reading,
    /// Closed and read to its end.
    Drained,
}

/// Where a shard's first iterator starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A shard listed when the run began: where `--from` says.
    FromFlag,
    /// A child of a shard this reader read (or saw): from its first record, so that nothing
    /// written after the reshard is missed.
    TrimHorizon,
}

/// The shards of one stream.
#[derive(Debug, Default)]
pub struct Lineage {
    shards: BTreeMap<String, (ShardInfo, ShardState, Origin)>,
    /// True once the first listing was taken in.
    listed: bool,
}

impl Lineage {
    /// Takes in a `ListShards` answer and returns the shards that may be read now, each with
    /// where to start. The first listing's shards start where `--from` says; shards that
    /// appear later (children of a reshard) from their beginning. A shard waits while one of
    /// its parents is known and not drained; a parent the stream no longer lists (past its
    /// retention) does not hold its children back.
    pub fn update(&mut self, listing: Vec<ShardInfo>) -> Vec<(String, Origin)> {
        let origin = if self.listed {
            Origin::TrimHorizon
        } else {
            Origin::FromFlag
        };
        self.listed = true;
        for shard in listing {
            self.shards
                .entry(shard.id.clone())
                .or_insert((shard, ShardState::Waiting, origin));
        }
        self.ready()
    }

    /// Marks `id` drained (its iterator ran out: the shard is closed and read to its end) and
    /// returns the children that may be read now.
    pub fn drained(&mut self, id: &str) -> Vec<(String, Origin)> {
        if let Some(entry) = self.shards.get_mut(id) {
            entry.1 = ShardState::Drained;
        }
        self.ready()
    }

    /// The number of shards being read.
    pub fn reading(&self) -> usize {
        self.count(ShardState::Reading)
    }

    /// The number of shards drained.
    pub fn drained_count(&self) -> usize {
        self.count(ShardState::Drained)
    }

    fn count(&self, state: ShardState) -> usize {
        self.shards.values().filter(|(_, s, _)| *s == state).count()
    }

    /// The waiting shards whose known parents are all drained, now marked as being read.
    fn ready(&mut self) -> Vec<(String, Origin)> {
        let blocked: BTreeSet<&str> = self
            .shards
            .iter()
            .filter(|(_, (_, state, _))| *state != ShardState::Drained)
            .map(|(id, _)| id.as_str())
            .collect();
        let start: Vec<(String, Origin)> = self
            .shards
            .values()
            .filter(|(info, state, _)| {
                *state == ShardState::Waiting
                    && [&info.parent, &info.adjacent_parent]
                        .into_iter()
                        .flatten()
                        .all(|parent| !blocked.contains(parent.as_str()))
            })
            .map(|(info, _, origin)| (info.id.clone(), *origin))
            .collect();
        for (id, _) in &start {
            if let Some(entry) = self.shards.get_mut(id) {
                entry.1 = ShardState::Reading;
            }
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parent: Option<&str>, adjacent: Option<&str>) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parent: parent.map(Into::into),
            adjacent_parent: adjacent.map(Into::into),
        }
    }

    fn ids(start: &[(String, Origin)]) -> Vec<&str> {
        start.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn open_shards_of_the_first_listing_start_at_once_where_the_flag_says() {
        let mut lineage = Lineage::default();
        let start = lineage.update(vec![shard("s0", None, None), shard("s1", None, None)]);
        assert_eq!(
            start,
            [
                ("s0".to_owned(), Origin::FromFlag),
                ("s1".to_owned(), Origin::FromFlag)
            ]
        );
        assert_eq!(lineage.reading(), 2);
        // Listed again: nothing new to start.
        assert!(
            lineage
                .update(vec![shard("s0", None, None), shard("s1", None, None)])
                .is_empty()
        );
    }

    #[test]
    fn children_of_a_split_wait_until_their_parent_is_drained() {
        let mut lineage = Lineage::default();
        assert_eq!(ids(&lineage.update(vec![shard("s0", None, None)])), ["s0"]);
        let later = lineage.update(vec![
            shard("s0", None, None),
            shard("s1", Some("s0"), None),
            shard("s2", Some("s0"), None),
        ]);
        assert!(later.is_empty(), "children started before the parent ended");
        let start = lineage.drained("s0");
        assert_eq!(
            start,
            [
                ("s1".to_owned(), Origin::TrimHorizon),
                ("s2".to_owned(), Origin::TrimHorizon)
            ]
        );
        assert_eq!(lineage.drained_count(), 1);
    }

    #[test]
    fn a_merged_shard_waits_for_both_parents() {
        let mut lineage = Lineage::default();
        let start = lineage.update(vec![
            shard("s0", None, None),
            shard("s1", None, None),
            shard("s2", Some("s0"), Some("s1")),
        ]);
        assert_eq!(ids(&start), ["s0", "s1"]);
        assert!(lineage.drained("s0").is_empty());
        // The first listing's shards keep where --from says, children included.
        assert_eq!(lineage.drained("s1"), [("s2".to_owned(), Origin::FromFlag)]);
    }

    #[test]
    fn a_parent_past_retention_does_not_hold_its_child_back() {
        let mut lineage = Lineage::default();
        let start = lineage.update(vec![shard("s3", Some("gone"), None)]);
        assert_eq!(ids(&start), ["s3"]);
    }
}
