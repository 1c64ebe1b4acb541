//! Client side of a call: proxies hold [`CapRef`]s and block the calling thread in
//! [`CapRef::call`] while the event loop sends the request. While it waits, the thread runs
//! the callbacks the server addresses to it (its `callbackThread`).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use interfaces::Error;
use schemas::proxy_capnp::{context, thread, thread_map};

use crate::runtime::{self, on_loop_thread, with_state, LoopState};
use crate::waiter::{self, Serving, ThreadKey, Waiter};
use crate::workers::ThreadServer;

/// A capability on the event loop, referenced from any thread. Dropping it releases the
/// capability (the peer frees the object when its last reference goes).
pub struct CapRef {
    conn: u64,
    id: u64,
}

/// What a request needs, prepared on the loop for one call.
pub struct CallSetup {
    /// The capability to call.
    pub client: capnp::capability::Client,
    /// The connection it belongs to.
    pub conn: u64,
    thread: Option<thread::Client>,
    callback_thread: thread::Client,
}

impl CallSetup {
    /// Fills the call's `Context`: where the server should run it and where its callbacks go.
    pub fn fill_context(&self, mut ctx: context::Builder<'_>) {
        if let Some(thread) = &self.thread {
            ctx.set_thread(thread.clone());
        }
        ctx.set_callback_thread(self.callback_thread.clone());
    }
}

/// Converts a capnp error from a call into the interface error.
pub fn from_capnp(error: capnp::Error) -> Error {
    // capnp-rpc decorates exceptions received from the peer; keep the server's own text.
    let message = match error.extra.strip_prefix("remote exception: ") {
        Some(text) => text.to_string(),
        None => error.extra,
    };
    match error.kind {
        capnp::ErrorKind::Disconnected => Error::Disconnected(message),
        _ => Error::Remote(message),
    }
}

/// Converts an interface error returned by an implementation into the capnp exception sent
/// to the client (type FAILED, the message as its text).
pub fn to_capnp(error: Error) -> capnp::Error {
    capnp::Error::failed(error.message().to_string())
}

struct Reply<R> {
    slot: Arc<Mutex<Option<Result<R, Error>>>>,
    waiter: Arc<Waiter>,
}

impl<R: Send + 'static> Reply<R> {
    fn send(self, result: Result<R, Error>) {
        let slot = self.slot;
        let posted = self.waiter.post(Box::new(move || {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        }));
        if posted.is_err() {
            tracing::warn!("IPC client: reply for a thread that is gone");
        }
    }
}

impl CapRef {
    /// Wraps a capability received on the loop thread.
    pub fn new_on_loop(conn: u64, client: capnp::capability::Client) -> CapRef {
        let id = with_state(|s| s.add_cap(client));
        CapRef { conn, id }
    }

    /// The connection this capability belongs to.
    pub fn conn(&self) -> u64 {
        self.conn
    }

