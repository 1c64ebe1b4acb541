//! A peer process for end-to-end IPC tests, serving or holding the test-only `TestInit`
//! interface (`schemas/capnp/ipc_test.capnp`).
//!
//! - `ipc-test-peer serve <socket>`: listen at `<socket>`; prints `ready` once listening;
//!   runs until killed.
//! - `ipc-test-peer hold <socket> <n>`: connect, make `<n>` TestSuite objects, print
//!   `holding`, then wait forever (tests kill it to see the server free them).
//! - `ipc-test-peer spawn-node <exe>`: spawn `<exe> -ipcfd N`, call echo on it, print
//!   `child <pid> spawned`, then wait forever (tests kill it to see the child exit).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use ipc::interfaces::test_suite::{LocalTestInit, TestInit, TestInitProxy, TestInitServer};

fn main() -> ExitCode {
    ipc::set_process_name("ipc-test-peer");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", socket] => serve(Path::new(socket)),
        ["hold", socket, n] => hold(Path::new(socket), n.parse().unwrap_or(1)),
        ["spawn-node", exe] => spawn_node(Path::new(exe)),
        _ => {
            Err("usage: ipc-test-peer serve <socket> | hold <socket> <n> | spawn-node <exe>".into())
        }
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
    let _listener = ipc::socket::listen(socket, move |conn| {
        TestInitServer::bootstrap(init.clone(), conn)
    })
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

fn spawn_node(exe: &Path) -> Result<ExitCode, String> {
    let spawned = ipc::spawn_process::<ipc::InitProxy>(exe).map_err(|e| e.to_string())?;
    let echo = interfaces::Init::make_echo(&spawned.init).map_err(|e| e.to_string())?;
    let reply = echo.echo("spawned").map_err(|e| e.to_string())?;
    say(&format!("child {} {reply}", spawned.pid));
    loop {
        std::thread::park();
    }
}
