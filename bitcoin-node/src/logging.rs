//! Log output for the node binary: `debug.log` in the network directory, and the console with
//! `-printtoconsole`; every line names the process.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::EnvFilter;

fn filter(debug: &[String]) -> EnvFilter {
    if let Ok(env) = std::env::var("BITCOIN_LOG") {
        return EnvFilter::new(env);
    }
    let all = debug.iter().any(|c| c == "1" || c == "all");
    let ipc = debug.iter().any(|c| c == "ipc");
    EnvFilter::new(match (all, ipc) {
        (true, _) => "debug",
        (false, true) => "info,ipc=debug,bitcoin_node=debug",
        _ => "info",
    })
}

/// Installs the subscriber: to `<net_dir>/debug.log` when given (plus stderr if `console`),
/// else to stderr only.
pub fn init(net_dir: Option<&Path>, console: bool, debug: &[String]) -> std::io::Result<()> {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(debug))
        .with_ansi(false)
        .with_thread_names(true)
        .with_target(true);
    let file = match net_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("debug.log"))?,
            )
        }
        None => None,
    };
    let result = match (file, console) {
        (Some(file), true) => builder
            .with_writer(Mutex::new(file).and(std::io::stderr))
            .try_init(),
        (Some(file), false) => builder.with_writer(Mutex::new(file)).try_init(),
        (None, _) => builder.with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| std::io::Error::other(e.to_string()))
}
