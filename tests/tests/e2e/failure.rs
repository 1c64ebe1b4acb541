//! Failure: dead peers, vanished clients and malformed input cost only that connection.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use interfaces::Init;
use ipc::interfaces::test_suite::{TestInit, TestInitProxy, TestSuite};
use tests::{bin, Node, Process};

/// Whether the server closed `stream` (EOF or reset) within the deadline.
fn closed_by_server(stream: &mut UnixStream) -> bool {
    stream
        .set_read_timeout(Some(tests::DEADLINE))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // e.g. an Abort message before closing
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

fn send_raw(socket: &std::path::Path, bytes: &[u8], shutdown_write: bool) -> UnixStream {
    let mut stream = UnixStream::connect(socket).expect("raw connect");
    stream.write_all(bytes).expect("write");
    if shutdown_write {
        stream
            .shutdown(std::net::Shutdown::Write)
            .expect("shutdown");
    }
    stream
}

#[test]
fn malformed_input_closes_only_that_connection() {
    let node = Node::start(&[]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let echo = init.make_echo().expect("make_echo");
    let mut invalid_root = vec![0u8, 0, 0, 0, 2, 0, 0, 0];
    invalid_root.extend([0xff; 16]);
    let mut truncated = vec![0u8, 0, 0, 0, 0xe8, 0x03, 0, 0];
    truncated.extend([0u8; 100]);
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        (
            "text garbage",
            b"GET / HTTP/1.1\r\nHost: node\r\n\r\n".to_vec(),
            false,
        ),
        ("invalid root pointer", invalid_root, false),
        ("truncated frame", truncated, true),
        (
            "absurd segment table",
            vec![0xff, 0xff, 0xff, 0x00, 1, 0, 0, 0],
            false,
        ),
        (
            "oversized segment",
            vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f],
            false,
        ),
    ];
    for (what, bytes, shutdown) in cases {
        let mut raw = send_raw(&node.socket(), &bytes, shutdown);
        assert!(
            closed_by_server(&mut raw),
            "{what}: connection not closed by the node"
        );
        assert_eq!(echo.echo(what).expect("other client still served"), what);
    }
    // New clients are still welcome.
    let (_conn2, init2) = ipc::connect_init(&node.socket()).expect("connect again");
    assert_eq!(
        init2
            .make_echo()
            .expect("make_echo")
            .echo("ok")
            .expect("echo"),
        "ok"
    );
}

#[test]
fn server_killed_mid_call_gives_disconnected_within_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("peer.sock");
    let mut server = Process::start(
        &bin("ipc-test-peer"),
        &["serve", socket.to_str().expect("utf8")],
    );
    server.wait_for_line("ready");
    let stream = ipc::socket::connect(&socket).expect("connect");
    let (_conn, init) = ipc::connect_stream::<TestInitProxy>(stream).expect("connect");
    let suite: Arc<dyn TestSuite> = Arc::from(init.make_suite().expect("make_suite"));
    suite.thread_id().expect("warm up");
    let waiting = {
        let suite = suite.clone();
        std::thread::spawn(move || {
            let result = suite.sleep(10_000);
            (result, Instant::now())
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let killed_at = Instant::now();
    server.signal(nix::sys::signal::Signal::SIGKILL);
    let (result, failed_at) = waiting.join().expect("waiting thread");
    let err = result.expect_err("call must fail");
    assert!(err.is_disconnected(), "expected Disconnected, got {err:?}");
    let delay = failed_at.duration_since(killed_at);
    assert!(delay < Duration::from_secs(1), "took {delay:?}");
    let start = Instant::now();
    let later = suite.thread_id().expect_err("later calls fail");
    assert!(later.is_disconnected(), "{later:?}");
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "later call did not fail at once"
    );
}
