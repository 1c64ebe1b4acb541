//! Harness for end-to-end tests: finds the built binaries, starts them in temporary data
//! directories, waits for readiness with a deadline, and stops them (SIGTERM, then SIGKILL)
//! when dropped. May import any crate of the suite (to talk to the processes it starts).

pub mod headers;
pub mod miniwallet;
pub mod wire;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long to wait for a process to become ready or to exit.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Path of a binary built in this workspace's target directory (same profile as the tests).
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built; run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Polls `f` until it holds or `timeout` passes; returns whether it held.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Readiness of a socket a process is about to bind: taken before the process starts, so a
/// stale socket left there by a killed process (which refuses connections) is not mistaken
/// for the new one. The stale socket's inode is pinned by a second link, so the new socket
/// cannot reuse its number. A process publishes its socket only once it listens (see
/// `ipc::socket::bind`), so once [`SocketWait::wait`] returns, one connect must succeed: no
/// retry hides a socket that exists but refuses connections.
pub struct SocketWait {
    path: PathBuf,
    stale: Option<(u64, PathBuf)>,
}

impl SocketWait {
    /// Notes what is at `path` now; call before starting the process.
    pub fn before_start(path: &Path) -> SocketWait {
        use std::os::unix::fs::MetadataExt;
        let stale = std::fs::symlink_metadata(path).ok().map(|meta| {
            let pin = path.with_file_name(format!(".stale-pin-{}", meta.ino()));
            std::fs::hard_link(path, &pin).expect("pin the stale socket's inode");
            (meta.ino(), pin)
        });
        SocketWait {
            path: path.to_path_buf(),
            stale,
        }
    }

    fn fresh(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        match std::fs::symlink_metadata(&self.path) {
            Err(_) => false,
            Ok(meta) => self
                .stale
                .as_ref()
                .is_none_or(|(ino, _)| meta.ino() != *ino),
        }
    }

    /// Waits until `process` has published a new socket at the path. Panics with the
    /// process's stderr if it exits first or the [`DEADLINE`] passes.
    pub fn wait(self, process: &mut Process) {
        let deadline = Instant::now() + DEADLINE;
        while !self.fresh() {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "process exited ({status}) before creating {}; stderr:\n{}",
                    self.path.display(),
                    process.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} did not appear in time; stderr:\n{}",
                self.path.display(),
                process.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for SocketWait {
    fn drop(&mut self) {
        if let Some((_, pin)) = &self.stale {
            let _ = std::fs::remove_file(pin);
        }
    }
}

/// The pids of `parent`'s live children whose command name starts with `name` (from `/proc`).
pub fn children(parent: u32, name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            let ppid = rest
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok());
            comm.ends_with(&format!("({name}")) && ppid == Some(parent) && !rest.starts_with('Z')
        })
        .collect()
}

/// A running process that is stopped when dropped. Its stderr goes to a temporary file (a
/// pipe nobody drains could fill up and block a chatty process).
pub struct Process {
    /// The child.
    pub child: Child,
    stderr_file: tempfile::NamedTempFile,
}

