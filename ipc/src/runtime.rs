//! The event loop: one thread per process that owns every Cap'n Proto object.
//!
//! capnp-rpc objects are `!Send`, so they all live on this thread, inside a tokio
//! current-thread runtime and `LocalSet`. Other threads reach them by posting closures with
//! [`post`]; what they keep are plain ids (connection ids, capability ids) into the tables of
//! [`LoopState`], which only the loop thread touches.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::thread::ThreadId;

use schemas::proxy_capnp::{thread, thread_map};
use tokio::sync::mpsc;

use crate::waiter::{on_thread_exit, ThreadKey};
use crate::workers::{Pool, ThreadServer};

type LoopJob = Box<dyn FnOnce() + Send>;

struct EventLoop {
    jobs: mpsc::UnboundedSender<LoopJob>,
    thread: ThreadId,
}

static EVENT_LOOP: OnceLock<EventLoop> = OnceLock::new();

fn event_loop() -> &'static EventLoop {
    EVENT_LOOP.get_or_init(|| {
        let (jobs, mut receiver) = mpsc::unbounded_channel::<LoopJob>();
        let (started, ready) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ipc-loop".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        tracing::error!("cannot start the IPC event loop: {e}");
                        return;
                    }
                };
                let local = tokio::task::LocalSet::new();
                let _ = started.send(std::thread::current().id());
                local.block_on(&runtime, async move {
                    while let Some(job) = receiver.recv().await {
                        job();
                    }
                });
            });
        let thread = match spawned {
            Ok(_) => ready.recv().ok(),
            Err(_) => None,
        };
        // Without a loop thread nothing can work; a dead id makes every call fail cleanly.
        let thread = thread.unwrap_or_else(|| std::thread::current().id());
        on_thread_exit(forget_thread);
        EventLoop { jobs, thread }
    })
}

/// Runs `job` on the event-loop thread. Returns false if the loop is gone.
pub(crate) fn post(job: impl FnOnce() + Send + 'static) -> bool {
    event_loop().jobs.send(Box::new(job)).is_ok()
}

/// Whether the calling thread is the event-loop thread (where blocking is forbidden).
pub fn on_loop_thread() -> bool {
    EVENT_LOOP
        .get()
        .is_some_and(|l| l.thread == std::thread::current().id())
}

/// Starts the event loop now rather than at the first IPC operation.
pub fn start() {
    event_loop();
}

/// Per-connection state kept on the loop thread.
#[derive(Default)]
pub(crate) struct ConnState {
    /// The peer's ThreadMap (from `construct`), used to make threads for our calls.
    pub(crate) remote_thread_map: Option<thread_map::Client>,
    /// Remote threads made for our OS threads, by thread key.
    pub(crate) remote_threads: HashMap<ThreadKey, thread::Client>,
    /// Worker pool for calls that name no thread (`makePool`).
    pub(crate) pool: Option<Pool>,
    /// The connection's figures (`getipcinfo`).
    pub(crate) stats: Option<std::sync::Arc<crate::stats::Record>>,
    /// Set once the connection is gone, with the reason.
    pub(crate) closed: Option<String>,
    /// The peer's `callbackThread` capabilities seen so far, by capnp client pointer, stored
    /// in the capability table. Keeping one reference per peer thread (as libmultiprocess
    /// does) spares a `Release` message after every call.
    pub(crate) callback_threads: HashMap<usize, u64>,
    /// Asks the connection's RPC system to shut down.
    pub(crate) disconnect: Option<tokio::sync::oneshot::Sender<()>>,
    /// Dropped with this state when the connection goes: calls in flight on it watch a
    /// receiver, so they fail at once even when the RPC system ends without answering them
    /// (a local close).
    pub(crate) gone: tokio::sync::watch::Sender<()>,
}

/// Tables owned by the loop thread.
#[derive(Default)]
pub(crate) struct LoopState {
    next_id: std::cell::Cell<u64>,
    /// Remote capabilities held by proxies on other threads, by capability id.
    pub(crate) caps: RefCell<HashMap<u64, capnp::capability::Client>>,
    pub(crate) conns: RefCell<HashMap<u64, ConnState>>,
    /// Local `Thread` capabilities standing for client threads (their `callbackThread`).
    pub(crate) local_threads: RefCell<HashMap<ThreadKey, thread::Client>>,
    /// Every `Thread` capability this process hosts, to map `Context.thread` to a thread.
    pub(crate) thread_servers:
        RefCell<capnp_rpc::CapabilityServerSet<ThreadServer, thread::Client>>,
}

