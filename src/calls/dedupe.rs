//! Recognises re-delivered events. Twilio delivers at least once, so the same CloudEvent `id`
//! can arrive twice; we remember the last `capacity` ids and say whether an id is new.

use std::collections::{HashSet, VecDeque};

use crate::calls::sid::CompactSid;

/// A bounded window of recently seen event ids (first in, first out).
#[derive(Debug)]
pub struct DedupeWindow {
    /// Ids currently remembered, for O(1) look-up. Packed: 100,000 `EZ…` ids take ~5 MiB
    /// here instead of ~14 MiB as strings.
    seen: HashSet<CompactSid>,
    /// The same ids in arrival order, so the oldest can be forgotten.
    order: VecDeque<CompactSid>,
    /// How many ids are remembered at most.
    capacity: usize,
}

impl DedupeWindow {
    /// Remembers up to `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            seen: HashSet::with_capacity(capacity.min(1 << 16)),
            order: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity,
        }
    }

    /// Records `id` and returns `true` if it was not seen within the window. An empty id is
    /// never considered a duplicate: there is nothing to recognise it by.
    pub fn first_sighting(&mut self, id: &str) -> bool {
        if id.is_empty() {
            return true;
        }
        let id = CompactSid::new(id);
        if self.seen.contains(&id) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(id.clone());
        self.order.push_back(id);
        true
    }

    /// Forgets `id`, so that its next sighting counts as the first. Used when a delivery could
    /// not be recorded and was answered 503: Twilio's retry must then be applied, not dropped as
    /// a duplicate. The id was normally just added, so it is searched from the newest end.
    pub fn forget(&mut self, id: &str) {
        let id = CompactSid::new(id);
        if self.seen.remove(&id)
            && let Some(pos) = self.order.iter().rposition(|seen| *seen == id)
        {
            self.order.remove(pos);
        }
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when nothing has been seen yet.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl Default for DedupeWindow {
    /// 100,000 ids: hours of traffic at a busy account's rate, ~5 MiB of memory.
    fn default() -> Self {
        Self::new(100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_sighting_is_a_duplicate() {
        let mut w = DedupeWindow::new(10);
        assert!(w.first_sighting("EZ1"));
        assert!(!w.first_sighting("EZ1"));
        assert!(w.first_sighting("EZ2"));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn oldest_ids_are_forgotten_beyond_capacity() {
        let mut w = DedupeWindow::new(2);
        assert!(w.first_sighting("a"));
        assert!(w.first_sighting("b"));
        assert!(w.first_sighting("c")); // forgets "a"
        assert_eq!(w.len(), 2);
        assert!(!w.first_sighting("b"));
        assert!(w.first_sighting("a"));
    }

    #[test]
    fn a_forgotten_id_is_new_again() {
        let mut w = DedupeWindow::new(3);
        assert!(w.first_sighting("a"));
        assert!(w.first_sighting("b"));
        w.forget("b");
        w.forget("never-seen");
        assert_eq!(w.len(), 1);
        assert!(w.first_sighting("b"));
        assert!(!w.first_sighting("a"));
    }

    #[test]
    fn empty_ids_are_never_duplicates() {
        let mut w = DedupeWindow::new(2);
        assert!(w.first_sighting(""));
        assert!(w.first_sighting(""));
        assert!(w.is_empty());
    }
}
