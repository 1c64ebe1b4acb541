//! `bitcoind`: the single-process build. Node and wallet libraries run in one process and
//! talk through the same `interfaces` traits, with local implementations instead of IPC
//! proxies. (Until the wallet exists, this is the node alone.) May import the node's (and the
//! wallet's) library.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    bitcoin_node::main("bitcoind", bitcoin_node::options::USAGE_MONOLITHIC, &args)
}
