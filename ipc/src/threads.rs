//! Server-side thread mapping: the `ThreadMap` server (`makeThread` and `makePool`, which
//! make the `Thread` servers, worker threads and pools of the `workers` module), and
//! [`run_in_context`], which runs a call on the thread its `Context` names.

use std::rc::Rc;
use std::sync::Arc;

use capnp::capability::Promise;
use schemas::proxy_capnp::{context, thread, thread_map};

use crate::runtime::with_state;
use crate::waiter::{Serving, ServingGuard, Waiter};
use crate::workers::{spawn_worker, Pool, ThreadServer};

/// The `ThreadMap` this process offers to the peer on connection `conn`.
pub(crate) struct ThreadMapServer {
    pub(crate) conn: u64,
}

/// Upper bound on `makePool` sizes, so a peer cannot ask for millions of threads.
const MAX_POOL: u32 = 64;

impl thread_map::Server for ThreadMapServer {
    fn make_thread(
        self: Rc<Self>,
        params: thread_map::MakeThreadParams,
        mut results: thread_map::MakeThreadResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        let made = (|| {
            let name = params.get()?.get_name()?.to_string()?;
            let waiter = Arc::new(Waiter::default());
            spawn_worker(&name, waiter.clone())?;
            tracing::debug!(thread = %name, conn = self.conn, "IPC server: made thread");
            crate::stats::thread(self.conn, false);
            let server = ThreadServer::for_worker(name, waiter, self.conn);
            let client = with_state(|s| s.thread_servers.borrow_mut().new_client(server));
            results.get().set_result(client);
            Ok(())
        })();
        std::future::ready(made)
    }

    fn make_pool(
        self: Rc<Self>,
        params: thread_map::MakePoolParams,
        _: thread_map::MakePoolResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        let made = (|| {
            let count = params.get()?.get_count();
            with_state(|s| -> Result<(), capnp::Error> {
                let mut conns = s.conns.borrow_mut();
                let conn = conns
                    .get_mut(&self.conn)
                    .ok_or_else(|| capnp::Error::disconnected("connection closed".into()))?;
                let pool = conn.pool.get_or_insert_with(|| Pool::new(self.conn));
                pool.grow_to(count.min(MAX_POOL))
            })
        })();
        std::future::ready(made)
    }
}

/// Makes the `ThreadMap` capability for connection `conn`.
pub(crate) fn thread_map_for(conn: u64) -> thread_map::Client {
    capnp_rpc::new_client(ThreadMapServer { conn })
}

/// Releases a capability-table entry when a server call finishes or is canceled.
struct CapGuard(Option<u64>);

impl Drop for CapGuard {
    fn drop(&mut self) {
        if let Some(id) = self.0 {
            with_state(|s| s.remove_cap(id));
        }
    }
}

/// The thread-related parts of a call's `Context`, taken out of the params.
pub(crate) struct CallContext {
    thread: Option<thread::Client>,
    callback_thread: Option<thread::Client>,
}

impl CallContext {
    /// Reads `ctx` (which may be absent from the params).
    pub(crate) fn read(ctx: capnp::Result<context::Reader<'_>>) -> capnp::Result<CallContext> {
        let ctx = ctx?;
        let thread = if ctx.has_thread() {
            Some(ctx.get_thread()?)
        } else {
            None
        };
        let callback_thread = if ctx.has_callback_thread() {
            Some(ctx.get_callback_thread()?)
        } else {
            None
        };
        Ok(CallContext {
            thread,
            callback_thread,
        })
    }
}

/// Runs `work` on the thread named by the call's context (or the connection's pool) and
/// returns its result to the loop. While `work` runs, calls it makes back to the peer go to
/// the peer's `callbackThread`.
pub(crate) fn run_in_context<R: Send + 'static>(
    conn: u64,
    method: &'static str,
    ctx: CallContext,
    work: impl FnOnce() -> R + Send + 'static,
) -> Promise<R, capnp::Error> {
    Promise::from_future(async move {
        // From the request's arrival to its reply: what the caller waits for, less the socket.
        let _call = crate::stats::call(with_state(|s| s.stats(conn)), method);
        let waiter = target_waiter(conn, ctx.thread).await?;
        let cached = ctx
            .callback_thread
            .map(|c| with_state(|s| s.callback_thread_id(conn, c.client)));
        let callback_thread = cached.map(|(id, _)| id);
        // Release after the call only what the connection's cache did not keep.
        let _release = CapGuard(cached.and_then(|(id, kept)| (!kept).then_some(id)));
        let (reply, replied) = tokio::sync::oneshot::channel();
        tracing::trace!(conn, method, "IPC server: post request");
        let reply = Arc::new(reply);
        let job = Box::new(move || {
            let span =
                tracing::debug_span!("ipc_server", process = crate::process_name(), conn, method);
            let _entered = span.enter();
            let probe = reply.clone();
            let guard = ServingGuard::push(
                Serving {
                    conn,
                    callback_thread,
                },
                Arc::new(move || probe.is_closed()),
            );
            let started = std::time::Instant::now();
            let result = work();
            tracing::debug!(
                target: "ipc::calls",
                conn,
                method,
                thread = std::thread::current().name().unwrap_or("?"),
                duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "IPC call"
            );
            drop(guard);
            let Ok(reply) = Arc::try_unwrap(reply) else {
                tracing::warn!(method, "IPC server: reply still shared after the call");
                return;
            };
            if reply.send(result).is_err() {
                tracing::info!(
                    method,
                    "IPC server: call canceled while executing (client gone)"
                );
            }
        });
        if waiter.post(job).is_err() {
            return Err(capnp::Error::failed("server thread has exited".into()));
        }
        replied
            .await
            .map_err(|_| capnp::Error::failed("server thread dropped the call".into()))
    })
}

async fn target_waiter(
    conn: u64,
    thread: Option<thread::Client>,
) -> Result<Arc<Waiter>, capnp::Error> {
    match thread {
        Some(thread) => {
            let resolved = capnp::capability::get_resolved_cap(thread).await;
            let server = with_state(|s| {
                s.thread_servers
                    .borrow()
                    .get_local_server_of_resolved(&resolved)
            });
            match server {
                Some(server) if server.usable_on(conn) => Ok(server.waiter.clone()),
                _ => Err(capnp::Error::failed("invalid thread handle".into())),
            }
        }
        None => with_state(|s| {
            s.conns
                .borrow()
                .get(&conn)
                .and_then(|c| c.pool.as_ref().map(|p| p.waiter().clone()))
                .ok_or_else(|| {
                    capnp::Error::failed("no thread specified and no pool configured".into())
                })
        }),
    }
}
