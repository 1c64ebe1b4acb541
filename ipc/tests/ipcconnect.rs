//! `-ipcconnect=auto|unix|unix:<path>|0`, the client-side choice shared by bitcoin-cli, the
//! GUI and the wallet.

use std::sync::Arc;

use ipc::IpcConnect;

#[test]
fn parses_every_form() {
    let net = std::path::Path::new("/d/regtest");
    assert_eq!(
        IpcConnect::parse(None, net).expect("auto"),
        IpcConnect::Auto(net.join("node.sock"))
    );
    assert_eq!(
        IpcConnect::parse(Some("auto"), net).expect("auto"),
        IpcConnect::Auto(net.join("node.sock"))
    );
    assert_eq!(
        IpcConnect::parse(Some("0"), net).expect("0"),
        IpcConnect::Disabled
    );
    assert_eq!(
        IpcConnect::parse(Some("unix"), net).expect("unix"),
        IpcConnect::Required(net.join("node.sock"))
    );
    assert_eq!(
        IpcConnect::parse(Some("unix:/x/y.sock"), net).expect("path"),
        IpcConnect::Required("/x/y.sock".into())
    );
    let e = IpcConnect::parse(Some("tcp:1"), net).expect_err("bad");
    assert!(e.to_string().contains("invalid IPC address 'tcp:1'"), "{e}");
}

#[test]
fn auto_falls_back_and_unix_explains_how_to_start_a_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auto = IpcConnect::parse(None, dir.path()).expect("auto");
    assert!(auto.connect().expect("auto never fails").is_none());
    let required = IpcConnect::parse(Some("unix"), dir.path()).expect("unix");
    let e = required.connect().expect_err("no node");
    let text = e.to_string();
    assert!(
        text.contains("node.sock") && text.contains("bitcoin node -ipcbind=unix"),
        "{text}"
    );

    // With a node listening, both connect.
    let init: Arc<dyn interfaces::Init> = Arc::new(Node);
    let _listener = ipc::listen_init(&dir.path().join("node.sock"), init).expect("listen");
    for choice in [auto, required] {
        let stream = choice.connect().expect("connect").expect("a stream");
        let (_conn, proxy) = ipc::connect_stream::<ipc::InitProxy>(stream).expect("init");
        let echo = interfaces::Init::make_echo(&proxy).expect("echo");
        assert_eq!(echo.echo("hi").expect("echo"), "hi");
    }
    assert!(IpcConnect::Disabled.connect().expect("disabled").is_none());
}

struct Node;

impl interfaces::Init for Node {
    fn make_echo(&self) -> Result<Box<dyn interfaces::Echo>, interfaces::Error> {
        Ok(Box::new(interfaces::LocalEcho))
    }
}

/// A client that sees the socket file can connect at once: the file appears only when the
/// socket listens (binding in plain `bind(2)` then `listen(2)` shows it in between, when a
/// connect is refused; a test of the node failed so under load). A watcher spinning on the
/// path connects the instant it appears, many times over.
#[test]
fn a_socket_that_exists_accepts_connections() {
    for round in 0..300 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.sock");
        let watched = path.clone();
        let watcher = std::thread::spawn(move || {
            while !watched.exists() {
                std::hint::spin_loop();
            }
            std::os::unix::net::UnixStream::connect(&watched)
        });
        let listener = ipc::socket::bind(&path).expect("bind");
        let connected = watcher.join().expect("watcher");
        assert!(
            connected.is_ok(),
            "round {round}: saw {} but could not connect: {connected:?}",
            path.display()
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["node.sock"], "the staging name is gone");
        drop(listener);
    }
}

/// Two binders racing for one path: exactly one gets it, the other is told it is taken
/// (never replaces the winner's socket).
#[test]
fn racing_binds_leave_one_owner() {
    use std::os::unix::fs::PermissionsExt;
    for _ in 0..50 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("node.sock");
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    ipc::socket::bind(&path)
                })
            })
            .collect();
        let results: Vec<_> = racers
            .into_iter()
            .map(|r| r.join().expect("racer"))
            .collect();
        let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(won.len(), 1, "{results:?}");
        let lost = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("a loser");
        assert!(lost.to_string().contains("node.sock"), "{lost}");
        let mode = std::fs::metadata(&path)
            .expect("socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok());
    }
}
