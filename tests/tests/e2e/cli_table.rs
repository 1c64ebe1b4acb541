//! `bitcoin-cli`'s conversion table (which arguments it sends as JSON) against the node's
//! parameter tables, as Core's `rpc_help.py` checks `vRPCConvertParams` against
//! `help dump_all_command_conversions`. The two describe the same methods from two processes
//! (the client links no server code), so this test is what keeps them in step.

use std::collections::BTreeSet;

use bitcoin_wrapper::rpc_client::convert_table::{Format, PARAMS};
use serde_json::json;
use tests::RpcNode;

#[test]
fn the_cli_conversion_table_agrees_with_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start(dir.path());
    let rows = node.call("help", json!(["dump_all_command_conversions"]));
    node.stop();
    let rows = rows.as_array().expect("rows");
    let mut server = BTreeSet::new();
    let mut served = BTreeSet::new();
    for row in rows {
        let method = row[0].as_str().expect("method").to_string();
        let index = row[1].as_u64().expect("index");
        let name = row[2].as_str().expect("name").to_string();
        let is_string = row[3].as_bool().expect("is_string");
        served.insert(method.clone());
        server.insert((method, index, name, is_string));
    }
    assert!(served.len() > 20, "too few methods: {served:?}");

    let mut problems = Vec::new();
    // `echojson`'s arguments are declared strings but skip type checks: it exists to show
    // what bitcoin-cli's JSON conversion sends (as in Core's table).
    for (method, index, name, is_string) in server.iter().filter(|(m, ..)| m != "echojson") {
        let cli = PARAMS
            .iter()
            .find(|p| p.method == method && p.index as u64 == *index && p.name == name.as_str());
        match (cli.map(|p| p.format), is_string) {
            (Some(Format::String), false) => problems.push(format!(
                "{method} {index} {name}: the server takes JSON, bitcoin-cli sends a string"
            )),
            (Some(Format::Json), true) => problems.push(format!(
                "{method} {index} {name}: the server takes a string, bitcoin-cli parses JSON"
            )),
            (None, false) => problems.push(format!(
                "{method} {index} {name}: the server takes JSON, bitcoin-cli has no entry"
            )),
            _ => {}
        }
    }
    for p in PARAMS.iter().filter(|p| served.contains(p.method)) {
        let known = server
            .iter()
            .any(|(m, i, n, _)| m == p.method && *i == p.index as u64 && n == p.name);
        if !known {
            problems.push(format!(
                "{} {} {}: in bitcoin-cli's table, not a parameter of the server",
                p.method, p.index, p.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
