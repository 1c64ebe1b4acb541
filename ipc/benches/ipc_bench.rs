//! IPC latency and throughput benchmark (plain `main`, no harness).
//!
//! Measures, in one run:
//! 1. the floor: a raw socketpair 64-byte ping-pong between two OS threads;
//! 2. plain capnp-rpc: an `Echo` answered inline on the server's own event loop, called from
//!    a client on a separate current-thread tokio runtime in another OS thread;
//! 3. the full thread-mapped path: `EchoProxy::echo` from one client thread, in-process over
//!    a socketpair, server and client sharing the process's one IPC event loop;
//! 4. 4 client threads, each with its own `EchoProxy` (so its own server thread), against
//!    one client thread measured the same way;
//! 5. a 1 MiB `Data` round trip through `TestSuite::echo_data`.
//!
//! Plus two diagnostic rows that split the cost of 3: `TestSuite::ping` (thread-mapped client,
//! answered on the server's event loop, no server worker thread) and `TestSuite::thread_id`
//! (full path, no payload).
//!
//! Every latency row also reports CPU time and context switches per call, from
//! `getrusage(RUSAGE_SELF)` deltas (all threads of the process).
//!
//! Usage: `ipc_bench [--quick] [--iters N] [--data-iters N]`.

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use capnp::message::ReaderOptions;
use capnp_rpc::rpc_twoparty_capnp::Side;
use capnp_rpc::{twoparty, RpcSystem};
use futures::io::{BufReader, BufWriter};
use interfaces::{Echo, Error, Init, LocalEcho};
use ipc::interfaces::test_suite::{
    LocalTestInit, TestInit, TestInitProxy, TestInitServer, TestSuite,
};
use ipc::{Connection, InitProxy, InitServer};
use schemas::echo_capnp::echo;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

/// Text sent by every echo benchmark (64 bytes, like the floor's ping).
const MESSAGE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Size of the `echo_data` payload.
const MIB: usize = 1 << 20;
/// Client threads of the scaling benchmark.
const THREADS: usize = 4;

struct Config {
    iters: usize,
    data_iters: usize,
    warmup: usize,
}

impl Config {
    fn from_args() -> Config {
        let mut config = Config {
            iters: 20_000,
            data_iters: 20_000,
            warmup: 2_000,
        };
        let mut quick = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--iters" => config.iters = parse_count(args.next()),
                "--data-iters" => config.data_iters = parse_count(args.next()),
                // `cargo bench` passes `--bench`; ignore it and anything else.
                _ => {}
            }
        }
        if quick {
            config.iters = config.iters.min(2_000);
            config.data_iters = config.data_iters.min(300);
            config.warmup = 200;
        }
        config
    }
}

