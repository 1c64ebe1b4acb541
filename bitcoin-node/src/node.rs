//! The node's local implementation of [`interfaces::Node`]: the status summary from the
//! chainstate, RPC through the node's dispatcher, shutdown, and notifications fed by the
//! chainstate's events on one notification thread (so each subscriber sees tips in order).

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use bitcoin::hashes::Hash;
use interfaces::{
    BlockTip, Error, Handler, InitMessage, Node, NodeStatus, NotifyBlockTip, NotifyHeaderTip,
    NotifyNumConnectionsChanged, ShowProgress,
};

use crate::chain::{ChainEvent, ChainState};
use crate::mempool::Mempool;
use crate::wallets::WalletSlot;
use rpc::{Dispatcher, LocalRpc};

/// One kind of subscriber list: id and callback.
type List<T> = Mutex<Vec<(u64, Arc<T>)>>;

#[derive(Default)]
struct Subscribers {
    next_id: Mutex<u64>,
    block_tip: List<dyn NotifyBlockTip>,
    header_tip: List<dyn NotifyHeaderTip>,
    progress: List<dyn ShowProgress>,
    init_message: List<dyn InitMessage>,
    connections: List<dyn NotifyNumConnectionsChanged>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Subscribers {
    fn add<T: ?Sized + Send + Sync + 'static>(
        self: &Arc<Self>,
        pick: fn(&Subscribers) -> &List<T>,
        callback: Arc<T>,
    ) -> Box<dyn Handler> {
        let id = {
            let mut next = lock(&self.next_id);
            *next += 1;
            *next
        };
        lock(pick(self)).push((id, callback));
        let owner = Arc::downgrade(self);
        let remove: Box<dyn Fn() + Send + Sync> = Box::new(move || {
            if let Some(subscribers) = Weak::upgrade(&owner) {
                lock(pick(&subscribers)).retain(|(i, _)| *i != id);
            }
        });
        Box::new(Subscription(remove))
    }

    fn snapshot<T: ?Sized>(list: &List<T>) -> Vec<Arc<T>> {
        lock(list).iter().map(|(_, c)| c.clone()).collect()
    }
}

/// A subscription: removed from its list on disconnect or drop.
struct Subscription(Box<dyn Fn() + Send + Sync>);