thread_local! {
    static STATE: LoopState = LoopState::default();
}

/// Runs `f` with the loop's tables. Must be called on the loop thread.
pub(crate) fn with_state<R>(f: impl FnOnce(&LoopState) -> R) -> R {
    debug_assert!(on_loop_thread());
    STATE.with(f)
}

impl LoopState {
    pub(crate) fn new_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// Stores a capability for a handle on another thread; returns its id.
    pub(crate) fn add_cap(&self, client: capnp::capability::Client) -> u64 {
        let id = self.new_id();
        self.caps.borrow_mut().insert(id, client);
        id
    }

    pub(crate) fn cap(&self, id: u64) -> Option<capnp::capability::Client> {
        self.caps.borrow().get(&id).cloned()
    }

    /// Releases a stored capability (dropping the last reference tells the peer).
    pub(crate) fn remove_cap(&self, id: u64) {
        let removed = self.caps.borrow_mut().remove(&id);
        drop(removed);
    }

    /// Why connection `conn` is unusable, if it is.
    /// Forgets connection `conn`, releasing what it held in the loop's tables.
    pub(crate) fn remove_conn(&self, conn: u64) {
        let state = self.conns.borrow_mut().remove(&conn);
        if let Some(state) = &state {
            for id in state.callback_threads.values() {
                self.remove_cap(*id);
            }
        }
        drop(state);
    }

    /// The capability-table id of the peer thread `client` (a `callbackThread`), cached per
    /// connection; the flag says whether the cache keeps it (else the caller releases it).
    pub(crate) fn callback_thread_id(
        &self,
        conn: u64,
        client: capnp::capability::Client,
    ) -> (u64, bool) {
        const MAX_CACHED: usize = 1024;
        let ptr = client.hook.get_ptr();
        if let Some(id) = self
            .conns
            .borrow()
            .get(&conn)
            .and_then(|c| c.callback_threads.get(&ptr))
        {
            return (*id, true);
        }
        let id = self.add_cap(client);
        let mut conns = self.conns.borrow_mut();
        if let Some(state) = conns.get_mut(&conn) {
            if state.callback_threads.len() < MAX_CACHED {
                state.callback_threads.insert(ptr, id);
                return (id, true);
            }
        }
        (id, false)
    }

    /// Asks connection `conn`'s RPC system to shut down (its calls then fail on both sides).
    pub(crate) fn disconnect(&self, conn: u64) {
        let stop = self
            .conns
            .borrow_mut()
            .get_mut(&conn)
            .and_then(|c| c.disconnect.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }

    /// The figures of connection `conn`.
    pub(crate) fn stats(&self, conn: u64) -> Option<std::sync::Arc<crate::stats::Record>> {
        self.conns.borrow().get(&conn).and_then(|c| c.stats.clone())
    }

    /// A receiver whose `changed()` fails once connection `conn` is gone.
    pub(crate) fn gone_signal(&self, conn: u64) -> Option<tokio::sync::watch::Receiver<()>> {
        self.conns.borrow().get(&conn).map(|c| c.gone.subscribe())
    }

    pub(crate) fn closed_reason(&self, conn: u64) -> Option<String> {
        match self.conns.borrow().get(&conn) {
            None => Some("connection closed".into()),
            Some(state) => state.closed.clone(),
        }
    }
}

/// Called when an OS thread exits (registered with [`on_thread_exit`] when the loop starts):
/// drops the thread capabilities made for it, which ends the peer's worker threads that
/// served it.
fn forget_thread(key: ThreadKey) {
    if EVENT_LOOP.get().is_none() || on_loop_thread() {
        return;
    }
    post(move || {
        with_state(|state| {
            let local = state.local_threads.borrow_mut().remove(&key);
            drop(local);
            let mut removed = Vec::new();
            for conn in state.conns.borrow_mut().values_mut() {
                removed.extend(conn.remote_threads.remove(&key));
            }
            drop(removed);
        });
    });
}