fn parse_count(arg: Option<String>) -> usize {
    arg.and_then(|a| a.parse().ok())
        .filter(|n| *n > 0)
        .expect("a positive count after --iters/--data-iters")
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/// Process-wide resource usage (all threads).
#[derive(Clone, Copy)]
struct Usage {
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
}

fn usage() -> Usage {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` is a valid, writable rusage; getrusage only writes into it.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage failed");
    // SAFETY: getrusage succeeded and filled the struct (it was zeroed before anyway).
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).expect("tv_sec"))
            + Duration::from_micros(u64::try_from(t.tv_usec).expect("tv_usec"))
    };
    Usage {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        voluntary: ru.ru_nvcsw,
        involuntary: ru.ru_nivcsw,
    }
}

/// What one latency benchmark measured.
struct Sample {
    /// Per-call round-trip times, nanoseconds, sorted.
    nanos: Vec<u64>,
    wall: Duration,
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
}

impl Sample {
    fn calls(&self) -> usize {
        self.nanos.len()
    }

    fn quantile(&self, q: f64) -> Duration {
        let len = self.nanos.len();
        assert!(len > 0, "no samples");
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((len as f64 - 1.0) * q).round() as usize;
        Duration::from_nanos(self.nanos[index.min(len - 1)])
    }

    fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    fn p90(&self) -> Duration {
        self.quantile(0.9)
    }

    #[allow(clippy::cast_precision_loss)]
    fn calls_per_sec(&self) -> f64 {
        self.calls() as f64 / self.wall.as_secs_f64()
    }

    #[allow(clippy::cast_precision_loss)]
    fn cpu_per_call(&self) -> Duration {
        self.cpu.div_f64(self.calls() as f64)
    }

    #[allow(clippy::cast_precision_loss)]
    fn switches_per_call(&self) -> (f64, f64) {
        let n = self.calls() as f64;
        (self.voluntary as f64 / n, self.involuntary as f64 / n)
    }
}

/// Runs `call` `warmup` times, then `iters` times timing each call.
fn measure(warmup: usize, iters: usize, mut call: impl FnMut()) -> Sample {
    for _ in 0..warmup {
        call();
    }
    let mut nanos = Vec::with_capacity(iters);
    let before = usage();
    let start = Instant::now();
    for _ in 0..iters {
        let t0 = Instant::now();
        call();
        nanos.push(u64::try_from(t0.elapsed().as_nanos()).expect("call took centuries"));
    }
    let wall = start.elapsed();
    let after = usage();
    nanos.sort_unstable();
    Sample {
        nanos,
        wall,
        cpu: after.cpu.saturating_sub(before.cpu),
        voluntary: after.voluntary - before.voluntary,
        involuntary: after.involuntary - before.involuntary,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The floor: raw socketpair ping-pong.

fn bench_floor(config: &Config) -> Sample {
    let (mut ours, mut theirs) = UnixStream::pair().expect("socketpair");
    let echoer = std::thread::Builder::new()
        .name("floor-echo".into())
        .spawn(move || {
            let mut buf = [0u8; 64];
            while theirs.read_exact(&mut buf).is_ok() {
                if theirs.write_all(&buf).is_err() {
                    break;
                }
            }
        })
        .expect("spawn floor echo thread");
    let mut ping = [0u8; 64];
    ping.copy_from_slice(MESSAGE.as_bytes());
    let mut pong = [0u8; 64];
    let sample = measure(config.warmup, config.iters, || {
        ours.write_all(&ping).expect("floor write");
        ours.read_exact(&mut pong).expect("floor read");
    });
    assert_eq!(ping, pong, "floor echo corrupted the message");
    drop(ours);
    echoer.join().expect("floor echo thread");
    sample
}

// ---------------------------------------------------------------------------------------------
// 2. Plain capnp-rpc, answered inline on the server's event loop.

/// Answers `echo` immediately on the event loop: no threads, no context.
struct InlineEcho;

impl echo::Server for InlineEcho {
    fn echo(
        self: std::rc::Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> impl Future<Output = Result<(), capnp::Error>> + 'static {
        let done = (|| {
            let text = params.get()?.get_echo()?;
            results.get().set_result(text);
            Ok(())
        })();
        std::future::ready(done)
    }
}

/// A capnp two-party network over `stream`, buffered like the ipc crate's.
fn network(
    stream: UnixStream,
    side: Side,
) -> twoparty::VatNetwork<impl futures::AsyncRead + Unpin> {
    stream.set_nonblocking(true).expect("set_nonblocking");
    let stream = tokio::net::UnixStream::from_std(stream).expect("tokio stream");
    let (reader, writer) = stream.into_split();
    let mut options = ReaderOptions::new();
    options.traversal_limit_in_words(Some(8 * 1024 * 1024));
    twoparty::VatNetwork::new(
        BufReader::new(reader.compat()),
        BufWriter::new(writer.compat_write()),
        side,
        options,
    )
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn bench_plain_capnp(config: &Config) -> Sample {
    let (server_end, client_end) = UnixStream::pair().expect("socketpair");
    let server = std::thread::Builder::new()
        .name("capnp-server".into())
        .spawn(move || {
            let runtime = current_thread_runtime();
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let client: echo::Client = capnp_rpc::new_client(InlineEcho);
                let rpc = RpcSystem::new(
                    Box::new(network(server_end, Side::Server)),
                    Some(client.client),
                );
                // Ends when the client closes the socket.
                let _ = rpc.await;
            });
        })
        .expect("spawn capnp server thread");
    let (warmup, iters) = (config.warmup, config.iters);
    let client = std::thread::Builder::new()
        .name("capnp-client".into())
        .spawn(move || {
            let runtime = current_thread_runtime();
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let mut rpc = RpcSystem::new(Box::new(network(client_end, Side::Client)), None);
                let echo: echo::Client = rpc.bootstrap(Side::Server);
                let rpc_task = tokio::task::spawn_local(rpc);
                let call = || {
                    let mut request = echo.echo_request();
                    request.get().set_echo(MESSAGE);
                    async move {
                        let response = request.send().promise.await.expect("capnp echo call");
                        let text = response
                            .get()
                            .expect("results")
                            .get_result()
                            .expect("result");
                        assert_eq!(text.to_str().expect("utf-8"), MESSAGE);
                    }
                };
                for _ in 0..warmup {
                    call().await;
                }
                let mut nanos = Vec::with_capacity(iters);
                let before = usage();
                let start = Instant::now();
                for _ in 0..iters {
                    let t0 = Instant::now();
                    call().await;
                    nanos
                        .push(u64::try_from(t0.elapsed().as_nanos()).expect("call took centuries"));
                }
                let wall = start.elapsed();
                let after = usage();
                drop(echo);
                rpc_task.abort();
                nanos.sort_unstable();
                Sample {
                    nanos,
                    wall,
                    cpu: after.cpu.saturating_sub(before.cpu),
                    voluntary: after.voluntary - before.voluntary,
                    involuntary: after.involuntary - before.involuntary,
                }
            })
        })
        .expect("spawn capnp client thread");
    let sample = client.join().expect("capnp client thread");
    server.join().expect("capnp server thread");
    sample
}

// ---------------------------------------------------------------------------------------------
// 3 and 4. The full thread-mapped path.

/// Serves `LocalEcho`s, like a node's `Init`.
struct BenchInit;

impl Init for BenchInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        Ok(Box::new(LocalEcho))
    }
}

/// An `Init` served and connected in this process over a socketpair (as the ipc tests do).
struct EchoPair {
    init: Arc<InitProxy>,
    _client_conn: Connection,
    _server_conn: Connection,
}

fn echo_pair() -> EchoPair {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let init: Arc<dyn Init> = Arc::new(BenchInit);
    let server_conn =
        ipc::serve_stream(a, move |conn| InitServer::bootstrap(init, conn)).expect("serve Init");
    let (client_conn, init) = ipc::connect_stream::<InitProxy>(b).expect("connect Init");
    EchoPair {
        init: Arc::new(init),
        _client_conn: client_conn,
        _server_conn: server_conn,
    }
}

fn echo_once(echo: &dyn Echo) {
    let reply = echo.echo(MESSAGE).expect("echo call");
    assert_eq!(reply, MESSAGE, "echo corrupted the message");
}

fn bench_full_echo(config: &Config, pair: &EchoPair) -> Sample {
    let init = pair.init.clone();
    let (warmup, iters) = (config.warmup, config.iters);
    // A fresh client thread, like each of the scaling benchmark's threads.
    std::thread::Builder::new()
        .name("echo-client".into())
        .spawn(move || {
            let echo = init.make_echo().expect("make_echo");
            measure(warmup, iters, || echo_once(echo.as_ref()))
        })
        .expect("spawn echo client thread")
        .join()
        .expect("echo client thread")
}

/// Result of running `threads` client threads of `calls` calls each.
struct Throughput {
    threads: usize,
    total_calls: usize,
    wall: Duration,
    /// Per-call latencies of all threads, sorted.
    latency: Sample,
}

impl Throughput {
    #[allow(clippy::cast_precision_loss)]
    fn calls_per_sec(&self) -> f64 {
        self.total_calls as f64 / self.wall.as_secs_f64()
    }
}

fn bench_threads(config: &Config, pair: &EchoPair, threads: usize) -> Throughput {
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let init = pair.init.clone();
            let barrier = barrier.clone();
            let (warmup, iters) = (config.warmup, config.iters);
            std::thread::Builder::new()
                .name(format!("echo-client-{i}"))
                .spawn(move || {
                    let echo = init.make_echo().expect("make_echo");
                    for _ in 0..warmup {
                        echo_once(echo.as_ref());
                    }
                    barrier.wait();
                    let mut nanos = Vec::with_capacity(iters);
                    for _ in 0..iters {
                        let t0 = Instant::now();
                        echo_once(echo.as_ref());
                        nanos.push(
                            u64::try_from(t0.elapsed().as_nanos()).expect("call took centuries"),
                        );
                    }
                    let done = Instant::now();
                    // Keep the proxy (and its destroy call) out of the timed section.
                    (nanos, done, echo)
                })
                .expect("spawn echo client thread")
        })
        .collect();
    barrier.wait();
    let before = usage();
    let start = Instant::now();
    let mut nanos = Vec::with_capacity(threads * config.iters);
    let mut end = start;
    let mut proxies = Vec::new();
    for handle in handles {
        let (mut thread_nanos, done, echo) = handle.join().expect("echo client thread");
        nanos.append(&mut thread_nanos);
        end = end.max(done);
        proxies.push(echo);
    }
    let after = usage();
    drop(proxies);
    nanos.sort_unstable();
    let wall = end - start;
    Throughput {
        threads,
        total_calls: nanos.len(),
        wall,
        latency: Sample {
            nanos,
            wall,
            cpu: after.cpu.saturating_sub(before.cpu),
            voluntary: after.voluntary - before.voluntary,
            involuntary: after.involuntary - before.involuntary,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// 5. 1 MiB Data round trip, and the TestSuite diagnostic rows.

struct SuitePair {
    init: TestInitProxy,
    _client_conn: Connection,
    _server_conn: Connection,
}

fn suite_pair() -> SuitePair {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let init: Arc<dyn TestInit> = Arc::new(LocalTestInit);
    let server_conn = ipc::serve_stream(a, move |conn| TestInitServer::bootstrap(init, conn))
        .expect("serve TestInit");
    let (client_conn, init) = ipc::connect_stream::<TestInitProxy>(b).expect("connect TestInit");
    SuitePair {
        init,
        _client_conn: client_conn,
        _server_conn: server_conn,
    }
}

fn bench_suite(config: &Config, suite: &dyn TestSuite) -> (Sample, Sample, Sample) {
    let ping = measure(config.warmup, config.iters, || {
        suite.ping().expect("ping");
    });
    let thread_id = measure(config.warmup, config.iters, || {
        suite.thread_id().expect("thread_id");
    });
    #[allow(clippy::cast_possible_truncation)]
    let payload: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    let mut checked = false;
    let data = measure(config.warmup.min(50), config.data_iters, || {
        let back = suite.echo_data(&payload).expect("echo_data");
        if checked {
            assert_eq!(back.len(), payload.len(), "echo_data changed the size");
        } else {
            assert_eq!(back, payload, "echo_data corrupted the payload");
            checked = true;
        }
    });
    (ping, thread_id, data)
}

// ---------------------------------------------------------------------------------------------
// Report.

fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn row(number: &str, name: &str, sample: &Sample, derived: &str) {
    let (voluntary, involuntary) = sample.switches_per_call();
    println!(
        "| {number} | {name} | {} | {} | {} | {} | {voluntary:.2} + {involuntary:.2} | {derived} |",
        sample.calls(),
        micros(sample.median()),
        micros(sample.p90()),
        micros(sample.cpu_per_call()),
    );
}

fn affinity() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Cpus_allowed_list:"))
                .map(|l| l.to_string())
        })
        .map_or_else(
            || "unknown".into(),
            |l| l.replace("Cpus_allowed_list:", "").trim().to_string(),
        )
}

#[allow(clippy::too_many_lines)]
fn main() {
    let config = Config::from_args();
    ipc::runtime::start();
    let available = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "ipc_bench: {} calls per latency row, {} x 1 MiB, warm-up {}; CPUs allowed: {} ({} usable)",
        config.iters,
        config.data_iters,
        config.warmup,
        affinity(),
        available
    );
    println!();

    let floor = bench_floor(&config);
    let capnp = bench_plain_capnp(&config);
    let pair = echo_pair();
    let full = bench_full_echo(&config, &pair);
    let one = bench_threads(&config, &pair, 1);
    let four = bench_threads(&config, &pair, THREADS);
    drop(pair);
    let suite_pair = suite_pair();
    let suite = suite_pair.init.make_suite().expect("make_suite");
    let (ping, thread_id, data) = bench_suite(&config, suite.as_ref());
    drop(suite);
    drop(suite_pair);

    let ratio = |s: &Sample| s.median().as_secs_f64() / floor.median().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let mb_per_s = |d: Duration, bytes: usize| bytes as f64 / d.as_secs_f64() / 1e6;
    let scaling = four.calls_per_sec() / one.calls_per_sec();

    println!("| # | Measurement | Calls | Median | p90 | CPU/call (all threads) | Ctx switches/call (vol + invol) | Derived |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    row(
        "1",
        "Floor: socketpair 64 B ping-pong, 2 OS threads, blocking",
        &floor,
        "1.00x floor",
    );
    row(
        "2",
        "Plain capnp-rpc echo (64 B text), answered inline on server loop; client on own tokio runtime",
        &capnp,
        &format!("{:.2}x floor", ratio(&capnp)),
    );
    row(
        "3",
        "Full path: `EchoProxy::echo` (64 B), 1 client thread, in-process socketpair, shared loop",
        &full,
        &format!("{:.2}x floor", ratio(&full)),
    );
    row(
        "4a",
        "Full path, 1 client thread (throughput run)",
        &one.latency,
        &format!("{:.0} calls/s", one.calls_per_sec()),
    );
    row(
        "4b",
        &format!(
            "Full path, {} client threads, own proxy each (latency of all calls)",
            four.threads
        ),
        &four.latency,
        &format!(
            "{:.0} calls/s total = {scaling:.2}x one thread",
            four.calls_per_sec()
        ),
    );
    row(
        "5",
        "`TestSuite::echo_data` 1 MiB round trip",
        &data,
        &format!(
            "{:.0} MB/s (2 MiB per round trip: payload once each way; MB = 10^6 B); {:.0} MB/s one way",
            mb_per_s(data.median(), 2 * MIB),
            mb_per_s(data.median(), MIB)
        ),
    );
    row(
        "d1",
        "Diagnostic: `TestSuite::ping` (thread-mapped client, answered on server loop, no worker)",
        &ping,
        &format!("{:.2}x floor", ratio(&ping)),
    );
    row(
        "d2",
        "Diagnostic: `TestSuite::thread_id` (full path, no payload)",
        &thread_id,
        &format!("{:.2}x floor", ratio(&thread_id)),
    );
    println!();
    println!(
        "Throughput: 1 thread {:.0} calls/s ({} calls in {:.3} s); {} threads {:.0} calls/s ({} calls in {:.3} s); ratio {scaling:.2}",
        one.calls_per_sec(),
        one.total_calls,
        one.wall.as_secs_f64(),
        four.threads,
        four.calls_per_sec(),
        four.total_calls,
        four.wall.as_secs_f64(),
    );
    println!(
        "Row 3 sequential rate: {:.0} calls/s; row 1 {:.0} round trips/s; row 2 {:.0} calls/s",
        full.calls_per_sec(),
        floor.calls_per_sec(),
        capnp.calls_per_sec()
    );
    println!(
        "SUMMARY floor_us={:.2} capnp_us={:.2} full_us={:.2} full_over_floor={:.2} one_thread_cps={:.0} four_thread_cps={:.0} scaling={scaling:.2} data_mb_s={:.0}",
        floor.median().as_secs_f64() * 1e6,
        capnp.median().as_secs_f64() * 1e6,
        full.median().as_secs_f64() * 1e6,
        ratio(&full),
        one.calls_per_sec(),
        four.calls_per_sec(),
        mb_per_s(data.median(), 2 * MIB),
    );
}
