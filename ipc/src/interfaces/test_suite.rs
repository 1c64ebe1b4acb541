//! A test-only interface (`ipc_test.capnp`) that reports thread identities, blocks, echoes
//! data, records call order and makes callbacks, so tests can observe the runtime's thread
//! mapping, lifetime and failure behaviour. Enabled by the `test-utils` feature.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use interfaces::Error;

/// The test interface's operations.
pub trait TestSuite: Send + Sync {
    /// Identity ([`crate::thread_id`]) of the thread serving the call.
    fn thread_id(&self) -> Result<u64, Error>;
    /// Blocks the serving thread for `millis`, then returns its identity.
    fn sleep(&self, millis: u32) -> Result<u64, Error>;
    /// Returns `data` unchanged.
    fn echo_data(&self, data: &[u8]) -> Result<Vec<u8>, Error>;
    /// Appends `value` to this object's log and returns the log.
    fn record(&self, value: i64) -> Result<Vec<i64>, Error>;
    /// Calls `callback.call(depth)`; returns this thread's identity then the callback's list.
    fn call_back(&self, callback: Arc<dyn TestCallback>, depth: u32) -> Result<Vec<u64>, Error>;
    /// How many [`LocalTestSuite`] objects exist in the serving process.
    fn live_objects(&self) -> Result<u64, Error>;
    /// Makes another, independent object.
    fn make_child(&self) -> Result<Box<dyn TestSuite>, Error>;
    /// Context-less call answered on the server's event loop; returns the loop thread's id.
    fn ping(&self) -> Result<u64, Error>;
}

/// A callback passed to [`TestSuite::call_back`].
pub trait TestCallback: Send + Sync {
    /// Reports the running thread's identity (and recurses while `depth > 0`).
    fn call(&self, depth: u32) -> Result<Vec<u64>, Error>;
}

/// Bootstrap of test connections.
pub trait TestInit: Send + Sync {
    /// Makes a new suite object.
    fn make_suite(&self) -> Result<Box<dyn TestSuite>, Error>;
}

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The reference implementation, counting its live instances.
pub struct LocalTestSuite {
    log: Mutex<Vec<i64>>,
}

impl LocalTestSuite {
    /// A new object (counted until dropped).
    pub fn new() -> LocalTestSuite {
        LIVE.fetch_add(1, Ordering::SeqCst);
        LocalTestSuite {
            log: Mutex::new(Vec::new()),
        }
    }

    /// How many objects exist in this process.
    pub fn live() -> usize {
        LIVE.load(Ordering::SeqCst)
    }
}

impl Default for LocalTestSuite {
    fn default() -> Self {
        LocalTestSuite::new()
    }
}

impl Drop for LocalTestSuite {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TestSuite for LocalTestSuite {
    fn thread_id(&self) -> Result<u64, Error> {
        Ok(crate::thread_id())
    }

    fn sleep(&self, millis: u32) -> Result<u64, Error> {
        std::thread::sleep(Duration::from_millis(millis.into()));
        Ok(crate::thread_id())
    }

    fn echo_data(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(data.to_vec())
    }

    fn record(&self, value: i64) -> Result<Vec<i64>, Error> {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.push(value);
        Ok(log.clone())
    }

    fn call_back(&self, callback: Arc<dyn TestCallback>, depth: u32) -> Result<Vec<u64>, Error> {
        let mut ids = vec![crate::thread_id()];
        ids.extend(callback.call(depth)?);
        Ok(ids)
    }

    fn live_objects(&self) -> Result<u64, Error> {
        Ok(LocalTestSuite::live() as u64)
    }

    fn make_child(&self) -> Result<Box<dyn TestSuite>, Error> {
        Ok(Box::new(LocalTestSuite::new()))
    }

    fn ping(&self) -> Result<u64, Error> {
        Ok(crate::thread_id())
    }
}

/// Makes [`LocalTestSuite`]s.
pub struct LocalTestInit;

impl TestInit for LocalTestInit {
    fn make_suite(&self) -> Result<Box<dyn TestSuite>, Error> {
        Ok(Box::new(LocalTestSuite::new()))
    }
}

crate::interface! {
    /// A [`TestSuite`] served by another process.
    TestSuiteProxy, TestSuiteServer: dyn TestSuite, schemas::ipc_test_capnp::test_suite;
    [destroy]
    methods {
        fn thread_id() -> u64 => [prim];
        fn sleep(millis: u32 => [prim]) -> u64 => [prim];
        fn echo_data(data: &[u8] => [data]) -> Vec<u8> => [data];
        fn record(value: i64 => [prim]) -> Vec<i64> => [list_prim];
        fn call_back(callback: Arc<dyn TestCallback> => [cap_arc TestCallbackProxy TestCallbackServer], depth: u32 => [prim]) -> Vec<u64> => [list_prim];
        fn live_objects() -> u64 => [prim];
        fn make_child() -> Box<dyn TestSuite> => [cap_box TestSuiteProxy TestSuiteServer];
    }
    loop_methods {
        fn ping() -> u64 => [prim];
    }
}

crate::interface! {
    /// A [`TestCallback`] living in another process.
    TestCallbackProxy, TestCallbackServer: dyn TestCallback, schemas::ipc_test_capnp::test_callback;
    methods {
        fn call(depth: u32 => [prim]) -> Vec<u64> => [list_prim];
    }
}

crate::interface! {
    /// A [`TestInit`] served by another process.
    TestInitProxy, TestInitServer: dyn TestInit, schemas::ipc_test_capnp::test_init;
    methods {
        fn make_suite() -> Box<dyn TestSuite> => [cap_box TestSuiteProxy TestSuiteServer];
    }
    server_extra {
        fn construct(
            self: ::std::rc::Rc<Self>,
            params: test_init_proxy_capnp::ConstructParams,
            mut results: test_init_proxy_capnp::ConstructResults,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            let done = (|| {
                let params = params.get()?;
                let map = if params.has_thread_map() { Some(params.get_thread_map()?) } else { None };
                let ours = crate::connection::accept_thread_map(self.conn, map);
                results.get().set_thread_map(ours);
                Ok(())
            })();
            ::std::future::ready(done)
        }
    }
}

impl TestInitServer {
    /// The bootstrap capability serving `init` on connection `conn`.
    pub fn bootstrap(init: Arc<dyn TestInit>, conn: u64) -> capnp::capability::Client {
        let client: schemas::ipc_test_capnp::test_init::Client =
            capnp_rpc::new_client(TestInitServer::new(init, conn));
        client.client
    }
}
