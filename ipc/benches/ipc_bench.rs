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
//! Plus diagnostic rows that split the cost of 3: `TestSuite::ping` (thread-mapped client,
//! answered on the server's event loop, no server worker thread), `TestSuite::thread_id` (full
//! path, no payload), a Mutex+Condvar ping-pong, a post-to-tokio-loop hop, plain capnp with a
//! `Context.callbackThread` capability per call (dropped or kept by the server), and the floor
//! with its two threads pinned to different CPUs.
//!
//! Every latency row also reports, over the timed section: process CPU time (user + sys),
//! context switches and minor page faults per call from `getrusage(RUSAGE_SELF)`, and the run
//! time per call of the `ipc-loop` thread, the `ipc-<n>` server workers and the other threads
//! from `/proc/self/task/*/schedstat`.
//!
//! Usage: `ipc_bench [--quick] [--iters N] [--data-iters N] [--only floor,capnp,full,threads,suite,hops]`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, PoisonError};
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
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use schemas::echo_capnp::echo;
use schemas::proxy_capnp::thread;
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
    /// Only run these groups (`floor`, `capnp`, `full`, `threads`, `suite`, `hops`); all if empty.
    only: Vec<String>,
}

impl Config {
    fn from_args() -> Config {
        let mut config = Config {
            iters: 20_000,
            data_iters: 20_000,
            warmup: 2_000,
            only: Vec::new(),
        };
        let mut quick = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--iters" => config.iters = parse_count(args.next()),
                "--data-iters" => config.data_iters = parse_count(args.next()),
                "--only" => {
                    let groups = args.next().expect("a comma-separated list after --only");
                    config.only = groups.split(',').map(str::to_string).collect();
                }
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

impl Config {
    fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

fn parse_count(arg: Option<String>) -> usize {
    arg.and_then(|a| a.parse().ok())
        .filter(|n| *n > 0)
        .expect("a positive count after --iters/--data-iters")
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/// Resources the process used over an interval: `getrusage(RUSAGE_SELF)` for CPU time and
/// context switches (all threads), and each thread's `/proc/self/task/*/schedstat` run time
/// grouped by role.
#[derive(Clone, Copy, Default)]
struct Usage {
    user: Duration,
    sys: Duration,
    voluntary: i64,
    involuntary: i64,
    /// Minor page faults.
    faults: i64,
    /// Run time of the IPC event-loop thread (`ipc-loop`).
    loop_cpu: Duration,
    /// Run time of the IPC server worker threads (`ipc-<n>`, made by `makeThread`).
    worker_cpu: Duration,
    /// Run time of every other thread (benchmark clients, the floor/capnp threads, main).
    other_cpu: Duration,
}

/// A point-in-time reading for [`Usage`].
struct Snapshot {
    rusage: Usage,
    /// Per thread id: name and cumulative run time in nanoseconds.
    tasks: HashMap<u64, (String, u64)>,
}

impl Snapshot {
    /// What was used between `before` and `self`. Threads that started in between count in
    /// full; threads that exited in between are missed (the benchmarks keep theirs alive).
    fn since(&self, before: &Snapshot) -> Usage {
        let mut used = Usage {
            user: self.rusage.user.saturating_sub(before.rusage.user),
            sys: self.rusage.sys.saturating_sub(before.rusage.sys),
            voluntary: self.rusage.voluntary - before.rusage.voluntary,
            involuntary: self.rusage.involuntary - before.rusage.involuntary,
            faults: self.rusage.faults - before.rusage.faults,
            ..Usage::default()
        };
        for (tid, (name, ran)) in &self.tasks {
            let earlier = before.tasks.get(tid).map_or(0, |(_, ran)| *ran);
            let ran = Duration::from_nanos(ran.saturating_sub(earlier));
            match thread_role(name) {
                Role::Loop => used.loop_cpu += ran,
                Role::Worker => used.worker_cpu += ran,
                Role::Other => used.other_cpu += ran,
            }
        }
        used
    }
}

enum Role {
    Loop,
    Worker,
    Other,
}

fn thread_role(name: &str) -> Role {
    if name == "ipc-loop" {
        Role::Loop
    } else if name
        .strip_prefix("ipc-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    {
        Role::Worker
    } else {
        Role::Other
    }
}

fn tasks() -> HashMap<u64, (String, u64)> {
    let mut tasks = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return tasks;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u64>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ran = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            });
        if let Some(ran) = ran {
            tasks.insert(tid, (name.trim().to_string(), ran));
        }
    }
    tasks
}

fn snapshot() -> Snapshot {
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
    Snapshot {
        rusage: Usage {
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
            voluntary: ru.ru_nvcsw,
            involuntary: ru.ru_nivcsw,
            faults: ru.ru_minflt,
            ..Usage::default()
        },
        tasks: tasks(),
    }
}

/// What one latency benchmark measured.
struct Sample {
    /// Per-call round-trip times, nanoseconds, sorted.
    nanos: Vec<u64>,
    wall: Duration,
    /// Resources the whole process used meanwhile.
    used: Usage,
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
    fn cpu_per_call(&self) -> (Duration, Duration) {
        let n = self.calls() as f64;
        (self.used.user.div_f64(n), self.used.sys.div_f64(n))
    }

