//! The node's own JSON-RPC methods, registered into a table of the `rpc` crate (which serves
//! them, with the control methods, over HTTP and IPC):
//!
//! - [`blockchain`]: blocks, headers, chain tips, `gettxout`, `gettxoutsetinfo`;
//! - [`mempool`]: `sendrawtransaction`, `testmempoolaccept`, `getrawmempool`, ...;
//!   [`fees`]: `estimatesmartfee`;
//! - [`rawtransaction`]: `getrawtransaction`, `decoderawtransaction`; [`util`]:
//!   `validateaddress`;
//! - [`mining`] and [`blocktemplate`]: block generation, `getblocktemplate`,
//!   `submitblock`, mining info.

pub mod blockchain;
pub mod blocktemplate;
pub mod fees;
pub mod mempool;
pub mod mining;
pub mod rawtransaction;
pub mod util;
