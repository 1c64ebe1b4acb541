//! Bitcoin P2P networking for the node process (`bitcoin-node`, `bitcoind`): Bitcoin Core's
//! v1 transport ([`codec`]) and BIP324 v2 transport ([`v2`], on the `bip324` crate; v2 is
//! tried first and v1-only peers are reconnected with v1), the version handshake, ping/pong
//! and timeouts, inbound and outbound connections, headers-first sync with a bounded block
//! download window per peer and stall detection ([`sync`]), block and transaction relay, and
//! manual bans kept in `banlist.json` ([`ban`]), and the address manager ([`addrman`]: addresses
//! learned from `addr`/`addrv2`, answered to `getaddr`, relayed, kept in `peers.json`), and
//! BIP133 fee filters both ways ([`feefilter`]), automatic outbound connections from the
//! address table (`outbound-full-relay` and `block-relay-only`, with anchors kept across a
//! clean restart), DNS and fixed seeds and `-seednode` ([`seeds`]), inbound eviction when the
//! inbound slots are full (Core's `AttemptToEvictConnection`), and BIP152 compact blocks version 2
//! ([`compact`]: `sendcmpct` to every peer that knows them, up to three high-bandwidth peers,
//! new tips pushed as `cmpctblock` to the peers that asked, blocks rebuilt from the mempool
//! with `getblocktxn` for what is missing and the full block when that fails).
//!
//! It knows nothing of the kernel or the mempool: the node implements [`ChainAccess`] on
//! them and tells the network of new tips and transactions ([`Net::block_tip`],
//! [`Net::transaction_added`]). The network runs on its own tokio runtime; dropping [`Net`]
//! (or [`Net::shutdown`]) closes every socket and ends its tasks within a second. Logs go to
//! `tracing` target `net`.

pub mod addrman;
pub mod ban;
pub mod codec;
pub mod compact;
mod conn;
mod eviction;
pub mod feefilter;
pub mod orphans;
mod outbound;
mod peer;
pub mod seeds;
pub mod sync;
mod transport;
pub mod trickle;
pub mod v2;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{Block, BlockHash, Transaction, Txid, Wtxid};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

pub use ban::{BanEntry, BanError, Subnet};
pub use feefilter::FeeRates;
pub use peer::PeerInfo;

/// Our protocol version (Core's `PROTOCOL_VERSION`).
pub const PROTOCOL_VERSION: u32 = 70016;
/// The oldest protocol version we talk to (Core's `MIN_PEER_PROTO_VERSION`).
pub const MIN_PEER_PROTO_VERSION: u32 = 31800;
/// Core's `DEFAULT_MAX_PEER_CONNECTIONS`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 125;
/// Most headers in one `headers` message (Core's `MAX_HEADERS_RESULTS`).
pub const MAX_HEADERS_RESULTS: usize = 2000;
/// Most hashes in a peer's block locator (Core's `MAX_LOCATOR_SZ`).
pub const MAX_LOCATOR_SZ: usize = 101;
/// Time allowed for the version handshake by default (Core's `-peertimeout` default).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often peers are pinged (Core's `PING_INTERVAL`).
pub const PING_INTERVAL: Duration = Duration::from_secs(2 * 60);
/// How long a ping may stay unanswered (Core's `TIMEOUT_INTERVAL`).
pub const PING_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Most automatic full-relay outbound connections (Core's
/// `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`).
pub const MAX_OUTBOUND_FULL_RELAY: usize = 8;
/// Most automatic block-relay-only outbound connections, and most anchors (Core's
/// `MAX_BLOCK_RELAY_ONLY_CONNECTIONS`, `MAX_BLOCK_RELAY_ONLY_ANCHORS`).
pub const MAX_BLOCK_RELAY_ONLY: usize = 2;
/// Feeler connections Core reserves a slot for (`MAX_FEELER_CONNECTIONS`; we open none, but
/// count the slot as Core does).
pub const MAX_FEELER: usize = 1;

/// Delay before a persistent outbound connection is tried again.
pub const RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// Core's `DEFAULT_V2_TRANSPORT`.
pub const DEFAULT_V2_TRANSPORT: bool = true;

/// The services we offer: `NODE_NETWORK | NODE_WITNESS`, and `NODE_P2P_V2` with v2 transport.
pub fn local_services(v2transport: bool) -> ServiceFlags {
    let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
    if v2transport {
        services | ServiceFlags::P2P_V2
    } else {
        services
    }
}

/// A transaction id as announced by a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxRef {
    /// By txid (`MSG_TX`, `MSG_WITNESS_TX`).
    Txid(Txid),
    /// By wtxid (`MSG_WTX`, BIP339).
    Wtxid(Wtxid),
}

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRejected {
    /// Core's reject reason (`min relay fee not met`, `bad-txns-inputs-missingorspent`, ...).
    pub reason: String,
    /// Some input is neither in the chain nor in the mempool (Core's `TX_MISSING_INPUTS`):
    /// an orphan.
    pub missing_inputs: bool,
    /// Only the fee floors refused it (Core's `TX_RECONSIDERABLE`): a child may pay for it.
    pub low_fee: bool,
}

