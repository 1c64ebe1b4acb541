//! The `Node` interface: what a GUI or other front end needs from a node (Core's
//! `interfaces::Node`), shaped for IPC: [`Node::get_status`] returns the whole summary in one
//! call, and each notification is registered with a callback and returns a [`Handler`].

use std::sync::Arc;

use crate::{Error, WalletLoader};

/// Everything a front end shows about the node, in one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStatus {
    /// Height of the active tip.
    pub block_count: i32,
    /// Hash of the active tip (internal byte order).
    pub best_block_hash: [u8; 32],
    /// Height of the best known header.
    pub header_tip_height: i32,
    /// Time of the best known header (seconds since the epoch; Core's `getHeaderTipTime`).
    pub header_tip_time: i64,
    /// Time of the tip block (seconds since the epoch).
    pub last_block_time: i64,
    /// Estimated verification progress, 0 to 1.
    pub verification_progress: f64,
    /// Whether the node is in initial block download.
    pub initial_block_download: bool,
    /// Transactions in the mempool.
    pub mempool_size: u64,
    /// Bytes used by the mempool.
    pub mempool_usage: u64,
    /// Connected peers.
    pub num_connections: u32,
    /// Whether networking is enabled.
    pub network_active: bool,
    /// Bytes received from peers.
    pub total_bytes_recv: u64,
    /// Bytes sent to peers.
    pub total_bytes_sent: u64,
}

/// A block the chain moved to (or a header the header chain moved to).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BlockTip {
    /// Its height.
    pub height: i32,
    /// Its hash (internal byte order).
    pub hash: [u8; 32],
    /// Its timestamp (seconds since the epoch).
    pub time: i64,
    /// Estimated verification progress at that point, 0 to 1.
    pub verification_progress: f64,
}

/// Calls of one method on one IPC connection (this suite's own; Core has no such figures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpcMethodStats {
    /// The method's name (the Rust trait's, e.g. `create_new_block`).
    pub name: String,
    /// Calls served.
    pub calls: u64,
    /// Latency percentiles of the most recent calls (up to 1024), in microseconds, from
    /// the request reaching the server thread to the reply leaving it.
    pub p50_us: u64,
    /// 90th percentile, microseconds.
    pub p90_us: u64,
    /// 99th percentile, microseconds.
    pub p99_us: u64,
    /// The slowest call ever, microseconds.
    pub max_us: u64,
}

/// Objects of one interface served on a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpcObjectCount {
    /// The interface (`Mining`, `BlockTemplate`, ...).
    pub interface: String,
    /// How many are alive.
    pub count: u64,
}

/// One IPC connection of a process, as `getipcinfo` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpcConnectionInfo {
    /// The connection's id within the process.
    pub id: u64,
    /// How it came: `listener <path>`, `spawned <exe> (pid N)`, `parent (fd N)`,
    /// `connected <path>`.
    pub origin: String,
    /// The peer's process id (`SO_PEERCRED`), -1 when unknown.
    pub peer_pid: i64,
    /// The peer's user id (`SO_PEERCRED`), -1 when unknown.
    pub peer_uid: i64,
    /// When it connected (seconds since the epoch).
    pub connected_since: i64,
    /// Server threads made for the peer's threads (`makeThread`) and pool workers.
    pub server_threads: u32,
    /// Objects served to the peer now, by interface.
    pub objects: Vec<IpcObjectCount>,
    /// Calls being served now.
    pub calls_in_flight: u32,
    /// Calls served, by method.
    pub methods: Vec<IpcMethodStats>,
}

/// A registered notification. Dropping it (or calling [`Handler::disconnect`]) unsubscribes.
pub trait Handler: Send + Sync {
    /// Unsubscribes now; later notifications are not delivered.
    fn disconnect(&self) -> Result<(), Error>;
}

/// Called when the active tip moves, in order, once per new tip.
pub trait NotifyBlockTip: Send + Sync {
    /// The tip is now `tip`.
    fn call(&self, initial_download: bool, tip: &BlockTip) -> Result<(), Error>;
}

/// Called when the best header moves.
pub trait NotifyHeaderTip: Send + Sync {
    /// The best header is now `tip` (`presync`: during headers presync).
    fn call(&self, initial_download: bool, tip: &BlockTip, presync: bool) -> Result<(), Error>;
}

/// Called to show progress of a long operation (0-100).
pub trait ShowProgress: Send + Sync {
    /// Progress of `title`.
    fn call(&self, title: &str, progress: i32, resume_possible: bool) -> Result<(), Error>;
}

/// Called with startup messages ("Loading block index...").
pub trait InitMessage: Send + Sync {
    /// A new message.
    fn call(&self, message: &str) -> Result<(), Error>;
}

/// Called when the number of peer connections changes.
pub trait NotifyNumConnectionsChanged: Send + Sync {
    /// The new count.
    fn call(&self, num_connections: u32) -> Result<(), Error>;
}

