//! `getblockcount` requests per second over the JSON-RPC server of a real `bitcoin-node`
//! process: 1 client thread (the baseline), then 8 client threads, each with one keep-alive
//! HTTP/1.1 connection, sending requests one after another for a fixed time.
//!
//! The node binary is `$BITCOIN_NODE_BIN`, else `target/<profile>/bitcoin-node` next to this
//! bench's `deps/` directory (`scripts/bench-node.sh` builds it first).
//!
//! `cargo bench -p bitcoin-node --bench rpc_bench -- [--seconds S] [--rounds N]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// base64("u:p"), the `-rpcuser=u -rpcpassword=p` credentials.
const AUTH: &str = "dTpw";
const BODY: &str = r#"{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}"#;

fn node_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("BITCOIN_NODE_BIN") {
        return PathBuf::from(bin);
    }
    // target/<profile>/deps/rpc_bench-<hash>
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors()
        .nth(2)
        .expect("the bench runs from target/<profile>/deps")
        .join("bitcoin-node")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds a free port");
    listener.local_addr().expect("local address").port()
}

/// One keep-alive connection.
struct Client {
    port: u16,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    request: Vec<u8>,
}

/// What one request saw.
enum Reply {
    /// 200 with a result; whether the server asked to close the connection.
    Ok { close: bool },
    /// The connection was closed before a full response.
    Closed,
    /// Another status (e.g. 503 while warming up).
    Status(u16),
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {AUTH}\r\n\
             Content-Type: application/json\r\nConnection: keep-alive\r\n\
             Content-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        )
        .into_bytes();
        Ok(Client {
            port,
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            request,
        })
    }

    fn reconnect(&mut self) {
        *self = Client::connect(self.port).expect("reconnects");
    }

    fn call(&mut self) -> Reply {
        if self.writer.write_all(&self.request).is_err() {
            return Reply::Closed;
        }
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) | Err(_) => return Reply::Closed,
            Ok(_) => {}
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("an HTTP status line");
        let mut length = None;
        let mut close = false;
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return Reply::Closed,
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').expect("a header line");
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let mut body = vec![0u8; length.expect("a Content-Length header")];
        if self.reader.read_exact(&mut body).is_err() {
            return Reply::Closed;
        }
        if status != 200 {
            return Reply::Status(status);
        }
        assert!(
            body.windows(9).any(|w| w == b"\"result\":"),
            "a JSON-RPC result: {}",
            String::from_utf8_lossy(&body)
        );
        Reply::Ok { close }
    }
}

/// One client thread's results.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    reconnects: usize,
}

fn client(port: u16, start: &Barrier, run_for: Duration) -> Tally {
    let mut client = Client::connect(port).expect("connects");
    let mut tally = Tally::default();
    start.wait();
    let deadline = Instant::now() + run_for;
    while Instant::now() < deadline {
        let sent = Instant::now();
        match client.call() {
            Reply::Ok { close } => {
                tally.latencies.push(sent.elapsed());
                if close {
                    tally.reconnects += 1;
                    client.reconnect();
                }
            }
            Reply::Closed => {
                tally.reconnects += 1;
                client.reconnect();
            }
            Reply::Status(status) => panic!("getblockcount answered HTTP {status}"),
        }
    }
    tally
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs `threads` clients for `run_for` and prints a table row.
fn measure(port: u16, threads: usize, run_for: Duration) -> f64 {
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let start = start.clone();
            thread::spawn(move || client(port, &start, run_for))
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let mut tallies: Vec<Tally> = handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let wall = began.elapsed().as_secs_f64();
    let total: usize = tallies.iter().map(|t| t.latencies.len()).sum();
    let reconnects: usize = tallies.iter().map(|t| t.reconnects).sum();
    let mut per_client: Vec<Duration> = tallies
        .iter_mut()
        .map(|t| median(&mut t.latencies))
        .collect();
    let mut all: Vec<Duration> = tallies.into_iter().flat_map(|t| t.latencies).collect();
    all.sort_unstable();
    let p90 = all[all.len() * 9 / 10];
    per_client.sort_unstable();
    let rate = total as f64 / wall;
    let connection = if reconnects == 0 {
        "keep-alive, never closed by the server".to_string()
    } else {
        format!("**server closed keep-alive connections: {reconnects} reconnects**")
    };
    println!(
        "| {threads} | {wall:.1} s | {total} | {rate:.0} | {:.0} µs | {:.0} - {:.0} µs | {:.0} µs | {connection} |",
        micros(all[all.len() / 2]),
        micros(per_client[0]),
        micros(per_client[per_client.len() - 1]),
        micros(p90),
    );
    rate
}

/// Waits until the node answers `getblockcount` with 200.
fn wait_ready(port: u16, node: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            node.try_wait().expect("polls the node").is_none(),
            "bitcoin-node exited during startup"
        );
        if let Ok(mut client) = Client::connect(port) {
            if matches!(client.call(), Reply::Ok { .. }) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "bitcoin-node not ready in 60 s");
        thread::sleep(Duration::from_millis(100));
    }
}

fn stop(node: &mut Child) {
    let pid = i32::try_from(node.id()).expect("pid fits i32");
    let started = Instant::now();
    // SAFETY: `pid` is our own child, not yet reaped.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0, "sends SIGTERM");
    let deadline = started + Duration::from_secs(60);
    loop {
        if let Some(status) = node.try_wait().expect("polls the node") {
            println!(
                "node stopped by SIGTERM in {:.2} s: {status}",
                started.elapsed().as_secs_f64()
            );
            return;
        }
        if Instant::now() > deadline {
            node.kill().expect("kills the node");
            node.wait().expect("reaps the node");
            println!("node did not stop in 60 s after SIGTERM: killed");
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let run_for = Duration::from_secs(arg(&args, "--seconds", 5));
    let rounds = arg(&args, "--rounds", 2);
    let binary = node_binary();
    let datadir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut node = Command::new(&binary)
        .arg("-regtest")
        .arg(format!("-datadir={}", datadir.path().display()))
        .arg(format!("-rpcport={port}"))
        .args(["-rpcuser=u", "-rpcpassword=p", "-printtoconsole=0"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starts {}: {e}", binary.display()));
    wait_ready(port, &mut node);
    println!(
        "rpc_bench: {} on 127.0.0.1:{port}, {} s per row, {rounds} rounds",
        binary.display(),
        run_for.as_secs()
    );
    // Warm-up: the connection path and the server's worker threads.
    let warm = Arc::new(Barrier::new(1));
    drop(client(port, &warm, Duration::from_millis(500)));
    println!();
    println!("| Client threads | Wall | Requests | Requests/s | Median latency (all requests) | Per-client median latency (min - max) | p90 | Connections |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let one = measure(port, 1, run_for);
        let eight = measure(port, 8, run_for);
        ratios.push(eight / one);
    }
    println!();
    let ratios: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!("SUMMARY 8_clients_over_1={}", ratios.join(","));
    stop(&mut node);
}
