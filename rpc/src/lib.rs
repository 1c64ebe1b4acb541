//! Bitcoin Core's JSON-RPC, for every process of the suite: what it takes to define methods
//! (table, parameters, help layout, error codes, amounts, Core's JSON for transactions and
//! scripts) and to serve them (dispatch, the HTTP server with cookie and `-rpcauth`). The node
//! serves it and registers its own methods; a wallet's methods are merged in at run time
//! ([`RpcTable::merge`]). May import `common` and `interfaces` (for [`LocalRpc`]).
//!
//! - defining methods: [`method`] (a [`Method`] and its handler), [`param`] (a [`Param`]),
//!   [`params`] (what a handler reads), [`table`] (a server's methods, Core's checks),
//!   [`help`] (Core's help layout), [`protocol`] (error codes, request and reply objects);
//! - values: [`amount`] (amounts as Core writes and reads them; numbers keep their text:
//!   `serde_json` runs with `arbitrary_precision`, so `0.00001000` stays as sent), [`hex`],
//!   [`address`] (Core's address decoding and errors), [`json`] (transactions and scripts
//!   as Core's JSON), [`descriptor`] (output descriptors);
//! - serving: [`dispatch`] (requests and batches to replies and HTTP statuses),
//!   [`server`] with [`http`], [`auth`] and [`config`] (the `-rpc*` settings, [`options`]),
//!   [`control`] (`help`, `stop`, `uptime`, `getrpcinfo`, `logging`, `echo`).

pub mod address;
pub mod amount;
pub mod auth;
pub mod config;
pub mod control;
pub mod describe;
pub mod descriptor;
pub mod dispatch;
pub mod help;
pub mod hex;
pub mod http;
pub mod json;
pub mod method;
pub mod options;
pub mod param;
pub mod params;
pub mod protocol;
pub mod server;
pub mod table;

pub use amount::{amount_from_value, amount_to_value};
pub use config::RpcConfig;
pub use control::Control;
pub use dispatch::{Caller, Dispatcher, LocalRpc, Reply};
pub use method::{Handler, Method, RemoteSpec, RpcResult};
pub use param::{Fallback, Param, ParamType};
pub use params::{ActiveCommand, FromParam, Params, ServerInfo};
pub use protocol::RpcError;
pub use server::{bind, control_table, start, Bound, RpcSetupError, Server};
pub use table::{MergedMethods, RpcTable};

#[cfg(test)]
mod tests;
