//! What each IPC connection of this process is doing, for `getipcinfo` and `Node.getIpcInfo`:
//! how it came, the peer's pid and uid, since when, its server threads, the objects served to
//! it by interface, calls in flight, and per-method call counts with latency percentiles.
//!
//! A process-wide table, written by the connection, thread and call paths of this crate
//! (cheap: one short lock per call) and read from any thread.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use interfaces::{IpcConnectionInfo, IpcMethodStats, IpcObjectCount};

/// Latencies kept per method for the percentiles.
const RECENT: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The peer of a unix socket, from `SO_PEERCRED`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peer {
    /// Its process id, when known.
    pub pid: Option<i32>,
    /// Its user id, when known.
    pub uid: Option<u32>,
}

impl Peer {
    /// The peer of `stream`.
    pub(crate) fn of(stream: &tokio::net::UnixStream) -> Peer {
        match stream.peer_cred() {
            Ok(cred) => Peer {
                pid: cred.pid(),
                uid: Some(cred.uid()),
            },
            Err(e) => {
                tracing::debug!("IPC: no peer credentials: {e}");
                Peer::default()
            }
        }
    }
}

#[derive(Default)]
struct Method {
    calls: u64,
    recent: VecDeque<u64>,
    max_us: u64,
}

/// One connection's figures (kept by the connection's loop state too, so a call reaches
/// them without the process-wide table).
pub(crate) struct Record {
    origin: String,
    peer: Mutex<Peer>,
    since: SystemTime,
    threads: AtomicU32,
    in_flight: AtomicU32,
    objects: Mutex<BTreeMap<&'static str, u64>>,
    methods: Mutex<BTreeMap<&'static str, Method>>,
}

static TABLE: LazyLock<Mutex<HashMap<u64, Arc<Record>>>> = LazyLock::new(Mutex::default);

fn record(conn: u64) -> Option<Arc<Record>> {
    lock(&TABLE).get(&conn).cloned()
}

/// Connection `conn` opened; returns its record.
pub(crate) fn opened(conn: u64, origin: String, peer: Peer) -> Arc<Record> {
    let record = Record {
        origin,
        peer: Mutex::new(peer),
        since: SystemTime::now(),
        threads: AtomicU32::new(0),
        in_flight: AtomicU32::new(0),
        objects: Mutex::default(),
        methods: Mutex::default(),
    };
    let record = Arc::new(record);
    lock(&TABLE).insert(conn, record.clone());
    record
}

/// Sets the peer's pid of connection `conn`: a socketpair's `SO_PEERCRED` names the process
/// that made the pair, so a parent names the child it spawned.
pub(crate) fn set_peer_pid(conn: u64, pid: u32) {
    if let Some(r) = record(conn) {
        lock(&r.peer).pid = i32::try_from(pid).ok();
    }
}

/// Connection `conn` closed.
pub(crate) fn closed(conn: u64) {
    lock(&TABLE).remove(&conn);
}

/// How many connections are open now.
pub fn open_connections() -> usize {
    lock(&TABLE).len()
}

