//! A peer process for end-to-end IPC tests, serving or holding the test-only `TestInit`
//! interface (`schemas/capnp/ipc_test.capnp`).
//!
//! - `ipc-test-peer serve <socket>`: listen at `<socket>`; prints `ready` once listening;
//!   runs until killed.
//! - `ipc-test-peer hold <socket> <n>`: connect, make `<n>` TestSuite objects, print
//!   `holding`, then wait forever (tests kill it to see the server free them).
//! - `ipc-test-peer call-sleep <socket> <millis>`: connect, print `calling`, make one call
//!   that blocks the server for `<millis>`, print how it ended and exit 0 if it failed with
//!   `Disconnected`, 1 otherwise.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use ipc::interfaces::test_suite::{LocalTestInit, TestInit, TestInitProxy, TestInitServer};

fn main() -> ExitCode {
    ipc::set_process_name("ipc-test-peer");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["serve", socket] => serve(Path::new(socket)),
        ["hold", socket, n] => hold(Path::new(socket), n.parse().unwrap_or(1)),
        ["call-sleep", socket, millis] => call_sleep(Path::new(socket), millis.parse().unwrap_or(5000)),
        _ => Err("usage: ipc-test-peer serve <socket> | hold <socket> <n> | call-sleep <socket> <ms>".into()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ipc-test-peer: {e}");
            ExitCode::from(2)
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn serve(socket: &Path) -> Result<ExitCode, String> {
    let init: Arc<dyn TestInit> = Arc::new(LocalTestInit);
    let _listener = ipc::socket::listen(socket, move |conn| TestInitServer::bootstrap(init.clone(), conn))
        .map_err(|e| e.to_string())?;
    say("ready");
    loop {
        std::thread::park();
    }
}

fn connect(socket: &Path) -> Result<(ipc::Connection, TestInitProxy), String> {
    let stream = ipc::socket::connect(socket).map_err(|e| e.to_string())?;
    ipc::connect_stream::<TestInitProxy>(stream).map_err(|e| e.to_string())
}

fn hold(socket: &Path, n: usize) -> Result<ExitCode, String> {
    let (_conn, init) = connect(socket)?;
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(init.make_suite().map_err(|e| e.to_string())?);
    }
    say("holding");
    loop {
        std::thread::park();
    }
}

fn call_sleep(socket: &Path, millis: u32) -> Result<ExitCode, String> {
    let (_conn, init) = connect(socket)?;
    let suite = init.make_suite().map_err(|e| e.to_string())?;
    suite.thread_id().map_err(|e| e.to_string())?;
    say("calling");
    let start = Instant::now();
    let result = suite.sleep(millis);
    let elapsed = start.elapsed().as_millis();
    match result {
        Err(e) if e.is_disconnected() => {
            say(&format!("disconnected after {elapsed} ms: {e}"));
            Ok(ExitCode::SUCCESS)
        }
        other => {
            say(&format!("unexpected after {elapsed} ms: {other:?}"));
            Ok(ExitCode::FAILURE)
        }
    }
}
