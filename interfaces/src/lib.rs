//! The interfaces between the suite's processes, as plain Rust traits.
//!
//! Node, wallet and GUI code talks to the other processes only through these traits. Each
//! trait has a local implementation (in the library that owns the state) and an IPC client
//! proxy (in the `ipc` crate) that implements the same trait by calling across a socket, so a
//! holder of an `Arc<dyn Echo>` cannot tell whether the object lives in its own process.
//!
//! Rules every trait here follows:
//! - synchronous, `Send + Sync`, object-safe; every method returns `Result<_, Error>`, because
//!   any call may cross a process boundary and fail with [`Error::Disconnected`];
//! - objects made by a factory method are returned as `Box<dyn Trait>`: dropping the box
//!   releases the object (for a remote object, the server frees it);
//! - callbacks are passed as `Arc<dyn ...>` and run on the thread that is waiting for the
//!   call that triggered them, whether local or remote.
//!
//! This crate depends on nothing of ours and knows nothing of capnp, tokio or sockets.

mod chain;
mod echo;
mod error;
mod init;
mod mining;
mod node;
mod rpc;
mod wallet;

#[cfg(feature = "test-utils")]
pub use chain::conformance as chain_conformance;
pub use chain::{
    BlockInfo, Chain, ChainNotifications, FeeEstimate, Outpoint, RelayFees, RpcArgInfo,
    RpcMethodInfo, ScanMatch, ScanRequest, ScanResult,
};
#[cfg(feature = "test-utils")]
pub use echo::conformance as echo_conformance;
pub use echo::{Echo, LocalEcho};
pub use error::Error;
pub use init::Init;
#[cfg(feature = "test-utils")]
pub use mining::conformance as mining_conformance;
pub use mining::{
    BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions,
    CoinbaseTx, Mining, MAX_MONEY,
};
#[cfg(feature = "test-utils")]
pub use node::conformance as node_conformance;
pub use node::{
    BlockTip, Handler, InitMessage, IpcConnectionInfo, IpcMethodStats, IpcObjectCount, Node,
    NodeStatus, NotifyBlockTip, NotifyHeaderTip, NotifyNumConnectionsChanged, ShowProgress,
};
pub use rpc::Rpc;
#[cfg(feature = "test-utils")]
pub use wallet::conformance as wallet_conformance;
pub use wallet::{
    AddressBookEntry, AddressPurpose, BumpFeeRequest, BumpedTransaction, FilledPsbt,
    LoadWalletNotify, Recipient, SendRequest, SentTransaction, Wallet, WalletBalances, WalletCoin,
    WalletErrorKind, WalletInfo, WalletLoader, WalletNotifications, WalletTransaction,
    WALLET_FLAG_AVOID_REUSE, WALLET_FLAG_BLANK_WALLET, WALLET_FLAG_DESCRIPTORS,
    WALLET_FLAG_DISABLE_PRIVATE_KEYS, WALLET_FLAG_EXTERNAL_SIGNER,
};
