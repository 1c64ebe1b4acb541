//! In-process harness: a server and a client in one process, over a socketpair, both on the
//! process's one event loop.

#![allow(dead_code)]

use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ipc::interfaces::test_suite::{LocalTestInit, TestInit, TestInitProxy, TestInitServer};
use ipc::Connection;

/// A served TestInit and a client connected to it.
pub struct Pair {
    pub client: TestInitProxy,
    pub client_conn: Connection,
    pub server_conn: Connection,
}

pub fn pair() -> Pair {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let init: Arc<dyn TestInit> = Arc::new(LocalTestInit);
    let server_conn =
        ipc::serve_stream(a, move |conn| TestInitServer::bootstrap(init, conn)).expect("serve");
    let (client_conn, client) = ipc::connect_stream::<TestInitProxy>(b).expect("connect");
    Pair {
        client,
        client_conn,
        server_conn,
    }
}

/// Serializes tests that read process-wide object counters.
pub fn counter_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Polls `f` until it holds or `timeout` passes; returns whether it held.
pub fn eventually(timeout: Duration, f: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}
