//! Thread mapping, in one process: which OS thread runs each call and callback.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use interfaces::Error;
use ipc::interfaces::test_suite::{TestCallback, TestInit, TestSuite};

/// Reports its thread and, while depth > 0, calls back into the server.
struct Recorder {
    server: Arc<dyn TestSuite>,
}

impl TestCallback for Recorder {
    fn call(&self, depth: u32) -> Result<Vec<u64>, Error> {
        let mut ids = vec![ipc::thread_id()];
        if depth > 0 {
            let next = Arc::new(Recorder {
                server: self.server.clone(),
            });
            ids.extend(self.server.call_back(next, depth - 1)?);
        }
        Ok(ids)
    }
}

#[test]
fn one_client_thread_maps_to_one_server_thread() {
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    let me = ipc::thread_id();
    let first = suite.thread_id().expect("call");
    assert_ne!(
        first, me,
        "call must run on a server thread, not the caller"
    );
    for _ in 0..100 {
        assert_eq!(suite.thread_id().expect("call"), first);
    }
}

#[test]
fn two_client_threads_get_two_server_threads_that_do_not_block_each_other() {
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let sleeper = {
        let suite = suite.clone();
        std::thread::spawn(move || suite.sleep(2000).expect("sleep"))
    };
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(suite.thread_id().expect("call"));
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(1000),
        "calls were delayed {elapsed:?} by the sleeper"
    );
    let slept_on = sleeper.join().expect("sleeper thread");
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_ne!(
        slept_on, ids[0],
        "the two client threads shared a server thread"
    );
}

#[test]
fn callback_runs_on_the_calling_thread() {
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let me = ipc::thread_id();
    let server_thread = suite.thread_id().expect("call");
    let ids = suite
        .call_back(
            Arc::new(Recorder {
                server: suite.clone(),
            }),
            0,
        )
        .expect("call_back");
    assert_eq!(ids, vec![server_thread, me]);
}

#[test]
fn nested_callbacks_alternate_between_the_same_two_threads() {
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let me = ipc::thread_id();
    let server_thread = suite.thread_id().expect("call");
    // client -> server -> callback -> server -> callback -> server -> callback
    let ids = suite
        .call_back(
            Arc::new(Recorder {
                server: suite.clone(),
            }),
            2,
        )
        .expect("call_back");
    let expected: Vec<u64> = [server_thread, me].repeat(3);
    assert_eq!(ids, expected);
}

#[test]
fn calls_from_other_threads_during_a_callback_are_not_confused() {
    let pair = common::pair();
    let suite: Arc<dyn TestSuite> = Arc::from(pair.client.make_suite().expect("make_suite"));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let suite = suite.clone();
            std::thread::spawn(move || {
                let me = ipc::thread_id();
                let server = suite.thread_id().expect("call");
                for _ in 0..20 {
                    let cb = Arc::new(Recorder {
                        server: suite.clone(),
                    });
                    let ids = suite.call_back(cb, 1).expect("call_back");
                    assert_eq!(ids, vec![server, me, server, me]);
                }
                server
            })
        })
        .collect();
    let mut servers: Vec<u64> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    servers.sort_unstable();
    servers.dedup();
    assert_eq!(
        servers.len(),
        4,
        "each client thread must get its own server thread"
    );
}

#[test]
fn context_less_call_runs_on_the_event_loop() {
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    let worker = suite.thread_id().expect("call");
    let looper = suite.ping().expect("ping");
    assert_ne!(looper, worker);
    assert_ne!(looper, ipc::thread_id());
    assert_eq!(suite.ping().expect("ping"), looper);
}

#[test]
fn large_data_round_trips() {
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    assert_eq!(suite.echo_data(&data).expect("echo_data"), data);
    assert_eq!(suite.echo_data(&[]).expect("empty"), Vec::<u8>::new());
}

#[test]
fn calls_on_one_object_keep_their_order() {
    let pair = common::pair();
    let suite = pair.client.make_suite().expect("make_suite");
    for i in 1..=5 {
        let log = suite.record(i).expect("record");
        assert_eq!(log, (1..=i).collect::<Vec<_>>());
    }
}
