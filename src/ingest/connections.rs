//! The listener's open connections, oldest first: which one is busy with a request, and which
//! one to close when `--max-connections` is reached ([`ConnectionTable::close_oldest_idle`]), so
//! that the accept loop never waits while a flood of idle or slow connections holds the slots.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::ListenerStats;

/// What the accept loop and a connection share about it.
#[derive(Debug, Default)]
pub struct ConnectionState {
    /// True while the connection's request has been read whole and is being judged, recorded
    /// and answered: such a connection is never closed to make room.
    busy: AtomicBool,
    /// Woken to close the connection.
    pub(crate) close: Notify,
}

impl ConnectionState {
    /// Marks the connection busy until the returned guard is dropped.
    pub(crate) fn busy(&self) -> BusyGuard<'_> {
        self.busy.store(true, Ordering::Relaxed);
        BusyGuard(&self.busy)
    }
}

pub(crate) struct BusyGuard<'a>(&'a AtomicBool);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// The open connections in the order they were accepted, so that the oldest idle one can be
/// closed when the cap is reached. A `std` mutex: it is held for a map operation, never across
/// an await.
#[derive(Debug, Default)]
pub(crate) struct ConnectionTable {
    inner: Mutex<TableInner>,
}

#[derive(Debug, Default)]
struct TableInner {
    next_id: u64,
    open: BTreeMap<u64, Arc<ConnectionState>>,
}

impl ConnectionTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, TableInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection.
    pub(crate) fn open(&self) -> (u64, Arc<ConnectionState>) {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        let state = Arc::new(ConnectionState::default());
        inner.open.insert(id, Arc::clone(&state));
        (id, state)
    }

    /// Forgets a connection that ended.
    pub(crate) fn remove(&self, id: u64) {
        self.lock().open.remove(&id);
    }

    /// Asks the oldest connection that is not busy to close, and forgets it; `false` when every
    /// connection is busy.
    pub(crate) fn close_oldest_idle(&self) -> bool {
        let mut inner = self.lock();
        let victim = inner
            .open
            .iter()
            .find(|(_, state)| !state.busy.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match victim.and_then(|id| inner.open.remove(&id)) {
            Some(state) => {
                state.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// One served connection: holds its slot under the cap and counts itself open until it ends,
/// however it ends (finished, timed out, closed to make room, or cut at shutdown).
pub(crate) struct OpenConnection {
    pub(crate) stats: Arc<ListenerStats>,
    _slot: OwnedSemaphorePermit,
}

impl OpenConnection {
    pub(crate) fn new(stats: Arc<ListenerStats>, slot: OwnedSemaphorePermit) -> Self {
        stats.connections_open.fetch_add(1, Ordering::Relaxed);
        Self { stats, _slot: slot }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.stats.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_connection_not_busy_is_the_one_closed_to_make_room() {
        let table = ConnectionTable::default();
        let (_, oldest) = table.open();
        let (_, middle) = table.open();
        let (_, newest) = table.open();
        let _busy = oldest.busy();
        assert!(table.close_oldest_idle());
        assert_eq!(table.lock().open.len(), 2, "the middle one is forgotten");
        assert!(!table.lock().open.values().any(|s| Arc::ptr_eq(s, &middle)));
        // Closed once: the next one to go is the newest, the oldest still being busy.
        assert!(table.close_oldest_idle());
        assert!(!table.lock().open.values().any(|s| Arc::ptr_eq(s, &newest)));
        // Only busy connections left: nothing to close, the new connection is refused.
        assert!(!table.close_oldest_idle());
        drop(_busy);
        assert!(
            table.close_oldest_idle(),
            "idle again once its request is answered"
        );
    }
}
