//! A table's methods described for another process's server (`Chain::handle_rpc`): each
//! method's name, category, whole help text and conversion rows, so the server lists and
//! documents them as its own while calls are forwarded here.

use interfaces::{RpcArgInfo, RpcMethodInfo};

use crate::help::{arg_rows, method_help};
use crate::table::RpcTable;

/// Every method of `table`, described.
pub fn method_infos(table: &RpcTable) -> Vec<RpcMethodInfo> {
    table
        .methods()
        .iter()
        .map(|m| RpcMethodInfo {
            name: m.name.to_string(),
            category: m.category.to_string(),
            help: method_help(m),
            args: arg_rows(m)
                .into_iter()
                .map(|(position, name, is_string)| RpcArgInfo {
                    position,
                    name,
                    is_string,
                })
                .collect(),
        })
        .collect()
}