    /// Run time per call of the loop thread, the worker threads and the others, in µs.
    #[allow(clippy::cast_precision_loss)]
    fn thread_cpu_per_call(&self) -> (f64, f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.calls() as f64;
        (
            per(self.used.loop_cpu),
            per(self.used.worker_cpu),
            per(self.used.other_cpu),
        )
    }

    /// Fraction of the wall time the loop thread was running.
    fn loop_busy(&self) -> f64 {
        self.used.loop_cpu.as_secs_f64() / self.wall.as_secs_f64()
    }

    #[allow(clippy::cast_precision_loss)]
    fn switches_per_call(&self) -> (f64, f64) {
        let n = self.calls() as f64;
        (
            self.used.voluntary as f64 / n,
            self.used.involuntary as f64 / n,
        )
    }

    #[allow(clippy::cast_precision_loss)]
    fn faults_per_call(&self) -> f64 {
        self.used.faults as f64 / self.calls() as f64
    }
}

/// Runs `call` `warmup` times, then `iters` times timing each call.
fn measure(warmup: usize, iters: usize, mut call: impl FnMut()) -> Sample {
    for _ in 0..warmup {
        call();
    }
    let mut nanos = Vec::with_capacity(iters);
    let before = snapshot();
    let start = Instant::now();
    for _ in 0..iters {
        let t0 = Instant::now();
        call();
        nanos.push(u64::try_from(t0.elapsed().as_nanos()).expect("call took centuries"));
    }
    let wall = start.elapsed();
    let after = snapshot();
    nanos.sort_unstable();
    Sample {
        nanos,
        wall,
        used: after.since(&before),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The floor: raw socketpair ping-pong.

/// Restricts the calling thread to `cpu`.
fn pin_to(cpu: usize) {
    let mut set = CpuSet::new();
    set.set(cpu).expect("CPU number in range");
    sched_setaffinity(Pid::from_raw(0), &set).expect("sched_setaffinity");
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    let set = sched_getaffinity(Pid::from_raw(0)).expect("sched_getaffinity");
    (0..CpuSet::count())
        .filter(|cpu| set.is_set(*cpu).unwrap_or(false))
        .collect()
}

/// The floor; with `cpus`, the two threads are pinned to those two different CPUs, so every
/// wake-up crosses CPUs.
fn bench_floor(config: &Config, cpus: Option<(usize, usize)>) -> Sample {
    let (mut ours, mut theirs) = UnixStream::pair().expect("socketpair");
    let echoer = std::thread::Builder::new()
        .name("floor-echo".into())
        .spawn(move || {
            if let Some((_, cpu)) = cpus {
                pin_to(cpu);
            }
            let mut buf = [0u8; 64];
            while theirs.read_exact(&mut buf).is_ok() {
                if theirs.write_all(&buf).is_err() {
                    break;
                }
            }
        })
        .expect("spawn floor echo thread");
    let (warmup, iters) = (config.warmup, config.iters);
    let sample = std::thread::Builder::new()
        .name("floor-client".into())
        .spawn(move || {
            if let Some((cpu, _)) = cpus {
                pin_to(cpu);
            }
            let mut ping = [0u8; 64];
            ping.copy_from_slice(MESSAGE.as_bytes());
            let mut pong = [0u8; 64];
            let sample = measure(warmup, iters, || {
                ours.write_all(&ping).expect("floor write");
                ours.read_exact(&mut pong).expect("floor read");
            });
            assert_eq!(ping, pong, "floor echo corrupted the message");
            sample
        })
        .expect("spawn floor client thread")
        .join()
        .expect("floor client thread");
    echoer.join().expect("floor echo thread");
    sample
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: the thread hops the ipc runtime uses, without capnp.

/// A one-slot mailbox with a condition variable, like the runtime's `Waiter`.
#[derive(Default)]
struct Mailbox {
    full: Mutex<bool>,
    ready: Condvar,
}

impl Mailbox {
    fn put(&self) {
        *self.full.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.ready.notify_one();
    }

    fn take(&self) {
        let mut full = self.full.lock().unwrap_or_else(PoisonError::into_inner);
        while !*full {
            full = self
                .ready
                .wait(full)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *full = false;
    }
}

/// d3: ping-pong between two OS threads through Mutex + Condvar (futex) wake-ups.
fn bench_condvar(config: &Config) -> Sample {
    let ping = Arc::new(Mailbox::default());
    let pong = Arc::new(Mailbox::default());
    let stop = Arc::new(AtomicBool::new(false));
    let echoer = {
        let (ping, pong, stop) = (ping.clone(), pong.clone(), stop.clone());
        std::thread::Builder::new()
            .name("condvar-echo".into())
            .spawn(move || loop {
                ping.take();
                if stop.load(Ordering::Acquire) {
                    break;
                }
                pong.put();
            })
            .expect("spawn condvar echo thread")
    };
    let sample = measure(config.warmup, config.iters, || {
        ping.put();
        pong.take();
    });
    stop.store(true, Ordering::Release);
    ping.put();
    echoer.join().expect("condvar echo thread");
    sample
}

/// d4: the runtime's client hop without capnp: post a closure to a tokio current-thread loop
/// through an unbounded channel (as `runtime::post` does), which replies through a condvar
/// mailbox (as `Waiter` does).
fn bench_loop_hop(config: &Config) -> Sample {
    type Job = Box<dyn FnOnce() + Send>;
    let (jobs, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Job>();
    let looper = std::thread::Builder::new()
        .name("hop-loop".into())
        .spawn(move || {
            let runtime = current_thread_runtime();
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(job) = receiver.recv().await {
                    job();
                }
            });
        })
        .expect("spawn hop loop thread");
    let reply = Arc::new(Mailbox::default());
    let sample = measure(config.warmup, config.iters, || {
        let reply2 = reply.clone();
        let sent = jobs.send(Box::new(move || reply2.put()));
        assert!(sent.is_ok(), "hop loop is gone");
        reply.take();
    });
    drop(jobs);
    looper.join().expect("hop loop thread");
    sample
}

// ---------------------------------------------------------------------------------------------
// 2. Plain capnp-rpc, answered inline on the server's event loop.

/// How the plain capnp client fills the call's `Context`, and what the server does with it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ContextMode {
    /// No context: what capnp alone costs.
    None,
    /// `callbackThread` set to a client-hosted capability on every call, dropped by the server
    /// when the call ends (so capnp sends a `Release` back for each call), as the ipc runtime
    /// currently does.
    CallbackDropped,
    /// The same, but the server keeps the last `callbackThread` it received (as
    /// libmultiprocess keeps it per server thread), so no `Release` is needed per call.
    CallbackKept,
}

/// Answers `echo` immediately on the event loop: no threads.
struct InlineEcho {
    mode: ContextMode,
    kept: RefCell<Option<thread::Client>>,
}

impl echo::Server for InlineEcho {
    fn echo(
        self: std::rc::Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> impl Future<Output = Result<(), capnp::Error>> + 'static {
        let done = (|| {
            let params = params.get()?;
            if self.mode != ContextMode::None {
                let callback = params.get_context()?.get_callback_thread()?;
                if self.mode == ContextMode::CallbackKept {
                    *self.kept.borrow_mut() = Some(callback);
                }
            }
            let text = params.get_echo()?;
            results.get().set_result(text);
            Ok(())
        })();
        std::future::ready(done)
    }
}

/// A client-side `Thread` capability that is never called.
struct IdleThread;

impl thread::Server for IdleThread {}

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

fn bench_plain_capnp(config: &Config, mode: ContextMode) -> Sample {
    let (server_end, client_end) = UnixStream::pair().expect("socketpair");
    let server = std::thread::Builder::new()
        .name("capnp-server".into())
        .spawn(move || {
            let runtime = current_thread_runtime();
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let client: echo::Client = capnp_rpc::new_client(InlineEcho {
                    mode,
                    kept: RefCell::new(None),
                });
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
                let callback: thread::Client = capnp_rpc::new_client(IdleThread);
                let call = || {
                    let mut request = echo.echo_request();
                    if mode != ContextMode::None {
                        request
                            .get()
                            .init_context()
                            .set_callback_thread(callback.clone());
                    }
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
                let before = snapshot();
                let start = Instant::now();
                for _ in 0..iters {
                    let t0 = Instant::now();
                    call().await;
                    nanos
                        .push(u64::try_from(t0.elapsed().as_nanos()).expect("call took centuries"));
                }
                let wall = start.elapsed();
                let after = snapshot();
                drop(echo);
                rpc_task.abort();
                nanos.sort_unstable();
                Sample {
                    nanos,
                    wall,
                    used: after.since(&before),
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
    let finished = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let init = pair.init.clone();
            let barrier = barrier.clone();
            let finished = finished.clone();
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
                    // Stay alive until the main thread has read the per-thread CPU times.
                    finished.wait();
                    // Keep the proxy (and its destroy call) out of the timed section.
                    (nanos, done, echo)
                })
                .expect("spawn echo client thread")
        })
        .collect();
    barrier.wait();
    let before = snapshot();
    let start = Instant::now();
    finished.wait();
    let after = snapshot();
    let mut nanos = Vec::with_capacity(threads * config.iters);
    let mut end = start;
    let mut proxies = Vec::new();
    for handle in handles {
        let (mut thread_nanos, done, echo) = handle.join().expect("echo client thread");
        nanos.append(&mut thread_nanos);
        end = end.max(done);
        proxies.push(echo);
    }
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
            used: after.since(&before),
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
    let (user, sys) = sample.cpu_per_call();
    let (on_loop, workers, others) = sample.thread_cpu_per_call();
    println!(
        "| {number} | {name} | {} | {} | {} | {:.1} + {:.1} | {on_loop:.1} / {workers:.1} / {others:.1} | {:.0}% | {voluntary:.2} + {involuntary:.2} | {:.1} | {derived} |",
        sample.calls(),
        micros(sample.median()),
        micros(sample.p90()),
        user.as_secs_f64() * 1e6,
        sys.as_secs_f64() * 1e6,
        sample.loop_busy() * 100.0,
        sample.faults_per_call(),
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

#[allow(clippy::cast_precision_loss)]
fn mb_per_s(d: Duration, bytes: usize) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
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

    let floor = config.runs("floor").then(|| bench_floor(&config, None));
    let cpus = allowed_cpus();
    let cross_floor = (config.runs("floor") && cpus.len() >= 2)
        .then(|| bench_floor(&config, Some((cpus[0], cpus[1]))));
    let capnp = config
        .runs("capnp")
        .then(|| bench_plain_capnp(&config, ContextMode::None));
    let capnp_dropped = config
        .runs("capnp")
        .then(|| bench_plain_capnp(&config, ContextMode::CallbackDropped));
    let capnp_kept = config
        .runs("capnp")
        .then(|| bench_plain_capnp(&config, ContextMode::CallbackKept));
    let (full, one, four) = if config.runs("full") || config.runs("threads") {
        let pair = echo_pair();
        let full = config.runs("full").then(|| bench_full_echo(&config, &pair));
        let one = config
            .runs("threads")
            .then(|| bench_threads(&config, &pair, 1));
        let four = config
            .runs("threads")
            .then(|| bench_threads(&config, &pair, THREADS));
        (full, one, four)
    } else {
        (None, None, None)
    };
    let condvar = config.runs("hops").then(|| bench_condvar(&config));
    let hop = config.runs("hops").then(|| bench_loop_hop(&config));
    let diag = config.runs("suite").then(|| {
        let pair = suite_pair();
        let suite = pair.init.make_suite().expect("make_suite");
        bench_suite(&config, suite.as_ref())
    });

    let vs_floor = |s: &Sample| {
        floor.as_ref().map_or_else(
            || "(floor not run)".to_string(),
            |f| {
                format!(
                    "{:.2}x floor",
                    s.median().as_secs_f64() / f.median().as_secs_f64()
                )
            },
        )
    };
    let scaling = match (&one, &four) {
        (Some(one), Some(four)) => Some(four.calls_per_sec() / one.calls_per_sec()),
        _ => None,
    };

    println!("| # | Measurement | Calls | Median | p90 | CPU µs/call, process (user + sys) | CPU µs/call by thread: loop / workers / other | Loop busy | Ctx switches/call (vol + invol) | Page faults/call | Derived |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    if let Some(floor) = &floor {
        row(
            "1",
            "Floor: socketpair 64 B ping-pong, 2 OS threads, blocking",
            floor,
            "1.00x floor",
        );
    }
    if let Some(capnp) = &capnp {
        row(
            "2",
            "Plain capnp-rpc echo (64 B text), answered inline on server loop; client on own tokio runtime",
            capnp,
            &vs_floor(capnp),
        );
    }
    if let Some(full) = &full {
        row(
            "3",
            "Full path: `EchoProxy::echo` (64 B), 1 client thread, in-process socketpair, shared loop",
            full,
            &vs_floor(full),
        );
    }
    if let (Some(one), Some(four), Some(scaling)) = (&one, &four, scaling) {
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
    }
    if let Some((ping, thread_id, data)) = &diag {
        row(
            "5",
            "`TestSuite::echo_data` 1 MiB round trip",
            data,
            &format!(
                "{:.0} MB/s (2 MiB per round trip: payload once each way; MB = 10^6 B); {:.0} MB/s one way",
                mb_per_s(data.median(), 2 * MIB),
                mb_per_s(data.median(), MIB)
            ),
        );
        row(
            "d1",
            "Diagnostic: `TestSuite::ping` (thread-mapped client, answered on server loop, no worker)",
            ping,
            &vs_floor(ping),
        );
        row(
            "d2",
            "Diagnostic: `TestSuite::thread_id` (full path, no payload)",
            thread_id,
            &vs_floor(thread_id),
        );
    }
    if let Some(condvar) = &condvar {
        row(
            "d3",
            "Diagnostic: Mutex+Condvar ping-pong, 2 OS threads (the `Waiter` wake-up)",
            condvar,
            &vs_floor(condvar),
        );
    }
    if let Some(hop) = &hop {
        row(
            "d4",
            "Diagnostic: post closure to a tokio current-thread loop (unbounded mpsc), reply via condvar (the client hop, no capnp)",
            hop,
            &vs_floor(hop),
        );
    }
    if let Some(sample) = &capnp_dropped {
        row(
            "d5",
            "Diagnostic: plain capnp echo + `Context.callbackThread` (client-hosted cap) per call, dropped by server (a `Release` per call, as ipc does now)",
            sample,
            &vs_floor(sample),
        );
    }
    if let Some(sample) = &capnp_kept {
        row(
            "d6",
            "Diagnostic: as d5, but the server keeps the last `callbackThread` (no `Release` per call, as libmultiprocess)",
            sample,
            &vs_floor(sample),
        );
    }
    if let Some(sample) = &cross_floor {
        row(
            "d7",
            &format!(
                "Diagnostic: floor with the two threads pinned to different CPUs ({} and {}): every wake-up crosses CPUs",
                cpus[0], cpus[1]
            ),
            sample,
            &vs_floor(sample),
        );
    }
    println!();
    if let (Some(one), Some(four), Some(scaling)) = (&one, &four, scaling) {
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
    }
    for (name, sample) in [
        ("floor", &floor),
        ("plain capnp", &capnp),
        ("full path", &full),
    ] {
        if let Some(sample) = sample {
            println!(
                "Sequential rate, {name}: {:.0} round trips/s ({} in {:.3} s)",
                sample.calls_per_sec(),
                sample.calls(),
                sample.wall.as_secs_f64()
            );
        }
    }
    let us = |s: &Option<Sample>| {
        s.as_ref()
            .map_or(f64::NAN, |s| s.median().as_secs_f64() * 1e6)
    };
    println!(
        "SUMMARY floor_us={:.2} capnp_us={:.2} full_us={:.2} full_over_floor={:.2} one_thread_cps={:.0} four_thread_cps={:.0} scaling={:.2} data_mb_s={:.0}",
        us(&floor),
        us(&capnp),
        us(&full),
        us(&full) / us(&floor),
        one.as_ref().map_or(f64::NAN, Throughput::calls_per_sec),
        four.as_ref().map_or(f64::NAN, Throughput::calls_per_sec),
        scaling.unwrap_or(f64::NAN),
        diag.as_ref().map_or(f64::NAN, |(_, _, data)| mb_per_s(data.median(), 2 * MIB)),
    );
}
