//! Lifetime across processes: objects a client holds are freed on destroy, on drop, and
//! when the client process is killed.

use ipc::interfaces::test_suite::{TestInit, TestInitProxy, TestSuite};
use tests::{bin, Process};

fn serve() -> (tempfile::TempDir, std::path::PathBuf, Process) {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("peer.sock");
    let mut server = Process::start(
        &bin("ipc-test-peer"),
        &["serve", socket.to_str().expect("utf8")],
    );
    server.wait_for_line("ready");
    (dir, socket, server)
}

fn connect(socket: &std::path::Path) -> (ipc::Connection, TestInitProxy) {
    let stream = ipc::socket::connect(socket).expect("connect");
    ipc::connect_stream::<TestInitProxy>(stream).expect("connect")
}

#[test]
fn destroy_and_drop_free_server_objects() {
    let (_dir, socket, _server) = serve();
    let (_conn, init) = connect(&socket);
    let probe = init.make_suite().expect("probe");
    assert_eq!(probe.live_objects().expect("count"), 1);
    let held: Vec<Box<dyn TestSuite>> = (0..3).map(|_| init.make_suite().expect("make")).collect();
    assert_eq!(probe.live_objects().expect("count"), 4);
    drop(held);
    assert_eq!(
        probe.live_objects().expect("count"),
        1,
        "destroy did not free before returning"
    );
}

#[test]
fn killed_client_frees_everything_it_held() {
    let (_dir, socket, mut server) = serve();
    let (_conn, init) = connect(&socket);
    let probe = init.make_suite().expect("probe");
    let mut holder = Process::start(
        &bin("ipc-test-peer"),
        &["hold", socket.to_str().expect("utf8"), "5"],
    );
    holder.wait_for_line("holding");
    assert_eq!(probe.live_objects().expect("count"), 6);
    holder.signal(nix::sys::signal::Signal::SIGKILL);
    assert!(
        tests::eventually(tests::DEADLINE, || probe.live_objects().expect("count")
            == 1),
        "objects of the killed client were not freed"
    );
    assert!(
        server.child.try_wait().expect("status").is_none(),
        "server died"
    );
}