/// A server thread was made for connection `conn` (or, with `gone`, ended).
pub(crate) fn thread(conn: u64, gone: bool) {
    if let Some(r) = record(conn) {
        if gone {
            let _ = r
                .threads
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        } else {
            r.threads.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Counts an object of `interface` served on `conn` until dropped.
pub(crate) struct ObjectGuard {
    conn: u64,
    interface: &'static str,
}

impl ObjectGuard {
    pub(crate) fn new(conn: u64, interface: &'static str) -> ObjectGuard {
        if let Some(r) = record(conn) {
            *lock(&r.objects).entry(interface).or_default() += 1;
        }
        ObjectGuard { conn, interface }
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        if let Some(r) = record(self.conn) {
            let mut objects = lock(&r.objects);
            if let Some(n) = objects.get_mut(self.interface) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    objects.remove(self.interface);
                }
            }
        }
    }
}

/// One call being served; dropping it records its latency.
pub(crate) struct CallGuard {
    record: Option<Arc<Record>>,
    method: &'static str,
    started: Instant,
}

/// A call of `method` on the connection of `record` starts being served.
pub(crate) fn call(record: Option<Arc<Record>>, method: &'static str) -> CallGuard {
    if let Some(r) = &record {
        r.in_flight.fetch_add(1, Ordering::SeqCst);
    }
    CallGuard {
        record,
        method,
        started: Instant::now(),
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let Some(r) = &self.record else {
            return;
        };
        let us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        r.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut methods = lock(&r.methods);
        let m = methods.entry(self.method).or_default();
        m.calls += 1;
        m.max_us = m.max_us.max(us);
        if m.recent.len() == RECENT {
            m.recent.pop_front();
        }
        m.recent.push_back(us);
    }
}

/// The `q`-quantile (0..=1) of `sorted`, nearest rank.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn method_stats(name: &str, m: &Method) -> IpcMethodStats {
    let mut sorted: Vec<u64> = m.recent.iter().copied().collect();
    sorted.sort_unstable();
    IpcMethodStats {
        name: name.to_string(),
        calls: m.calls,
        p50_us: quantile(&sorted, 0.50),
        p90_us: quantile(&sorted, 0.90),
        p99_us: quantile(&sorted, 0.99),
        max_us: m.max_us,
    }
}

fn info(id: u64, r: &Record) -> IpcConnectionInfo {
    let peer = *lock(&r.peer);
    IpcConnectionInfo {
        id,
        origin: r.origin.clone(),
        peer_pid: peer.pid.map_or(-1, i64::from),
        peer_uid: peer.uid.map_or(-1, i64::from),
        connected_since: r
            .since
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        server_threads: r.threads.load(Ordering::SeqCst),
        objects: lock(&r.objects)
            .iter()
            .map(|(interface, count)| IpcObjectCount {
                interface: (*interface).to_string(),
                count: *count,
            })
            .collect(),
        calls_in_flight: r.in_flight.load(Ordering::SeqCst),
        methods: lock(&r.methods)
            .iter()
            .map(|(name, m)| method_stats(name, m))
            .collect(),
    }
}

/// Every open connection of this process, oldest first.
pub fn connections() -> Vec<IpcConnectionInfo> {
    let mut records: Vec<(u64, Arc<Record>)> = lock(&TABLE)
        .iter()
        .map(|(id, r)| (*id, r.clone()))
        .collect();
    records.sort_by_key(|(id, _)| *id);
    records.iter().map(|(id, r)| info(*id, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&sorted, 0.5), 50);
        assert_eq!(quantile(&sorted, 0.9), 90);
        assert_eq!(quantile(&sorted, 0.99), 99);
        assert_eq!(quantile(&[7], 0.99), 7);
        assert_eq!(quantile(&[], 0.5), 0);
    }

    #[test]
    fn calls_objects_and_threads_are_counted_per_connection() {
        opened(u64::MAX - 1, "test".into(), Peer::default());
        thread(u64::MAX - 1, false);
        let object = ObjectGuard::new(u64::MAX - 1, "Echo");
        for _ in 0..3 {
            drop(call(record(u64::MAX - 1), "echo"));
        }
        let busy = call(record(u64::MAX - 1), "wait");
        let info = connections()
            .into_iter()
            .find(|c| c.id == u64::MAX - 1)
            .expect("listed");
        assert_eq!(info.server_threads, 1);
        assert_eq!(info.calls_in_flight, 1);
        assert_eq!(
            info.objects,
            [IpcObjectCount {
                interface: "Echo".into(),
                count: 1
            }]
        );
        assert_eq!(info.methods.len(), 1);
        assert_eq!(info.methods[0].calls, 3);
        drop((busy, object));
        closed(u64::MAX - 1);
        assert!(connections().iter().all(|c| c.id != u64::MAX - 1));
    }
}
