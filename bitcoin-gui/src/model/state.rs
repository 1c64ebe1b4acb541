//! What the model thread knows: the node's network, the snapshot it builds and publishes,
//! the session with the node, and what needs refreshing. The thread's loop (`worker`) and
//! the commands it runs (`commands`) both work on it.

use std::collections::BTreeSet;
use std::sync::mpsc::Sender;

use super::session::Session;
use super::{Event, Outcome, Snapshot};

/// The model thread's state.
pub(crate) struct State {
    pub(super) network: bitcoin::Network,
    pub(super) snap: Snapshot,
    pub(super) session: Option<Session>,
    /// Where wallet subscriptions send their notifications.
    pub(super) events: Sender<Event>,
    pub(super) dirty_node: bool,
    /// The wallet shown must be re-read (after a command, a switch, a new connection).
    pub(super) dirty_wallet: bool,
    /// The wallet lists must be re-read (a wallet was loaded or unloaded).
    pub(super) dirty_lists: bool,
    /// Wallets that sent a notification since the last refresh.
    pub(super) notified: BTreeSet<String>,
}

impl State {
    /// Nothing known yet about a node on `network`.
    pub(super) fn new(network: bitcoin::Network, events: Sender<Event>) -> State {
        State {
            network,
            snap: Snapshot::default(),
            session: None,
            events,
            dirty_node: false,
            dirty_wallet: false,
            dirty_lists: false,
            notified: BTreeSet::new(),
        }
    }

    /// Records the outcome of command `id` (the last 50 are kept).
    pub(super) fn outcome(&mut self, id: u64, result: Result<String, String>) {
        self.snap.outcomes.push(Outcome { id, result });
        let excess = self.snap.outcomes.len().saturating_sub(50);
        self.snap.outcomes.drain(..excess);
    }
}
