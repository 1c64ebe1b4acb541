//! What the model thread knows: the node's network, the snapshot it builds and publishes,
//! the session with the node, and what needs refreshing. The thread's loop (`worker`) and
//! the commands it runs (`commands`) both work on it.

use super::session::Session;
use super::{Outcome, Snapshot};

/// The model thread's state.
pub(crate) struct State {
    pub(super) network: bitcoin::Network,
    pub(super) snap: Snapshot,
    pub(super) session: Option<Session>,
    pub(super) dirty_node: bool,
    pub(super) dirty_wallet: bool,
}

impl State {
    /// Nothing known yet about a node on `network`.
    pub(super) fn new(network: bitcoin::Network) -> State {
        State {
            network,
            snap: Snapshot::default(),
            session: None,
            dirty_node: false,
            dirty_wallet: false,
        }
    }

    /// Records the outcome of command `id` (the last 50 are kept).
    pub(super) fn outcome(&mut self, id: u64, result: Result<String, String>) {
        self.snap.outcomes.push(Outcome { id, result });
        let excess = self.snap.outcomes.len().saturating_sub(50);
        self.snap.outcomes.drain(..excess);
    }
}