impl TxRejected {
    /// A rejection for any other reason.
    pub fn other(reason: impl Into<String>) -> TxRejected {
        TxRejected {
            reason: reason.into(),
            missing_inputs: false,
            low_fee: false,
        }
    }
}

impl std::fmt::Display for TxRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What the network needs from the node: the chain (the kernel) and the mempool. Calls may
/// block (they run off the network's async tasks).
pub trait ChainAccess: Send + Sync + 'static {
    /// The active tip's hash and height.
    fn tip(&self) -> Option<(BlockHash, i32)>;
    /// A block locator from the best known header (newest first).
    fn locator(&self) -> Vec<BlockHash>;
    /// The height of a known header.
    fn header_height(&self, hash: &BlockHash) -> Option<i32>;
    /// A known header.
    fn header(&self, hash: &BlockHash) -> Option<Header>;
    /// Validates and stores `headers` (in order); the error names the first invalid one.
    fn process_headers(&self, headers: &[Header]) -> Result<(), String>;
    /// Up to `max` headers of the active chain after the first locator hash in it (after
    /// genesis if none), stopping at `stop`.
    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header>;
    /// Up to `max` blocks on the way from the active tip to the best header whose data is
    /// missing, lowest first, with their heights.
    fn missing_blocks(&self, max: usize) -> Vec<(BlockHash, i32)>;
    /// A stored block.
    fn block(&self, hash: &BlockHash) -> Option<Block>;
    /// Validates and, if valid, connects `block` (as `submitblock` does).
    fn submit_block(&self, block: Block) -> Result<(), String>;
    /// Whether `hash`'s block is stored (by default: whether [`ChainAccess::block`] finds it;
    /// implementations should answer without reading the block).
    fn has_block(&self, hash: &BlockHash) -> bool {
        self.block(hash).is_some()
    }
    /// A mempool transaction.
    fn transaction(&self, id: TxRef) -> Option<Transaction>;
    /// Every mempool transaction with its wtxid, to rebuild compact blocks (BIP152). The
    /// network computes each block's short ids over these wtxids itself (the keys differ per
    /// block and per sender), as Core walks its mempool's wtxids; the transactions are shared,
    /// not copied, and the mempool is not held while matching. None by default: every
    /// compact block then asks for its transactions with `getblocktxn`.
    fn mempool_transactions(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        Vec::new()
    }
    /// Offers `tx` to the mempool (as `sendrawtransaction` does).
    fn submit_transaction(&self, tx: Transaction) -> Result<(), TxRejected>;
    /// Offers `parent` and its `child` to the mempool together (Core's one-parent-one-child
    /// package acceptance: the child may pay for a parent below the fee floors). None by
    /// default.
    fn submit_package(&self, parent: Transaction, child: Transaction) -> Result<(), String> {
        let _ = (parent, child);
        Err("packages are not supported".into())
    }
    /// The fee rates our `feefilter` is made of (none by default: a filter of 0).
    fn fee_rates(&self) -> FeeRates {
        FeeRates::default()
    }
    /// A mempool transaction's fee and virtual size, to hold it against the peers'
    /// `feefilter` (unknown by default: announced to every peer).
    fn transaction_fee(&self, txid: &Txid) -> Option<(u64, u64)> {
        let _ = txid;
        None
    }
}

