//! `bitcoin-node`: the node process of the multiprocess build.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    bitcoin_node::main("bitcoin-node", bitcoin_node::options::USAGE, &args)
}
