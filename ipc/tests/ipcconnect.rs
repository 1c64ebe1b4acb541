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
