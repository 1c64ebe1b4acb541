//! The `Rpc` interface: JSON-RPC requests executed by the node (Core's `interfaces::Rpc`).

use crate::Error;

/// Executes JSON-RPC requests as the node's HTTP server would. Over IPC this lets
/// `bitcoin-cli -ipcconnect=unix` talk to the node with the socket's permissions as the only
/// authentication.
pub trait Rpc: Send + Sync {
    /// Executes `request` (one JSON-RPC request object, or a batch array) as if it had arrived
    /// over HTTP at `uri` (`/` or `/wallet/<name>`) from `user`; returns the JSON reply text
    /// (for a request that is itself malformed, a JSON-RPC error object, never an `Err`).
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error>;
}
