//! `bitcoin-node`: parse arguments, set up logging, run the node library.

use std::process::ExitCode;

use bitcoin_node::{Command, HELP};

fn main() -> ExitCode {
    ipc::set_process_name("bitcoin-node");
    if let Err(e) = bitcoin_node::block_shutdown_signals() {
        eprintln!("Error: {e}");
        return ExitCode::FAILURE;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match bitcoin_node::parse(&args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Help => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("bitcoin-node version v{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::ServeFd(fd) => bitcoin_node::logging::init(None, true, &[])
            .map_err(|e| e.to_string())
            .and_then(|()| bitcoin_node::serve_fd(fd).map_err(|e| e.to_string())),
        Command::Run(config) => {
            // Check the data directory before anything is written (debug.log lives in it).
            if let Err(e) = bitcoin_node::open_datadir(&config) {
                eprintln!("Error: {e}");
                return ExitCode::FAILURE;
            }
            bitcoin_node::logging::init(
                Some(&config.net_dir()),
                config.print_to_console,
                &config.debug,
            )
            .map_err(|e| format!("cannot open debug.log: {e}"))
            .and_then(|()| bitcoin_node::run(&config).map_err(|e| e.to_string()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}
