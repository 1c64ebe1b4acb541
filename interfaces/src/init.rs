//! The `Init` interface: the first object a process serves on every connection.

use std::sync::Arc;

use crate::{Chain, Echo, Error, Mining, Node, Rpc, WalletLoader};

/// Factory for the other interfaces a process offers. Mirrors Bitcoin Core's
/// `interfaces::Init`: a connecting client receives an `Init` and asks it for what it needs.
///
/// Every method has a default that reports the interface as unavailable, so a process
/// implements only what it serves.
pub trait Init: Send + Sync {
    /// Makes a new `Echo` object.
    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        Err(Error::failed(
            "echo interface not available in this process",
        ))
    }

    /// Makes a [`Node`] for a front end (GUI).
    fn make_node(&self) -> Result<Box<dyn Node>, Error> {
        Err(Error::failed(
            "node interface not available in this process",
        ))
    }

    /// Makes a [`Mining`] for an external miner or template provider.
    fn make_mining(&self) -> Result<Box<dyn Mining>, Error> {
        Err(Error::failed(
            "mining interface not available in this process",
        ))
    }

    /// Makes an object executing JSON-RPC requests on this process's RPC server.
    fn make_rpc(&self) -> Result<Box<dyn Rpc>, Error> {
        Err(Error::failed("rpc interface not available in this process"))
    }

    /// Makes a [`Chain`] for a wallet (served by the node).
    fn make_chain(&self) -> Result<Box<dyn Chain>, Error> {
        Err(Error::failed(
            "chain interface not available in this process",
        ))
    }

    /// Makes the [`WalletLoader`] of this (wallet) process, which reaches the node through
    /// `chain`.
    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, Error> {
        let _ = chain;
        Err(Error::failed(
            "wallet loader interface not available in this process",
        ))
    }

    /// Applies the settings of the parent that spawned this process (Core-style arguments
    /// such as `-debuglogfile=...`, `-printtoconsole=0`, `-debug=ipc`). The default ignores
    /// them.
    fn configure(&self, args: &[String]) -> Result<(), Error> {
        let _ = args;
        Ok(())
    }
}
