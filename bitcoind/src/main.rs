//! `bitcoind`: the single-process build. The node and wallet libraries run in one process and
//! talk through the same `interfaces` traits, with the node's local `Chain` instead of an IPC
//! proxy. May import the node's and the wallet's libraries.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wallet: bitcoin_node::InProcessWallet = Box::new(|chain, settings| {
        bitcoin_wallet::process::start_wallets(chain, settings)
            .map(|wallets| bitcoin_node::StartedWallets {
                loader: std::sync::Arc::from(wallets.loader.interface()),
                keep: Box::new(wallets),
            })
            .map_err(|e| e.to_string())
    });
    bitcoin_node::main_with(
        "bitcoind",
        bitcoin_node::options::USAGE_MONOLITHIC,
        &args,
        Some(wallet),
    )
}
