//! Per-OS-thread job queues.
//!
//! Every thread that takes part in IPC (a client thread waiting for a reply, a server worker
//! made by `makeThread`, a pool worker) owns a [`Waiter`]: a FIFO of jobs plus a condition
//! variable. The event loop posts jobs to it (a call to execute, a callback to run, a reply to
//! deliver) and the thread runs them in order. A client thread runs its queue only while it
//! waits for a reply, which is exactly when a callback addressed to it can arrive. When a
//! thread exits, the hook the event loop registered ([`on_thread_exit`]) releases what was
//! made for it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// A unit of work run on a particular OS thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Identifies an OS thread for the lifetime of the process (never reused).
pub(crate) type ThreadKey = u64;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

/// A FIFO of jobs for one thread (or, for a pool, several threads sharing it).
#[derive(Default)]
pub(crate) struct Waiter {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Waiter {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a job; returns it back if the waiter is closed (its thread is gone).
    pub(crate) fn post(&self, job: Job) -> Result<(), Job> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(job);
        }
        queue.jobs.push_back(job);
        drop(queue);
        self.ready.notify_one();
        Ok(())
    }

    /// Stops accepting jobs; worker threads exit once the queue is drained.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Blocks until a job is available; `None` once closed and drained.
    pub(crate) fn next(&self) -> Option<Job> {
        let mut queue = self.lock();
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if queue.closed {
                return None;
            }
            queue = self
                .ready
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Runs jobs until `done()` holds (checked after each job).
    pub(crate) fn run_until(&self, done: impl Fn() -> bool) {
        while !done() {
            let job = {
                let mut queue = self.lock();
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    queue = self
                        .ready
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            job();
        }
    }

    /// Serves jobs until the waiter is closed: the body of a worker thread.
    pub(crate) fn serve_forever(&self) {
        while let Some(job) = self.next() {
            job();
        }
    }
}

/// A call this thread is currently executing for a peer: calls the thread makes back to that
/// peer go to `callback_thread` (a capability id in the loop's table), so they run on the
/// peer's thread that is waiting for us.
#[derive(Clone, Copy)]
pub(crate) struct Serving {
    pub(crate) conn: u64,
    pub(crate) callback_thread: Option<u64>,
}

pub(crate) struct ThreadInfo {
    pub(crate) key: ThreadKey,
    pub(crate) waiter: Arc<Waiter>,
    serving: RefCell<Vec<Serving>>,
    /// For each call being served (innermost last): whether its caller has gone.
    canceled: RefCell<Vec<CancelProbe>>,
}

/// Tells whether the caller of a call being served has gone (disconnected or canceled).
pub(crate) type CancelProbe = Arc<dyn Fn() -> bool + Send + Sync>;

impl Drop for ThreadInfo {
    fn drop(&mut self) {
        if let Some(hook) = THREAD_EXIT.get() {
            hook(self.key);
        }
    }
}

/// What runs with a thread's key when the thread exits; see [`on_thread_exit`].
static THREAD_EXIT: OnceLock<fn(ThreadKey)> = OnceLock::new();

/// Makes `hook` run with the key of every thread that exits from now on (the first hook
/// registered stays). The event loop registers its cleanup of the thread's capabilities
/// when it starts, so this module needs no knowledge of the loop; before that there is
/// nothing to clean up.
pub(crate) fn on_thread_exit(hook: fn(ThreadKey)) {
    let _ = THREAD_EXIT.set(hook);
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD: ThreadInfo = ThreadInfo {
        key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
        waiter: Arc::new(Waiter::default()),
        serving: RefCell::new(Vec::new()),
        canceled: RefCell::new(Vec::new()),
    };
}

/// Whether the caller of the IPC call this thread is serving has gone: it disconnected or
/// canceled the call, so its reply will be dropped. Long waits in server methods (Core's
/// `waitNext`, `waitTipChanged`) poll this to stop early. `false` when not serving a call.
pub fn call_canceled() -> bool {
    THREAD.with(|t| t.canceled.borrow().last().is_some_and(|probe| probe()))
}

/// This thread's key and waiter.
pub(crate) fn current() -> (ThreadKey, Arc<Waiter>) {
    THREAD.with(|t| (t.key, t.waiter.clone()))
}

/// A process-unique identity of the calling OS thread (for tests and logs).
pub fn thread_id() -> u64 {
    THREAD.with(|t| t.key)
}

/// The innermost call this thread is serving for connection `conn`, if any.
pub(crate) fn serving_for(conn: u64) -> Option<Serving> {
    THREAD.with(|t| {
        t.serving
            .borrow()
            .iter()
            .rev()
            .find(|s| s.conn == conn)
            .copied()
    })
}

/// Marks this thread as serving a call until the guard drops.
pub(crate) struct ServingGuard;

impl ServingGuard {
    pub(crate) fn push(serving: Serving, canceled: CancelProbe) -> ServingGuard {
        THREAD.with(|t| {
            t.serving.borrow_mut().push(serving);
            t.canceled.borrow_mut().push(canceled);
        });
        ServingGuard
    }
}

impl Drop for ServingGuard {
    fn drop(&mut self) {
        THREAD.with(|t| {
            t.serving.borrow_mut().pop();
            t.canceled.borrow_mut().pop();
        });
    }
}
