//! What the loop's tables hold for threads: the `Thread` capabilities this process hosts
//! ([`ThreadServer`], a job queue some OS thread serves) and a connection's worker pool
//! ([`Pool`]), with the worker threads behind them. They know only the queues
//! ([`crate::waiter`]), so the loop ([`crate::runtime`]) can keep them in its tables while
//! the thread mapping ([`crate::threads`]) builds on both.

use std::rc::Rc;
use std::sync::Arc;

use schemas::proxy_capnp::thread;

use crate::waiter::Waiter;

/// A `Thread` capability hosted by this process: a queue some OS thread serves.
pub(crate) struct ThreadServer {
    name: String,
    pub(crate) waiter: Arc<Waiter>,
    /// The connection whose `makeThread` created it; `None` for a client thread's
    /// `callbackThread`, which any connection may name.
    conn: Option<u64>,
    /// Whether this object owns a dedicated worker (stopped when the object is freed).
    owns_worker: bool,
}

impl ThreadServer {
    /// A capability standing for an existing thread that runs its own queue while waiting.
    pub(crate) fn for_waiting_thread(name: String, waiter: Arc<Waiter>) -> ThreadServer {
        ThreadServer {
            name,
            waiter,
            conn: None,
            owns_worker: false,
        }
    }

    /// A capability owning the worker (see [`spawn_worker`]) that serves `waiter`, made by
    /// `makeThread` on connection `conn`; the worker exits when the capability is freed.
    pub(crate) fn for_worker(name: String, waiter: Arc<Waiter>, conn: u64) -> ThreadServer {
        ThreadServer {
            name,
            waiter,
            conn: Some(conn),
            owns_worker: true,
        }
    }

    /// Whether a call on connection `conn` may name this thread.
    pub(crate) fn usable_on(&self, conn: u64) -> bool {
        self.conn.is_none_or(|c| c == conn)
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        if self.owns_worker {
            if let Some(conn) = self.conn {
                crate::stats::thread(conn, true);
            }
            tracing::debug!(thread = %self.name, "IPC server: thread released, worker exits");
            self.waiter.close();
        }
    }
}

impl thread::Server for ThreadServer {
    fn get_name(
        self: Rc<Self>,
        _: thread::GetNameParams,
        mut results: thread::GetNameResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        results.get().set_result(self.name.as_str());
        std::future::ready(Ok(()))
    }
}

/// Starts an OS thread that serves `waiter` until it is closed.
pub(crate) fn spawn_worker(name: &str, waiter: Arc<Waiter>) -> Result<(), capnp::Error> {
    std::thread::Builder::new()
        .name(truncate_thread_name(name))
        .spawn(move || waiter.serve_forever())
        .map(drop)
        .map_err(|e| capnp::Error::failed(format!("cannot start thread {name}: {e}")))
}

fn truncate_thread_name(name: &str) -> String {
    name.chars().take(15).collect()
}

/// Shared workers serving the calls of one connection that name no thread.
pub(crate) struct Pool {
    waiter: Arc<Waiter>,
    size: u32,
    conn: u64,
}

impl Pool {
    /// An empty pool for connection `conn`.
    pub(crate) fn new(conn: u64) -> Pool {
        Pool {
            waiter: Arc::default(),
            size: 0,
            conn,
        }
    }

    /// The queue the pool's workers share.
    pub(crate) fn waiter(&self) -> &Arc<Waiter> {
        &self.waiter
    }

    /// Starts workers until there are `wanted` (a pool never shrinks).
    pub(crate) fn grow_to(&mut self, wanted: u32) -> Result<(), capnp::Error> {
        while self.size < wanted {
            spawn_worker(&format!("ipc-pool-{}", self.size), self.waiter.clone())?;
            crate::stats::thread(self.conn, false);
            self.size += 1;
        }
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for _ in 0..self.size {
            crate::stats::thread(self.conn, true);
        }
        self.waiter.close();
    }
}
