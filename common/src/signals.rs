//! Shutdown signals as every long-running process of the suite handles them: SIGINT and SIGTERM
//! are blocked in every thread (call [`block_shutdown_signals`] first in `main`, before any
//! thread starts) and one thread waits for them ([`on_shutdown_signal`]).

use nix::sys::signal::{SigSet, Signal};

fn shutdown_signals() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set
}

/// Blocks SIGINT and SIGTERM in this thread and every thread it starts later.
pub fn block_shutdown_signals() -> nix::Result<()> {
    shutdown_signals().thread_block()
}

/// Starts a thread that calls `then` with the signal's name (`SIGTERM`, ...) when a shutdown
/// signal arrives.
pub fn on_shutdown_signal(then: impl FnOnce(String) + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signal = shutdown_signals().wait();
            then(signal.map_or_else(|e| format!("error {e}"), |s| s.as_str().to_string()));
        })
        .map(drop)
}