    /// Runs a call: `build` runs on the loop, makes the request from the prepared
    /// [`CallSetup`] and returns the future of its converted result; the calling thread
    /// blocks until then, running callbacks addressed to it meanwhile.
    pub fn call<R, F, Fut>(&self, method: &'static str, build: F) -> Result<R, Error>
    where
        R: Send + 'static,
        F: FnOnce(CallSetup) -> Fut + Send + 'static,
        Fut: Future<Output = Result<R, Error>> + 'static,
    {
        if on_loop_thread() {
            return Err(Error::failed(format!(
                "IPC call {method} made on the event-loop thread, which must never block"
            )));
        }
        let (key, waiter) = waiter::current();
        let serving = waiter::serving_for(self.conn);
        let slot = Arc::new(Mutex::new(None));
        let reply = Reply {
            slot: slot.clone(),
            waiter: waiter.clone(),
        };
        let (conn, id) = (self.conn, self.id);
        let posted = runtime::post(move || {
            let setup = with_state(|s| prepare(s, conn, id, key, &reply.waiter, serving));
            match setup {
                Err(e) => reply.send(Err(e)),
                Ok(setup) => {
                    let gone = with_state(|s| s.gone_signal(conn));
                    let response = build(setup);
                    tokio::task::spawn_local(async move {
                        reply.send(unless_gone(conn, gone, response).await);
                    });
                }
            }
        });
        if !posted {
            return Err(Error::Disconnected("IPC event loop has stopped".into()));
        }
        let done = || {
            slot.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
        };
        waiter.run_until(done);
        let result = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        result.unwrap_or_else(|| Err(Error::failed("IPC reply lost")))
    }
}

/// `response`, or `Disconnected` as soon as connection `conn` is gone (whatever capnp-rpc does
/// with the question then).
async fn unless_gone<R>(
    conn: u64,
    gone: Option<tokio::sync::watch::Receiver<()>>,
    response: impl Future<Output = Result<R, Error>>,
) -> Result<R, Error> {
    let Some(mut gone) = gone else {
        return response.await;
    };
    tokio::select! {
        result = response => result,
        _ = gone.changed() => {
            let reason = with_state(|s| s.closed_reason(conn));
            Err(Error::Disconnected(reason.unwrap_or_else(|| "connection closed".into())))
        }
    }
}

impl Drop for CapRef {
    fn drop(&mut self) {
        let id = self.id;
        if on_loop_thread() {
            with_state(|s| s.remove_cap(id));
        } else {
            runtime::post(move || with_state(|s| s.remove_cap(id)));
        }
    }
}

/// Prepares a call on the loop: looks up the capability and picks the threads.
fn prepare(
    state: &LoopState,
    conn: u64,
    id: u64,
    key: ThreadKey,
    waiter: &Arc<Waiter>,
    serving: Option<Serving>,
) -> Result<CallSetup, Error> {
    if let Some(reason) = state.closed_reason(conn) {
        return Err(Error::Disconnected(reason));
    }
    let client = state
        .cap(id)
        .ok_or_else(|| Error::failed("capability already released"))?;
    let thread = match serving.and_then(|s| s.callback_thread) {
        // We are serving a call from this peer: run on the peer thread waiting for us.
        Some(callback) => state.cap(callback).map(|c| thread::Client { client: c }),
        None => remote_thread(state, conn, key),
    };
    let callback_thread = local_thread(state, key, waiter);
    Ok(CallSetup {
        client,
        conn,
        thread,
        callback_thread,
    })
}

/// The peer thread dedicated to our thread `key` on `conn`, made (pipelined) on first use.
fn remote_thread(state: &LoopState, conn: u64, key: ThreadKey) -> Option<thread::Client> {
    let mut conns = state.conns.borrow_mut();
    let conn_state = conns.get_mut(&conn)?;
    if let Some(thread) = conn_state.remote_threads.get(&key) {
        return Some(thread.clone());
    }
    let map: &thread_map::Client = conn_state.remote_thread_map.as_ref()?;
    let mut request = map.make_thread_request();
    request.get().set_name(thread_name(key).as_str());
    let thread = request.send().pipeline.get_result();
    conn_state.remote_threads.insert(key, thread.clone());
    Some(thread)
}

/// The `Thread` capability standing for our thread `key` (its `callbackThread`).
fn local_thread(state: &LoopState, key: ThreadKey, waiter: &Arc<Waiter>) -> thread::Client {
    if let Some(thread) = state.local_threads.borrow().get(&key) {
        return thread.clone();
    }
    let server = ThreadServer::for_waiting_thread(thread_name(key), waiter.clone());
    let thread = state.thread_servers.borrow_mut().new_client(server);
    state.local_threads.borrow_mut().insert(key, thread.clone());
    thread
}

fn thread_name(key: ThreadKey) -> String {
    format!("{}-{}", crate::process_name(), key)
}
