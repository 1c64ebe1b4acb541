//! `bitcoin-wallet`: the wallet process of the multiprocess build.

use std::process::ExitCode;

use bitcoin_wallet::process;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ipc::set_process_name("bitcoin-wallet");
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!("{e}");
        eprintln!("Error: {e}");
        ExitCode::FAILURE
    };
    if let Err(e) = process::block_shutdown_signals() {
        return fail(&e);
    }
    if let Some(fd) = common::args::ipcfd_arg(&args) {
        return match fd
            .map_err(|e| e.to_string())
            .and_then(|fd| process::serve_fd(fd).map_err(|e| e.to_string()))
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    }
    let options = process::all_options();
    let settings = match common::load("bitcoin-wallet", process::USAGE, &options, &args, false) {
        Ok(common::Loaded::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Version) => {
            println!("bitcoin-wallet version v{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Run(settings)) => settings,
        Err(e) => return fail(&e),
    };
    match process::attach(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}
