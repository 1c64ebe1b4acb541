//! `bitcoin-gui`: the desktop GUI of the multiprocess build.

use std::process::ExitCode;

use bitcoin_gui::options;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ipc::set_process_name("bitcoin-gui");
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!("{e}");
        eprintln!("Error: {e}");
        ExitCode::FAILURE
    };
    let specs = options::all_options();
    let settings = match common::load("bitcoin-gui", options::USAGE, &specs, &args, false) {
        Ok(common::Loaded::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Version) => {
            println!("bitcoin-gui version v{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Run(settings)) => settings,
        Err(e) => return fail(&e),
    };
    let log = match common::logging::LogSettings::from_settings(
        "bitcoin-gui",
        &settings,
        &settings.net_dir(),
        true,
    ) {
        Ok(log) => log,
        Err(e) => return fail(&e),
    };
    if let Err(e) = settings.create_dirs() {
        return fail(&e);
    }
    let _log = match common::logging::init(&log) {
        Ok(handle) => handle,
        Err(e) => return fail(&format!("logging: {e}")),
    };
    let config = match options::GuiConfig::from_settings(&settings) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    match bitcoin_gui::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}
