//! The `Node` interface: one conformance suite, against a local implementation and through
//! the IPC proxies (callbacks made from a node thread that is serving no call, so they reach
//! the client through a thread it made with the client's ThreadMap).

use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use interfaces::{
    BlockTip, Error, Handler, Init, InitMessage, Node, NodeStatus, NotifyBlockTip, NotifyHeaderTip,
    NotifyNumConnectionsChanged, ShowProgress,
};

type SubscriberList = Mutex<Vec<(u64, Arc<dyn NotifyBlockTip>)>>;
type Subscribers = Arc<SubscriberList>;

/// A node whose tip moves when the test says so, notifying from its own thread.
#[derive(Default)]
struct FakeNode {
    height: Mutex<i32>,
    subscribers: Subscribers,
    next_id: Mutex<u64>,
}

struct Subscription {
    id: u64,
    subscribers: Weak<SubscriberList>,
}

impl Subscription {
    fn remove(&self) {
        if let Some(list) = self.subscribers.upgrade() {
            list.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(id, _)| *id != self.id);
        }
    }
}

impl Handler for Subscription {
    fn disconnect(&self) -> Result<(), Error> {
        self.remove();
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.remove();
    }
}

fn hash_of(height: i32) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash[..4].copy_from_slice(&height.to_le_bytes());
    hash
}

impl FakeNode {
    /// Moves the tip `n` blocks, notifying from a separate thread, and waits for it.
    fn advance(&self, n: u32) {
        let subscribers = self.subscribers.clone();
        let start = {
            let mut height = self.height.lock().unwrap_or_else(PoisonError::into_inner);
            let start = *height;
            *height += n as i32;
            start
        };
        std::thread::spawn(move || {
            for h in start + 1..=start + n as i32 {
                let tip = BlockTip {
                    height: h,
                    hash: hash_of(h),
                    time: 1_700_000_000 + i64::from(h),
                    verification_progress: 1.0,
                };
                let list: Vec<_> = subscribers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .map(|(_, s)| s.clone())
                    .collect();
                for s in list {
                    s.call(false, &tip).expect("notify");
                }
            }
        })
        .join()
        .expect("notifier");
    }
}

impl Node for FakeNode {
    fn get_status(&self) -> Result<NodeStatus, Error> {
        let height = *self.height.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(NodeStatus {
            block_count: height,
            best_block_hash: hash_of(height),
            header_tip_height: height,
            network_active: true,
            ..NodeStatus::default()
        })
    }

    fn execute_rpc(&self, _request: &str, _uri: &str, _user: &str) -> Result<String, Error> {
        let height = *self.height.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(format!(
            "{{\"jsonrpc\":\"2.0\",\"result\":{height},\"id\":1}}"
        ))
    }

    fn start_shutdown(&self) -> Result<(), Error> {
        Ok(())
    }

    fn wallet_loader(&self) -> Result<Box<dyn interfaces::WalletLoader>, Error> {
        Err(Error::failed("no wallet"))
    }

    fn get_ipc_info(&self) -> Result<Vec<interfaces::IpcConnectionInfo>, Error> {
        Ok(ipc::stats::connections())
    }

    fn handle_notify_block_tip(
        &self,
        callback: Arc<dyn NotifyBlockTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
            *next += 1;
            *next
        };
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, callback));
        Ok(Box::new(Subscription {
            id,
            subscribers: Arc::downgrade(&self.subscribers),
        }))
    }

    fn handle_notify_header_tip(
        &self,
        _: Arc<dyn NotifyHeaderTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        Err(Error::failed("not in this fake"))
    }

    fn handle_show_progress(&self, _: Arc<dyn ShowProgress>) -> Result<Box<dyn Handler>, Error> {
        Err(Error::failed("not in this fake"))
    }

    fn handle_init_message(&self, _: Arc<dyn InitMessage>) -> Result<Box<dyn Handler>, Error> {
        Err(Error::failed("not in this fake"))
    }

    fn handle_notify_num_connections_changed(
        &self,
        _: Arc<dyn NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn Handler>, Error> {
        Err(Error::failed("not in this fake"))
    }
}

/// Serves the shared fake through `Init.makeNode`.
struct FakeInit(Arc<FakeNode>);

impl Init for FakeInit {
    fn make_node(&self) -> Result<Box<dyn Node>, Error> {
        Ok(Box::new(self.0.clone()))
    }
}

#[test]
fn conformance_local() {
    let node = FakeNode::default();
    interfaces::node_conformance::run(&node, &|n| node.advance(n));
}

#[test]
fn conformance_through_ipc() {
    let fake = Arc::new(FakeNode::default());
    let (a, b) = UnixStream::pair().expect("socketpair");
    let init: Arc<dyn Init> = Arc::new(FakeInit(fake.clone()));
    let _server =
        ipc::serve_stream(a, move |conn| ipc::InitServer::bootstrap(init, conn)).expect("serve");
    let (_conn, client) = ipc::connect_stream::<ipc::InitProxy>(b).expect("connect");
    let node = client.make_node().expect("make_node");
    interfaces::node_conformance::run(&*node, &|n| fake.advance(n));
    // Unsubscribed on the server once the client's handlers are gone.
    assert!(fake
        .subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_empty());
    let e = node
        .handle_init_message(Arc::new(NoMessages))
        .err()
        .expect("fake refuses");
    assert!(e.message().contains("not in this fake"), "{e}");
}

struct NoMessages;

impl InitMessage for NoMessages {
    fn call(&self, _: &str) -> Result<(), Error> {
        Ok(())
    }
}