impl Handler for Subscription {
    fn disconnect(&self) -> Result<(), Error> {
        (self.0)();
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// The node's startup messages (Core's `InitMessage`: "Loading block index…", "Done
/// loading") and their subscribers: made before the node starts, so a front end that spawned
/// the node can subscribe before `Init.configure` and see them while it waits.
#[derive(Default)]
pub struct InitMessages(Arc<Subscribers>);

impl InitMessages {
    /// Subscribes `callback` to the messages from now on.
    pub fn subscribe(&self, callback: Arc<dyn InitMessage>) -> Box<dyn Handler> {
        self.0.add(|s| &s.init_message, callback)
    }

    /// Logs `message` and tells every subscriber (one that fails is skipped).
    pub fn tell(&self, message: &str) {
        tracing::info!("init message: {message}");
        for callback in Subscribers::snapshot(&self.0.init_message) {
            if let Err(e) = callback.call(message) {
                tracing::debug!("an init message subscriber failed: {e}");
            }
        }
    }
}

/// The node as a front end sees it.
pub struct LocalNode {
    chain: Arc<ChainState>,
    mempool: Option<Arc<Mempool>>,
    rpc: Arc<Dispatcher>,
    shutdown: Arc<dyn Fn() + Send + Sync>,
    subscribers: Arc<Subscribers>,
    wallets: WalletSlot,
    init_messages: Arc<InitMessages>,
    /// The P2P network, once started (connection count and traffic in the status).
    net: std::sync::OnceLock<Arc<p2p::Net>>,
}

impl LocalNode {
    /// A node over `chain`, answering RPC with `rpc`, stopping with `shutdown` and telling
    /// `init_messages`' subscribers its startup; starts the notification thread, which ends
    /// when the chainstate stops sending events.
    pub fn new(
        chain: Arc<ChainState>,
        mempool: Option<Arc<Mempool>>,
        rpc: Arc<Dispatcher>,
        shutdown: Arc<dyn Fn() + Send + Sync>,
        wallets: WalletSlot,
        init_messages: Arc<InitMessages>,
    ) -> std::io::Result<Arc<LocalNode>> {
        let subscribers = Arc::new(Subscribers::default());
        let (events, received) = mpsc::channel();
        chain.subscribe(events);
        let (weak_chain, weak_subscribers) = (Arc::downgrade(&chain), Arc::downgrade(&subscribers));
        std::thread::Builder::new()
            .name("node-notify".into())
            .spawn(move || notify_loop(&received, &weak_chain, &weak_subscribers))?;
        Ok(Arc::new(LocalNode {
            chain,
            mempool,
            rpc,
            shutdown,
            subscribers,
            wallets,
            init_messages,
            net: std::sync::OnceLock::new(),
        }))
    }

    /// Reports `net`'s connections and traffic in [`Node::get_status`], and its connection
    /// count changes to the `handle_notify_num_connections_changed` subscribers (from a
    /// thread of their own, which ends with the network).
    pub fn set_net(&self, net: Arc<p2p::Net>) -> std::io::Result<()> {
        let (sender, counts) = mpsc::channel::<usize>();
        let sender = Mutex::new(sender);
        net.on_connection_count(Arc::new(move |count| {
            let _ = lock(&sender).send(count);
        }));
        let subscribers = Arc::downgrade(&self.subscribers);
        std::thread::Builder::new()
            .name("node-net-notify".into())
            .spawn(move || {
                while let Ok(count) = counts.recv() {
                    let Some(subscribers) = subscribers.upgrade() else {
                        return;
                    };
                    let count = u32::try_from(count).unwrap_or(u32::MAX);
                    for callback in Subscribers::snapshot(&subscribers.connections) {
                        let _ = callback.call(count);
                    }
                }
            })?;
        let _ = self.net.set(net);
        Ok(())
    }
}

fn tip_of(chain: &ChainState, hash: &bitcoin::BlockHash, progress: f64) -> BlockTip {
    let info = chain.block_info(hash);
    BlockTip {
        height: info.map_or(-1, |i| i.height),
        hash: hash.to_byte_array(),
        time: info.map_or(0, |i| i64::from(i.header.time)),
        verification_progress: progress,
    }
}

fn notify_loop(
    events: &mpsc::Receiver<ChainEvent>,
    chain: &Weak<ChainState>,
    subscribers: &Weak<Subscribers>,
) {
    while let Ok(event) = events.recv() {
        let (Some(chain), Some(subscribers)) = (chain.upgrade(), subscribers.upgrade()) else {
            break;
        };
        match event {
            ChainEvent::BlockTip {
                hash,
                initial_download,
                progress,
            } => {
                let tip = tip_of(&chain, &hash, progress);
                for callback in Subscribers::snapshot(&subscribers.block_tip) {
                    if let Err(e) = callback.call(initial_download, &tip) {
                        tracing::debug!("block tip subscriber failed: {e}");
                    }
                }
            }
            ChainEvent::Progress {
                title,
                percent,
                resume_possible,
            } => {
                for callback in Subscribers::snapshot(&subscribers.progress) {
                    if let Err(e) = callback.call(&title, percent, resume_possible) {
                        tracing::debug!("progress subscriber failed: {e}");
                    }
                }
            }
            ChainEvent::HeaderTip {
                height,
                time,
                presync,
            } => {
                // Core's notifyHeaderTip: height and time, no hash.
                let tip = BlockTip {
                    height: i32::try_from(height).unwrap_or(i32::MAX),
                    time,
                    ..BlockTip::default()
                };
                let ibd = chain.initial_block_download();
                for callback in Subscribers::snapshot(&subscribers.header_tip) {
                    if let Err(e) = callback.call(ibd, &tip, presync) {
                        tracing::debug!("header tip subscriber failed: {e}");
                    }
                }
            }
            _ => {}
        }
    }
}

impl Node for LocalNode {
    fn get_status(&self) -> Result<NodeStatus, Error> {
        let tip = self
            .chain
            .tip()
            .ok_or_else(|| Error::failed("the node is shutting down"))?;
        let net = self.net.get();
        let totals = net.map(|n| n.totals()).unwrap_or_default();
        let header = self.chain.best_header_tip();
        Ok(NodeStatus {
            block_count: tip.height,
            best_block_hash: tip.hash.to_byte_array(),
            header_tip_height: header.map_or(tip.height, |(height, _)| height),
            header_tip_time: header.map_or(i64::from(tip.time), |(_, time)| time),
            last_block_time: i64::from(tip.time),
            verification_progress: self.chain.verification_progress(),
            initial_block_download: self.chain.initial_block_download(),
            mempool_size: self.mempool.as_ref().map_or(0, |m| m.size() as u64),
            mempool_usage: self.mempool.as_ref().map_or(0, |m| m.usage()),
            num_connections: net.map_or(0, |n| u32::try_from(n.peers().len()).unwrap_or(u32::MAX)),
            network_active: net.is_some_and(|n| n.is_active()),
            total_bytes_recv: totals.bytes_recv,
            total_bytes_sent: totals.bytes_sent,
        })
    }

    fn wallet_loader(&self) -> Result<Box<dyn interfaces::WalletLoader>, Error> {
        self.wallets.loader()
    }

    fn get_ipc_info(&self) -> Result<Vec<interfaces::IpcConnectionInfo>, Error> {
        Ok(ipc::stats::connections())
    }

    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error> {
        interfaces::Rpc::execute_rpc(&LocalRpc(self.rpc.clone()), request, uri, user)
    }

    fn start_shutdown(&self) -> Result<(), Error> {
        (self.shutdown)();
        Ok(())
    }

    fn handle_notify_block_tip(
        &self,
        callback: Arc<dyn NotifyBlockTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.subscribers.add(|s| &s.block_tip, callback))
    }

    fn handle_notify_header_tip(
        &self,
        callback: Arc<dyn NotifyHeaderTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.subscribers.add(|s| &s.header_tip, callback))
    }

    fn handle_show_progress(
        &self,
        callback: Arc<dyn ShowProgress>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.subscribers.add(|s| &s.progress, callback))
    }

    fn handle_init_message(
        &self,
        callback: Arc<dyn InitMessage>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.init_messages.subscribe(callback))
    }

    fn handle_notify_num_connections_changed(
        &self,
        callback: Arc<dyn NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.subscribers.add(|s| &s.connections, callback))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpc::{Dispatcher, RpcTable};

    #[test]
    fn local_node_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let chain = Arc::new(ChainState::open(dir.path(), common::Chain::Regtest).expect("open"));
        let mut table = RpcTable::new();
        crate::rpc::blockchain::register(&mut table, &chain, None);
        let dispatcher = Arc::new(Dispatcher::new(table));
        let node = LocalNode::new(
            chain.clone(),
            None,
            dispatcher,
            Arc::new(|| {}),
            WalletSlot::default(),
            Arc::default(),
        )
        .expect("node");
        let script = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
        interfaces::node_conformance::run(&*node, &|n| {
            for _ in 0..n {
                chain
                    .mine_block(&script, 1_000_000)
                    .expect("mine")
                    .expect("found");
            }
        });
        chain.close();
    }
}
