//! Headless tests of the real GUI (egui_kittest) against real regtest `bitcoin-node`s and
//! their wallet processes over IPC. Build the binaries first: `cargo build --workspace --bins`.

mod connection;
mod flows;
mod progress;

use std::time::{Duration, Instant};

use bitcoin_gui::model::{Backend, Model};
use bitcoin_gui::GuiApp;
use egui_kittest::Harness;
use serde_json::{json, Value};

/// A window attached to the node at `socket`.
pub fn attached(socket: &std::path::Path) -> Harness<'static, GuiApp> {
    let model = Model::start(
        Backend::Attach(socket.to_path_buf()),
        bitcoin::Network::Regtest,
    )
    .expect("model thread");
    window(model)
}

/// A headless window on `model`.
pub fn window(model: Model) -> Harness<'static, GuiApp> {
    let app = GuiApp::new(model, bitcoin::Network::Regtest);
    Harness::builder()
        .with_size(egui::vec2(1100.0, 760.0))
        .build_state(|ctx, app: &mut GuiApp| app.ui(ctx), app)
}

/// Renders frames until `done` holds for the GUI (panics after 30 s, naming `what`).
pub fn wait_for(harness: &mut Harness<'_, GuiApp>, what: &str, done: impl Fn(&GuiApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if done(harness.state()) {
            harness.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A JSON-RPC call over IPC (`uri` `/` or `/wallet/<name>`); panics on an RPC error.
pub fn rpc(node: &dyn interfaces::Node, uri: &str, method: &str, params: Value) -> Value {
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let reply: Value =
        serde_json::from_str(&node.execute_rpc(&request, uri, "").expect("rpc")).expect("json");
    assert!(
        reply.get("error").is_none_or(Value::is_null),
        "{method}: {reply}"
    );
    reply["result"].clone()
}

/// A node proxy of its own, for the test's RPC calls.
pub fn control(socket: &std::path::Path) -> (ipc::Connection, Box<dyn interfaces::Node>) {
    use interfaces::Init;
    let (connection, init) = ipc::connect_init(socket).expect("connect");
    let node = init.make_node().expect("make_node");
    (connection, node)
}

/// An address that belongs to no wallet.
pub fn burn_address() -> String {
    bitcoin::Address::p2wsh(
        &bitcoin::ScriptBuf::from_bytes(vec![0x51]),
        bitcoin::Network::Regtest,
    )
    .to_string()
}