impl Process {
    /// Starts `program` with `args`, stdout piped.
    pub fn start(program: &Path, args: &[&str]) -> Process {
        let stderr_file = tempfile::NamedTempFile::new().expect("stderr file");
        let stderr = stderr_file.reopen().expect("stderr file handle");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Process { child, stderr_file }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads stdout lines until one equals `line` (panics after [`DEADLINE`]).
    pub fn wait_for_line(&mut self, line: &str) -> Vec<String> {
        let stdout = self.child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        let wanted = line.to_string();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                let done = l == wanted;
                seen.push(l);
                if done {
                    let _ = tx.send(seen.clone());
                }
            }
            let _ = tx.send(seen);
        });
        let seen = rx
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("no '{line}' line in time"));
        assert!(
            seen.last().is_some_and(|l| l == line),
            "process ended without '{line}': {seen:?}"
        );
        seen
    }

    /// Reads stdout until a line starting with `prefix`; returns that line.
    pub fn wait_for_line_prefix(&mut self, prefix: &str) -> String {
        let stdout = self.child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        let wanted = prefix.to_string();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if l.starts_with(&wanted) {
                    let _ = tx.send(l);
                }
            }
        });
        rx.recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("no line starting '{prefix}' in time"))
    }

    /// Sends `signal`.
    pub fn signal(&self, signal: Signal) {
        let pid = Pid::from_raw(i32::try_from(self.pid()).expect("pid fits"));
        let _ = kill(pid, signal);
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then wait; panics if it does not exit in time.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        self.wait_timeout(DEADLINE)
            .expect("process did not stop after SIGTERM")
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&mut self) -> String {
        std::fs::read_to_string(self.stderr_file.path()).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal(Signal::SIGTERM);
            if self.wait_timeout(Duration::from_secs(3)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// A `bitcoin-node -regtest -ipcbind=unix` in a temporary data directory.
pub struct Node {
    /// The node process.
    pub process: Process,
    /// The data directory (removed when dropped).
    pub datadir: tempfile::TempDir,
}

impl Node {
    /// Starts a node with `-ipcbind=unix` plus `extra` arguments and waits for its socket.
    pub fn start(extra: &[&str]) -> Node {
        let datadir = tempfile::tempdir().expect("tempdir");
        let socket = datadir.path().join("regtest/node.sock");
        let ready = SocketWait::before_start(&socket);
        let mut process = Node::start_in(datadir.path(), extra);
        ready.wait(&mut process);
        Node { process, datadir }
    }

    /// Starts a node on an existing data directory, without waiting.
    pub fn start_in(datadir: &Path, extra: &[&str]) -> Process {
        let arg = format!("-datadir={}", datadir.display());
        let mut args = vec!["-regtest", arg.as_str(), "-ipcbind=unix"];
        args.extend_from_slice(extra);
        Process::start(&bin("bitcoin-node"), &args)
    }

    /// `<datadir>/regtest`.
    pub fn net_dir(&self) -> PathBuf {
        self.datadir.path().join("regtest")
    }

    /// The node's default socket.
    pub fn socket(&self) -> PathBuf {
        self.net_dir().join("node.sock")
    }
}

/// Runs `program args`, returning (exit code, stdout, stderr).
pub fn run(program: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A regtest `bitcoin-node` in a data directory (IPC socket, no HTTP server or cookie), with
/// an `Rpc` object over IPC to call JSON-RPC methods.
pub struct RpcNode {
    /// The node process.
    pub process: Process,
    _conn: ipc::Connection,
    rpc: Box<dyn interfaces::Rpc>,
}

impl RpcNode {
    /// Starts a regtest node in `dir` and connects to its socket.
    pub fn start(dir: &Path) -> RpcNode {
        RpcNode::start_with(dir, "regtest", &[])
    }

    /// A node on `net` (`regtest`, `signet`, ...) with `extra` arguments.
    pub fn start_with(dir: &Path, net: &str, extra: &[&str]) -> RpcNode {
        let d = format!("-datadir={}", dir.display());
        let chain = format!("-{net}");
        let mut args = vec![
            d.as_str(),
            chain.as_str(),
            "-ipcbind=unix",
            "-printtoconsole=0",
            "-norpccookiefile",
            "-server=0",
        ];
        args.extend_from_slice(extra);
        let sock = dir.join(net).join("node.sock");
        let ready = SocketWait::before_start(&sock);
        let mut process = Process::start(&bin("bitcoin-node"), &args);
        ready.wait(&mut process);
        let (conn, init) = ipc::connect_init(&sock).expect("connect");
        let rpc = interfaces::Init::make_rpc(&init).expect("make_rpc");
        RpcNode {
            process,
            _conn: conn,
            rpc,
        }
    }

    /// A regtest node without a wallet listening on a free loopback port (for P2P tests),
    /// with `extra` arguments.
    pub fn start_listening(dir: &Path, extra: &[&str]) -> RpcNode {
        let mut args = vec!["-disablewallet", "-bind=127.0.0.1:0"];
        args.extend_from_slice(extra);
        RpcNode::start_with(dir, "regtest", &args)
    }

    /// The port of the node's (first) listening socket.
    pub fn p2p_port(&self) -> u16 {
        let info = self.call("getnetworkinfo", serde_json::json!([]));
        info["localaddresses"][0]["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .expect("a listening port")
    }

    /// `127.0.0.1:<port>` of the node's listening socket.
    pub fn p2p_addr(&self) -> String {
        format!("127.0.0.1:{}", self.p2p_port())
    }

    /// Wraps a node started elsewhere (`process`, e.g. Bitcoin Core's `bitcoin-node` in the
    /// side-by-side benchmark) and a connection to its `Init`; calls go through `makeRpc`.
    pub fn attach(process: Process, conn: ipc::Connection, init: &ipc::InitProxy) -> RpcNode {
        let rpc = interfaces::Init::make_rpc(init).expect("make_rpc");
        RpcNode {
            process,
            _conn: conn,
            rpc,
        }
    }

    /// The whole JSON-RPC 1.0 reply to `method` with `params` (an array or an object).
    pub fn try_call(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.try_call_at("/", method, params)
    }

    /// The whole reply to `method` at endpoint `uri` (`/wallet/<name>`).
    pub fn try_call_at(
        &self,
        uri: &str,
        method: &str,
        params: serde_json::Value,
    ) -> serde_json::Value {
        let request = serde_json::json!({"id": 1, "method": method, "params": params});
        let reply = self
            .rpc
            .execute_rpc(&request.to_string(), uri, "")
            .expect("execute_rpc");
        serde_json::from_str(&reply).expect("reply is JSON")
    }

    /// The result of `method`, panicking on an RPC error.
    pub fn call(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let reply = self.try_call(method, params);
        assert!(reply["error"].is_null(), "{method}: {reply}");
        reply["result"].clone()
    }

    /// The error code and message of `method`, panicking if it succeeds.
    pub fn error(&self, method: &str, params: serde_json::Value) -> (i64, String) {
        let reply = self.try_call(method, params.clone());
        let error = &reply["error"];
        assert!(!error.is_null(), "{method} {params} succeeded: {reply}");
        (
            error["code"].as_i64().expect("code"),
            error["message"].as_str().expect("message").to_string(),
        )
    }

    /// The whole reply to wallet method `method` of wallet `wallet` (`/wallet/<wallet>`).
    pub fn wallet_reply(
        &self,
        wallet: &str,
        method: &str,
        params: serde_json::Value,
    ) -> serde_json::Value {
        self.try_call_at(&format!("/wallet/{wallet}"), method, params)
    }

    /// The result of wallet `wallet`'s `method`, panicking on an RPC error.
    pub fn wallet_call(
        &self,
        wallet: &str,
        method: &str,
        params: serde_json::Value,
    ) -> serde_json::Value {
        let reply = self.wallet_reply(wallet, method, params);
        assert!(reply["error"].is_null(), "{wallet} {method}: {reply}");
        reply["result"].clone()
    }

    /// The error code and message of wallet `wallet`'s `method`, panicking if it succeeds.
    pub fn wallet_error(
        &self,
        wallet: &str,
        method: &str,
        params: serde_json::Value,
    ) -> (i64, String) {
        let reply = self.wallet_reply(wallet, method, params);
        let error = &reply["error"];
        assert!(!error.is_null(), "{wallet} {method} succeeded: {reply}");
        (
            error["code"].as_i64().expect("code"),
            error["message"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// Stops the node with SIGTERM and checks it exits cleanly.
    pub fn stop(mut self) {
        assert!(self.process.stop().success());
    }
}