/// The network's settings (Core's `-listen`, `-bind`, `-port`, `-connect`, `-addnode`,
/// `-maxconnections`, `-peertimeout`, `-v2transport`, `-dnsseed`, `-fixedseeds`,
/// `-seednode`).
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The chain's network (its magic).
    pub network: bitcoin::Network,
    /// Addresses to listen on (empty: no listening).
    pub bind: Vec<SocketAddr>,
    /// Whether a failure to bind stops the node (explicit `-bind`) or is only logged.
    pub bind_required: bool,
    /// Peers to keep connected to (`-connect`, `-addnode`).
    pub connect: Vec<String>,
    /// The port for addresses given without one.
    pub default_port: u16,
    /// `-maxconnections`.
    pub max_connections: usize,
    /// Our BIP14 user agent (`/Name:version/`).
    pub user_agent: String,
    /// Time allowed for the version handshake (`-peertimeout`, default
    /// [`HANDSHAKE_TIMEOUT`]).
    pub peer_timeout: Duration,
    /// `-v2transport`: try BIP324 v2 on outbound connections (falling back to v1) and accept
    /// it inbound; off, every connection is v1.
    pub v2transport: bool,
    /// The length of a ban when `setban` gives none (`-bantime`, default
    /// [`ban::DEFAULT_BAN_TIME`] seconds).
    pub ban_time: Duration,
    /// Where the bans are kept (`<datadir>/<chain>/banlist.json`; `None`: only in memory).
    pub banlist: Option<PathBuf>,
    /// Where the known addresses are kept (`<datadir>/<chain>/peers.json`; `None`: only in
    /// memory).
    pub peers_file: Option<PathBuf>,
    /// Whether to open automatic outbound connections from the address table (off with
    /// `-connect` or `-noconnect`).
    pub auto_outbound: bool,
    /// `-dnsseed`: ask the network's DNS seeds for addresses.
    pub dns_seed: bool,
    /// `-fixedseeds`: fall back to the fixed seeds when the table stays empty.
    pub fixed_seeds: bool,
    /// `-seednode`: connect, ask for addresses, disconnect.
    pub seed_nodes: Vec<String>,
    /// Where the block-relay-only peers are kept across a clean restart
    /// (`<datadir>/<chain>/anchors.json`; `None`: not kept).
    pub anchors_file: Option<PathBuf>,
}

impl NetConfig {
    /// A configuration with Core's defaults for `network`: no listening, no peers, no
    /// files, no automatic outbound connections and no seeds.
    pub fn new(network: bitcoin::Network, default_port: u16, user_agent: String) -> NetConfig {
        NetConfig {
            network,
            bind: Vec::new(),
            bind_required: false,
            connect: Vec::new(),
            default_port,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            user_agent,
            peer_timeout: HANDSHAKE_TIMEOUT,
            v2transport: DEFAULT_V2_TRANSPORT,
            ban_time: Duration::from_secs(ban::DEFAULT_BAN_TIME),
            banlist: None,
            peers_file: None,
            auto_outbound: false,
            dns_seed: false,
            fixed_seeds: false,
            seed_nodes: Vec::new(),
            anchors_file: None,
        }
    }

    /// Automatic full-relay outbound slots (Core: at most 8, within `-maxconnections`).
    pub fn max_outbound_full_relay(&self) -> usize {
        MAX_OUTBOUND_FULL_RELAY.min(self.max_connections)
    }

    /// Automatic block-relay-only outbound slots (Core: at most 2, within what the
    /// full-relay ones leave of `-maxconnections`).
    pub fn max_block_relay(&self) -> usize {
        MAX_BLOCK_RELAY_ONLY.min(self.max_connections - self.max_outbound_full_relay())
    }

    /// Inbound slots: what the automatic outbound ones (and Core's feeler) leave of
    /// `-maxconnections` (Core's `m_max_inbound`). Manual connections are not counted.
    pub fn max_inbound(&self) -> usize {
        self.max_connections
            .saturating_sub(self.max_outbound_full_relay() + self.max_block_relay() + MAX_FEELER)
    }
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A `-bind` address could not be bound.
    #[error("Unable to bind to {addr} on this computer: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The runtime could not be started.
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
}

