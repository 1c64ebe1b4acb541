//! A table's methods described for another process's server (`Chain::handle_rpc`): each
//! method's name, category, whole help text and conversion rows, so the server lists and
//! documents them as its own while calls are forwarded here.

use interfaces::{RpcArgInfo, RpcMethodInfo};

use crate::help::{arg_map, method_help};
use crate::table::RpcTable;

/// Every method of `table`, described.
pub fn method_infos(table: &RpcTable) -> Vec<RpcMethodInfo> {
    table
        .methods()
        .iter()
        .map(|m| {
            let rows = arg_map([&**m]);
            let args = rows
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|row| {
                            Some(RpcArgInfo {
                                position: u32::try_from(row[1].as_u64()?).ok()?,
                                name: row[2].as_str()?.to_string(),
                                is_string: row[3].as_bool()?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            RpcMethodInfo {
                name: m.name.to_string(),
                category: m.category.to_string(),
                help: method_help(m),
                args,
            }
        })
        .collect()
}
