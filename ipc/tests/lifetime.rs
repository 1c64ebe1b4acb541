//! Object lifetime, in one process: destroy, release of the last reference and disconnect
//! all free the server objects; nothing is leaked.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interfaces::Error;
use ipc::interfaces::test_suite::{LocalTestSuite, TestCallback, TestInit, TestSuite};

static LIVE_CALLBACKS: AtomicUsize = AtomicUsize::new(0);

struct CountedCallback;

impl CountedCallback {
    fn new() -> CountedCallback {
        LIVE_CALLBACKS.fetch_add(1, Ordering::SeqCst);
        CountedCallback
    }
}

impl Drop for CountedCallback {
    fn drop(&mut self) {
        LIVE_CALLBACKS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TestCallback for CountedCallback {
    fn call(&self, _depth: u32) -> Result<Vec<u64>, Error> {
        Ok(vec![ipc::thread_id()])
    }
}

fn os_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn destroy_frees_the_server_object_before_returning() {
    let _lock = common::counter_lock();
    let pair = common::pair();
    let base = LocalTestSuite::live();
    let suites: Vec<Box<dyn TestSuite>> = (0..5)
        .map(|_| pair.client.make_suite().expect("make_suite"))
        .collect();
    assert_eq!(LocalTestSuite::live(), base + 5);
    // Dropping a proxy of an interface with `destroy` calls it synchronously.
    drop(suites);
    assert_eq!(LocalTestSuite::live(), base);
}

#[test]
fn releasing_the_last_reference_frees_the_object() {
    let _lock = common::counter_lock();
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    let servers_before = ipc::live_server_objects();
    let callback: Arc<dyn TestCallback> = Arc::new(CountedCallback::new());
    suite.call_back(callback, 0).expect("call_back");
    // The server dropped its proxy of our callback (no destroy method): the release reaches
    // us and our adapter, then our object, is freed.
    assert!(
        common::eventually(Duration::from_secs(2), || LIVE_CALLBACKS
            .load(Ordering::SeqCst)
            == 0),
        "callback object leaked"
    );
    assert!(common::eventually(
        Duration::from_secs(2),
        || ipc::live_server_objects() == servers_before
    ));
}

#[test]
fn disconnect_frees_everything_the_connection_held() {
    let _lock = common::counter_lock();
    let base = LocalTestSuite::live();
    let threads_before = os_threads();
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(suite.make_child().expect("make_child"));
    }
    // Three client threads, so three server worker threads exist.
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let suite = suite.clone();
            std::thread::spawn(move || suite.thread_id().expect("call"))
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    assert_eq!(LocalTestSuite::live(), base + 6);
    drop(pair.client_conn);
    assert!(
        common::eventually(Duration::from_secs(2), || LocalTestSuite::live() == base),
        "server objects not freed after disconnect: {} live",
        LocalTestSuite::live() - base
    );
    // Calls on the dead connection fail at once with Disconnected.
    let start = Instant::now();
    let err = suite.thread_id().expect_err("call after disconnect");
    assert!(err.is_disconnected(), "unexpected error {err:?}");
    assert!(start.elapsed() < Duration::from_millis(200));
    drop(held);
    drop(suite);
    drop(pair.client);
    drop(pair.server_conn);
    assert!(
        common::eventually(Duration::from_secs(3), || os_threads()
            <= threads_before + 1),
        "server worker threads leaked: {} before, {} now",
        threads_before,
        os_threads()
    );
}

#[test]
fn pending_call_fails_with_disconnected_when_the_connection_closes() {
    let _lock = common::counter_lock();
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let waiting = {
        let suite = suite.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            (suite.sleep(5000), start)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let closed_at = Instant::now();
    pair.server_conn.close();
    let (result, _) = waiting.join().expect("waiting thread");
    let err = result.expect_err("call must fail");
    assert!(err.is_disconnected(), "unexpected error {err:?}");
    assert!(
        closed_at.elapsed() < Duration::from_secs(1),
        "took {:?}",
        closed_at.elapsed()
    );
}