/// How `addnode` changes the added-node list (Core's `addnode` commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddNode {
    /// Keep connected to it.
    Add,
    /// Stop reconnecting to it.
    Remove,
    /// Connect once.
    OneTry,
}

/// Why an `addnode` request failed (Core's RPC errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddNodeError {
    /// Already in the list.
    #[error("Node already added")]
    AlreadyAdded,
    /// Not in the list.
    #[error("Node could not be removed. It has not been added previously.")]
    NotAdded,
}

/// Traffic totals (`getnettotals`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Bytes received.
    pub bytes_recv: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
}

pub(crate) enum Event {
    Tip(BlockHash),
    Tx(Transaction),
}

pub(crate) struct PeerHandle {
    pub(crate) info: Arc<Mutex<PeerInfo>>,
    pub(crate) queue: mpsc::Sender<NetworkMessage>,
    pub(crate) cancel: CancellationToken,
    /// Transaction announcements waiting for the peer's trickle timer.
    pub(crate) pending_inv: trickle::Pending,
}

impl PeerHandle {
    /// Queues `message`; a full queue disconnects the peer.
    pub(crate) fn send(&self, message: NetworkMessage) {
        if self.queue.try_send(message).is_err() {
            self.disconnect("send queue full");
        }
    }

    /// Disconnects with `reason` (logged by the peer's task).
    pub(crate) fn disconnect(&self, reason: &str) {
        let mut info = lock(&self.info);
        if info.disconnect_reason.is_none() {
            info.disconnect_reason = Some(reason.to_string());
        }
        drop(info);
        self.cancel.cancel();
    }
}

pub(crate) struct Shared {
    pub(crate) config: NetConfig,
    pub(crate) magic: bitcoin::p2p::Magic,
    pub(crate) chain: Arc<dyn ChainAccess>,
    pub(crate) peers: Mutex<HashMap<sync::PeerId, PeerHandle>>,
    pub(crate) download: Mutex<sync::Download>,
    pub(crate) next_id: AtomicU64,
    pub(crate) nonces: Mutex<HashSet<u64>>,
    /// The added nodes, each with whether to try v2 with it.
    pub(crate) added: Mutex<Vec<(String, bool)>>,
    pub(crate) active: AtomicBool,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_recv: AtomicU64,
    pub(crate) wake: Notify,
    pub(crate) cancel: CancellationToken,
    pub(crate) bound: Mutex<Vec<SocketAddr>>,
    pub(crate) count_listener: Mutex<Option<CountListener>>,
    pub(crate) bans: Mutex<ban::BanList>,
    pub(crate) addrman: Mutex<addrman::AddrMan>,
    /// The peers we asked for high-bandwidth compact block announcements.
    pub(crate) high_bandwidth: Mutex<compact::HighBandwidth>,
    /// The newest block announced or served as a compact block, with its compact form.
    pub(crate) recent_block: Mutex<Option<peer::RecentBlock>>,
    /// Transactions waiting for their parents.
    pub(crate) orphans: Mutex<orphans::OrphanPool>,
    /// The inbound peers' shared announcement timer.
    pub(crate) inbound_timer: trickle::InboundTimer,
    /// Anchors not tried yet (tried from the back).
    pub(crate) anchors: Mutex<Vec<addrman::AddrInfo>>,
    /// `-seednode` targets not connected to yet.
    pub(crate) seed_nodes: Mutex<Vec<String>>,
    /// Automatic connections being opened, with their connection type.
    pub(crate) pending: Mutex<Vec<(SocketAddr, &'static str)>>,
    /// Our secret key for network groups in eviction (Core's keyed net groups).
    pub(crate) netgroup_key: u64,
}

/// Called with the number of connections whenever it changes (must not block).
pub type CountListener = Arc<dyn Fn(usize) + Send + Sync>;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Runs a blocking chain call off the async workers.
    pub(crate) fn blocking<T>(&self, f: impl FnOnce(&dyn ChainAccess) -> T) -> T {
        tokio::task::block_in_place(|| f(self.chain.as_ref()))
    }