/// The node, as a front end sees it.
pub trait Node: Send + Sync {
    /// The status summary.
    fn get_status(&self) -> Result<NodeStatus, Error>;
    /// Executes a JSON-RPC request (see [`crate::Rpc::execute_rpc`]).
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error>;
    /// Asks the node to shut down cleanly.
    fn start_shutdown(&self) -> Result<(), Error>;
    /// Subscribes to tip changes.
    fn handle_notify_block_tip(
        &self,
        callback: Arc<dyn NotifyBlockTip>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// Subscribes to header tip changes.
    fn handle_notify_header_tip(
        &self,
        callback: Arc<dyn NotifyHeaderTip>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// Subscribes to progress reports.
    fn handle_show_progress(
        &self,
        callback: Arc<dyn ShowProgress>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// Subscribes to startup messages.
    fn handle_init_message(
        &self,
        callback: Arc<dyn InitMessage>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// Subscribes to connection count changes.
    fn handle_notify_num_connections_changed(
        &self,
        callback: Arc<dyn NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// The loader of the wallets this node runs (Core's `Node::walletLoader`), in the wallet
    /// process it spawned or in its own process; fails when it runs without a wallet.
    fn wallet_loader(&self) -> Result<Box<dyn WalletLoader>, Error>;
    /// The node's IPC connections, with their figures (what `getipcinfo` shows).
    fn get_ipc_info(&self) -> Result<Vec<IpcConnectionInfo>, Error>;
}

/// A shared node is a node: lets one implementation be handed out many times as
/// `Box<dyn Node>` (`Box::new(arc.clone())`).
impl<T: Node + ?Sized> Node for Arc<T> {
    fn get_status(&self) -> Result<NodeStatus, Error> {
        (**self).get_status()
    }
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error> {
        (**self).execute_rpc(request, uri, user)
    }
    fn start_shutdown(&self) -> Result<(), Error> {
        (**self).start_shutdown()
    }
    fn handle_notify_block_tip(
        &self,
        c: Arc<dyn NotifyBlockTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_notify_block_tip(c)
    }
    fn handle_notify_header_tip(
        &self,
        c: Arc<dyn NotifyHeaderTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_notify_header_tip(c)
    }
    fn handle_show_progress(&self, c: Arc<dyn ShowProgress>) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_show_progress(c)
    }
    fn handle_init_message(&self, c: Arc<dyn InitMessage>) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_init_message(c)
    }
    fn handle_notify_num_connections_changed(
        &self,
        c: Arc<dyn NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_notify_num_connections_changed(c)
    }
    fn wallet_loader(&self) -> Result<Box<dyn WalletLoader>, Error> {
        (**self).wallet_loader()
    }
    fn get_ipc_info(&self) -> Result<Vec<IpcConnectionInfo>, Error> {
        (**self).get_ipc_info()
    }
}

/// Conformance suite every `Node` implementation, local or remote, must pass.
#[cfg(feature = "test-utils")]
pub mod conformance {
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::Duration;

    use super::{BlockTip, Node, NotifyBlockTip};
    use crate::Error;

    struct Forward(mpsc::Sender<(BlockTip, u64)>);

    impl NotifyBlockTip for Forward {
        fn call(&self, _initial_download: bool, tip: &BlockTip) -> Result<(), Error> {
            let _ = self.0.send((*tip, thread_tag()));
            Ok(())
        }
    }

    fn thread_tag() -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::thread::current().id().hash(&mut h);
        h.finish()
    }

    /// Runs the checks. `advance(n)` must make the node's tip move by `n` blocks (mine them,
    /// or make a fake emit them) and return once it has.
    pub fn run(node: &dyn Node, advance: &dyn Fn(u32)) {
        let start = node.get_status().expect("get_status");
        let (tx, rx) = mpsc::channel();
        let handler = node
            .handle_notify_block_tip(Arc::new(Forward(tx)))
            .expect("subscribe");
        advance(3);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (tip, _) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a block tip notification");
            seen.push(tip.height);
        }
        assert_eq!(
            seen,
            [
                start.block_count + 1,
                start.block_count + 2,
                start.block_count + 3
            ],
            "every tip, in order"
        );
        let status = node.get_status().expect("get_status");
        assert_eq!(status.block_count, start.block_count + 3);
        assert_ne!(status.best_block_hash, start.best_block_hash);
        drop(handler);
        advance(1);
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "notified after the handler was dropped"
        );
        let second = node
            .handle_notify_block_tip(Arc::new(Forward(mpsc::channel().0)))
            .expect("subscribe");
        second.disconnect().expect("disconnect");
        let reply = node
            .execute_rpc(
                r#"{"jsonrpc":"2.0","id":1,"method":"getblockcount"}"#,
                "/",
                "",
            )
            .expect("rpc");
        assert!(
            reply.contains(&format!("\"result\":{}", start.block_count + 4)),
            "{reply}"
        );
    }
}
