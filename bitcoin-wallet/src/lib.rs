//! The wallet process of the suite (`bitcoin-wallet`, and the wallet half of `bitcoind`):
//! BDK descriptor wallets under `<datadir>/<network>/wallets/<name>/`, reaching the chain only
//! through the node's `Chain` interface. May import `interfaces`, `ipc`, `common` and `rpc`;
//! never the node's library.

pub mod process;
pub mod rpc;
pub mod wallet;