    /// Tells the listener the new number of connections.
    pub(crate) fn connections_changed(&self) {
        let count = lock(&self.peers).len();
        let listener = lock(&self.count_listener).clone();
        if let Some(listener) = listener {
            listener(count);
        }
    }

    pub(crate) fn for_each_peer(&self, mut f: impl FnMut(sync::PeerId, &PeerHandle)) {
        for (id, peer) in lock(&self.peers).iter() {
            f(*id, peer);
        }
    }
}

/// The running network; dropping it stops it.
pub struct Net {
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<Event>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
}

impl Net {
    /// Binds the listening sockets, then starts listening, the outbound connections and the
    /// sync and relay tasks.
    pub fn start(config: NetConfig, chain: Arc<dyn ChainAccess>) -> Result<Net, NetError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("net")
            .enable_all()
            .build()
            .map_err(NetError::Runtime)?;
        let magic = bitcoin::p2p::Magic::from(config.network);
        let added = config.connect.clone();
        let v2transport = config.v2transport;
        let bans = ban::BanList::load(config.banlist.clone(), peer::unix_now());
        let addrman = addrman::AddrMan::load(
            config.peers_file.clone(),
            addrman::MAX_ADDRESSES,
            config.network == bitcoin::Network::Regtest,
            peer::unix_now(),
        );
        let anchors = match (&config.anchors_file, config.auto_outbound) {
            (Some(path), true) => outbound::read_anchors(path),
            _ => Vec::new(),
        };
        let mut seed_nodes = if config.auto_outbound {
            config.seed_nodes.clone()
        } else {
            Vec::new()
        };
        seed_nodes.reverse();
        let shared = Arc::new(Shared {
            anchors: Mutex::new(anchors),
            seed_nodes: Mutex::new(seed_nodes),
            pending: Mutex::new(Vec::new()),
            netgroup_key: addrman::random_u64(),
            config,
            magic,
            chain,
            peers: Mutex::new(HashMap::new()),
            download: Mutex::new(sync::Download::default()),
            next_id: AtomicU64::new(0),
            nonces: Mutex::new(HashSet::new()),
            added: Mutex::new(Vec::new()),
            active: AtomicBool::new(true),
            bytes_sent: AtomicU64::new(0),
            bytes_recv: AtomicU64::new(0),
            wake: Notify::new(),
            cancel: CancellationToken::new(),
            bound: Mutex::new(Vec::new()),
            count_listener: Mutex::new(None),
            bans: Mutex::new(bans),
            addrman: Mutex::new(addrman),
            high_bandwidth: Mutex::new(compact::HighBandwidth::default()),
            recent_block: Mutex::new(None),
            orphans: Mutex::new(orphans::OrphanPool::default()),
            inbound_timer: trickle::InboundTimer::default(),
        });
        let listeners = runtime.block_on(conn::bind_all(&shared))?;
        let (events, rx) = mpsc::unbounded_channel();
        runtime.spawn(conn::relay_loop(shared.clone(), rx));
        runtime.spawn(conn::sync_loop(shared.clone()));
        runtime.spawn(conn::dump_addresses_loop(shared.clone()));
        for listener in listeners {
            runtime.spawn(conn::accept_loop(shared.clone(), listener));
        }
        if shared.config.auto_outbound {
            runtime.spawn(outbound::open_connections_loop(shared.clone()));
            if shared.config.dns_seed {
                let resolver: Arc<dyn seeds::Resolver> = Arc::new(seeds::TokioResolver);
                runtime.spawn(seeds::dns_seed_task(shared.clone(), resolver));
            }
        }
        let net = Net {
            shared,
            events,
            handle: runtime.handle().clone(),
            runtime: Mutex::new(Some(runtime)),
        };
        for addr in added {
            net.learn_target(&addr);
            let _ = net.add_node(&addr, AddNode::Add, v2transport);
        }
        Ok(net)
    }

    /// Calls `listener` with the number of connections whenever it changes (Core's
    /// `NotifyNumConnectionsChanged`); it must not block.
    pub fn on_connection_count(&self, listener: CountListener) {
        *lock(&self.shared.count_listener) = Some(listener);
    }

    /// The addresses we listen on.
    pub fn bound(&self) -> Vec<SocketAddr> {
        lock(&self.shared.bound).clone()
    }

    /// Announces a new active tip to peers.
    pub fn block_tip(&self, hash: BlockHash) {
        let _ = self.events.send(Event::Tip(hash));
    }

    /// Announces a transaction the mempool accepted to peers.
    pub fn transaction_added(&self, tx: Transaction) {
        let _ = self.events.send(Event::Tx(tx));
    }

    /// A snapshot of every connected peer, by id.
    pub fn peers(&self) -> Vec<PeerInfo> {
        let mut all = Vec::new();
        self.shared
            .for_each_peer(|_, p| all.push(lock(&p.info).clone()));
        all.sort_by_key(|p| p.id);
        all
    }

    /// The transactions waiting for their parents (Core's `getorphantxs`).
    pub fn orphans(&self) -> Vec<orphans::Orphan> {
        lock(&self.shared.orphans).all()
    }

    /// Bytes received and sent.
    pub fn totals(&self) -> Totals {
        Totals {
            bytes_recv: self.shared.bytes_recv.load(Ordering::Relaxed),
            bytes_sent: self.shared.bytes_sent.load(Ordering::Relaxed),
        }
    }

    /// The services we offer (`getnetworkinfo`'s `localservices`).
    pub fn local_services(&self) -> ServiceFlags {
        local_services(self.shared.config.v2transport)
    }

    /// Whether v2 transport is enabled (`-v2transport`).
    pub fn v2transport(&self) -> bool {
        self.shared.config.v2transport
    }

    /// Whether networking is enabled (`setnetworkactive`).
    pub fn is_active(&self) -> bool {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Enables or disables networking; disabling disconnects every peer.
    pub fn set_active(&self, active: bool) {
        let was = self.shared.active.swap(active, Ordering::SeqCst);
        if was != active {
            tracing::info!(target: "net", "set_active: setting network active to {active}");
        }
        if !active {
            self.shared
                .for_each_peer(|_, p| p.disconnect("network disabled"));
        }
    }

    /// Changes the added-node list (`addnode`); `v2transport` is whether to try v2 with the
    /// node (only if v2 is enabled at all; ignored by [`AddNode::Remove`]).
    pub fn add_node(
        &self,
        addr: &str,
        command: AddNode,
        v2transport: bool,
    ) -> Result<(), AddNodeError> {
        let v2 = v2transport && self.shared.config.v2transport;
        if self.shared.cancel.is_cancelled() {
            return Ok(());
        }
        let runtime = &self.handle;
        let mut added = lock(&self.shared.added);
        match command {
            AddNode::Add => {
                if added.iter().any(|(a, _)| a == addr) {
                    return Err(AddNodeError::AlreadyAdded);
                }
                added.push((addr.to_string(), v2));
                runtime.spawn(conn::keep_connected(self.shared.clone(), addr.to_string()));
            }
            AddNode::Remove => {
                let before = added.len();
                added.retain(|(a, _)| a != addr);
                if added.len() == before {
                    return Err(AddNodeError::NotAdded);
                }
            }
            AddNode::OneTry => {
                runtime.spawn(conn::connect_once(
                    self.shared.clone(),
                    addr.to_string(),
                    v2,
                ));
            }
        }
        Ok(())
    }

    /// Pings every peer now (the `ping` RPC); the round trip shows in [`PeerInfo::pingtime`].
    pub fn ping_all(&self) {
        self.shared
            .for_each_peer(|_, p| lock(&p.info).request_ping());
    }

    /// The added-node list (`-connect`, `-addnode`, `addnode add`), each with the address of
    /// the connection made to it, if any.
    pub fn added_nodes(&self) -> Vec<(String, Option<SocketAddr>)> {
        let peers = self.peers();
        lock(&self.shared.added)
            .iter()
            .map(|(added, _)| {
                let connected = peers
                    .iter()
                    .find(|p| p.added_as.as_deref() == Some(added.as_str()))
                    .map(|p| p.addr);
                (added.clone(), connected)
            })
            .collect()
    }

    /// Disconnects the peers at `addr` or with id `id`; returns whether one was found.
    pub fn disconnect(&self, addr: Option<&str>, id: Option<u64>) -> bool {
        let mut found = false;
        self.shared.for_each_peer(|peer_id, p| {
            let matches =
                Some(peer_id) == id || addr.is_some_and(|a| lock(&p.info).addr.to_string() == a);
            if matches {
                found = true;
                p.disconnect("disconnectnode requested");
            }
        });
        found
    }

    /// The length of a ban when none is given (`-bantime`).
    pub fn ban_time(&self) -> Duration {
        self.shared.config.ban_time
    }

    /// Bans `subnet` until `until` (Unix seconds) and disconnects the peers in it (`setban
    /// add`).
    pub fn ban(&self, subnet: Subnet, until: u64) -> Result<(), BanError> {
        lock(&self.shared.bans).ban(subnet, peer::unix_now(), until)?;
        self.shared.for_each_peer(|_, p| {
            if subnet.contains(lock(&p.info).addr.ip()) {
                p.disconnect("banned");
            }
        });
        Ok(())
    }

    /// Lifts the ban on `subnet` (`setban remove`).
    pub fn unban(&self, subnet: &Subnet) -> Result<(), BanError> {
        lock(&self.shared.bans).unban(subnet, peer::unix_now())
    }

    /// The bans in force (`listbanned`).
    pub fn banned(&self) -> Vec<BanEntry> {
        lock(&self.shared.bans).list(peer::unix_now())
    }

    /// Lifts every ban (`clearbanned`).
    pub fn clear_banned(&self) {
        lock(&self.shared.bans).clear();
    }

    /// Adds a `-connect`/`-addnode` target given as an IP address and port to the address
    /// table (host names are not resolved here).
    fn learn_target(&self, target: &str) {
        let addr = target.parse::<SocketAddr>().ok().or_else(|| {
            let bare = target.trim_start_matches('[').trim_end_matches(']');
            bare.parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, self.shared.config.default_port))
        });
        if let Some(addr) = addr {
            let now = peer::unix_now();
            let time = u32::try_from(now).unwrap_or(u32::MAX);
            lock(&self.shared.addrman).add(addr, ServiceFlags::NONE, time, now);
        }
    }

    /// Up to `count` known addresses (all if 0) in random order, only those `filter` accepts
    /// (`getnodeaddresses`).
    pub fn addresses(
        &self,
        count: usize,
        filter: impl Fn(&addrman::AddrInfo) -> bool,
    ) -> Vec<addrman::AddrInfo> {
        lock(&self.shared.addrman).sample(count, filter)
    }

    /// Adds `addr` to the address table as Core's test-only `addpeeraddress` does (seen
    /// now, `NODE_NETWORK | NODE_WITNESS`), in the tried table if `tried`; returns whether
    /// it was added (`false` for an unusable or already known address).
    pub fn add_peer_address(&self, addr: SocketAddr, tried: bool) -> bool {
        let now = peer::unix_now();
        let time = u32::try_from(now).unwrap_or(u32::MAX);
        let mut table = lock(&self.shared.addrman);
        let added = table.add(
            addr,
            ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            time,
            now,
        );
        if added && tried {
            table.good(addr, now);
        }
        added
    }

    /// The address table's entries per network and table (`getaddrmaninfo`).
    pub fn addrman_counts(&self) -> addrman::TableCounts {
        lock(&self.shared.addrman).counts()
    }

    /// Closes every socket, stops the network's tasks (within about a second) and writes the
    /// address table and the anchors.
    pub fn shutdown(&self) {
        if !self.shared.cancel.is_cancelled() && self.shared.config.auto_outbound {
            if let Some(path) = &self.shared.config.anchors_file {
                outbound::write_anchors(&self.shared, path);
            }
        }
        self.shared.cancel.cancel();
        let runtime = lock(&self.runtime).take();
        if let Some(runtime) = runtime {
            runtime.shutdown_timeout(Duration::from_millis(800));
            lock(&self.shared.addrman).save();
            tracing::info!(target: "net", "network stopped");
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.shutdown();
    }
}
