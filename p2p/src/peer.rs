//! One peer connection: what is known of it ([`PeerInfo`]), the transport
//! ([`crate::transport`]: v1, or v2 with its handshake), the version handshake, the message
//! loop (headers, blocks, transactions, pings, addresses with their rate limit, `getaddr`,
//! `feefilter` both ways, compact blocks), a writer task fed by a bounded queue and a timer
//! enforcing the handshake and ping timeouts. Whatever ends the connection is logged with the
//! peer and the reason.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bitcoin::hashes::Hash as _;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::BlockHash;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

mod addr;
mod compact;
mod info;
mod orphan;

pub(crate) use compact::{can_direct_fetch, recent_block, RecentBlock};
pub use info::PeerInfo;

use crate::sync::PeerId;
use crate::transport::{self, Decoder, Encoder, Established, Reader};
use crate::{lock, PeerHandle, Shared, TxRef};

/// Messages queued for one peer before it counts as too slow and is disconnected.
const SEND_QUEUE: usize = 512;
/// How long an addr-fetch (`-seednode`) connection may wait for addresses (Core's
/// `10 * AVG_ADDRESS_BROADCAST_INTERVAL`).
const ADDR_FETCH_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Transactions remembered per peer as known to it.
const MAX_KNOWN_TXS: usize = 50_000;

/// Core's name of the block-relay-only connection type.
pub(crate) const BLOCK_RELAY: &str = "block-relay-only";

/// Who opened the connection, and why (Core's `ConnectionType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Direction {
    Inbound,
    /// `-connect`, `-addnode`, `addnode` (Core's `manual` connection type), with the address
    /// as given.
    Manual(String),
    /// An automatic outbound connection relaying everything (Core's `outbound-full-relay`).
    FullRelay,
    /// An automatic outbound connection relaying blocks only: `relay=false` in our
    /// `version`, no transactions and no addresses either way (Core's `block-relay-only`).
    BlockRelay,
    /// A `-seednode` connection, closed once it sent addresses (Core's `addr-fetch`).
    AddrFetch,
}

impl Direction {
    /// Core's name of the connection type.
    pub(crate) fn connection_type(&self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Manual(_) => "manual",
            Direction::FullRelay => "outbound-full-relay",
            Direction::BlockRelay => BLOCK_RELAY,
            Direction::AddrFetch => "addr-fetch",
        }
    }
}

/// Now, in Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The connection's state, owned by its reader task.
struct Peer {
    id: PeerId,
    shared: Arc<Shared>,
    info: Arc<Mutex<PeerInfo>>,
    queue: mpsc::Sender<NetworkMessage>,
    inbound: bool,
    nonce: u64,
    got_version: bool,
    /// Whether a `getheaders` is outstanding (one at a time, as Core).
    headers_requested: bool,
    /// Whether we asked for addresses and the (last part of the) answer has not come yet;
    /// the answer is not relayed (Core's `m_getaddr_sent`).
    getaddr_sent: bool,
    /// Whether we answered the peer's `getaddr` (once per connection, as Core).
    getaddr_answered: bool,
    /// Compact blocks waiting for the `blocktxn` we asked for.
    partial: HashMap<BlockHash, crate::compact::PartialBlock>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_nonce() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return t as u64;
    }
    u64::from_le_bytes(bytes)
}

/// How a connection ended.
pub(crate) struct Ended {
    /// Our v2 handshake failed the way a v1-only peer makes it fail (closed before answering):
    /// reconnect with v1.
    pub(crate) retry_v1: bool,
}

/// Runs a connection to its end; `v2` is whether we may use transport v2 on it.
pub(crate) async fn run(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    direction: Direction,
    v2: bool,
) -> Ended {
    let id = shared
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _ = stream.set_nodelay(true);
    let addrbind = stream.local_addr().ok();
    let (reader, mut writer) = stream.into_split();
    let (queue, outgoing) = mpsc::channel(SEND_QUEUE);
    let cancel = shared.cancel.child_token();
    let info = Arc::new(Mutex::new(PeerInfo::new(
        id, addr, addrbind, &direction, v2,
    )));
    let pending_inv = crate::trickle::Pending::default();
    lock(&shared.peers).insert(
        id,
        PeerHandle {
            info: info.clone(),
            queue: queue.clone(),
            cancel: cancel.clone(),
            pending_inv: pending_inv.clone(),
        },
    );
    shared.connections_changed();
    let inbound = direction == Direction::Inbound;
    let trickle_task = tokio::spawn(crate::trickle::trickle_loop(
        shared.clone(),
        id,
        inbound,
        pending_inv,
        cancel.clone(),
    ));
    if inbound {
        tracing::info!(target: "net", "accepted connection from peer={id} addr={addr}");
    } else {
        tracing::info!(target: "net", "connected to peer={id} addr={addr}");
    }
    let nonce = random_nonce();
    lock(&shared.nonces).insert(nonce);
    // The handshake timeout covers the transport handshake too.
    let timer_task = tokio::spawn(timer_loop(shared.clone(), id, info.clone(), cancel.clone()));
    let established = tokio::select! {
        r = transport::establish(reader, &mut writer, shared.magic, inbound, v2) => Some(r),
        () = cancel.cancelled() => None,
    };
    let mut retry_v1 = false;
    let ended = match established {
        None => Ok(()),
        Some(Err(e)) => {
            retry_v1 = e.retry_v1;
            Err(e.error.to_string())
        }
        Some(Ok(established)) => {
            let peer = Peer {
                id,
                shared: shared.clone(),
                info: info.clone(),
                queue,
                inbound,
                nonce,
                got_version: false,
                headers_requested: false,
                getaddr_sent: false,
                getaddr_answered: false,
                partial: HashMap::new(),
            };
            peer.session(established, writer, outgoing, cancel.clone())
                .await
        }
    };
    cancel.cancel();
    // A reason we set (a ban, an eviction) names the cause even if the socket also failed
    // by the time this task ran (the peer closing its end once ours was shut).
    let set = lock(&info).disconnect_reason.clone();
    let reason = match (set, ended) {
        (Some(reason), _) | (None, Err(reason)) => reason,
        (None, Ok(())) => "shutting down".into(),
    };
    tracing::info!(target: "net", "disconnecting peer={id} addr={addr}: {reason}");
    lock(&shared.peers).remove(&id);
    lock(&shared.nonces).remove(&nonce);
    lock(&shared.download).peer_gone(id);
    lock(&shared.high_bandwidth).remove(id);
    lock(&shared.orphans).erase_for_peer(id);
    shared.connections_changed();
    shared.wake.notify_one();
    timer_task.abort();
    trickle_task.abort();
    Ended { retry_v1 }
}

async fn write_loop(
    shared: Arc<Shared>,
    mut writer: OwnedWriteHalf,
    mut encoder: Encoder,
    mut outgoing: mpsc::Receiver<NetworkMessage>,
    info: Arc<Mutex<PeerInfo>>,
    cancel: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            m = outgoing.recv() => m,
            () = cancel.cancelled() => None,
        };
        let Some(message) = message else { break };
        let command = message.cmd();
        let bytes = encoder.encode(shared.magic, message);
        let written = tokio::select! {
            r = writer.write_all(&bytes) => r,
            () = cancel.cancelled() => break,
        };
        if let Err(e) = written {
            let mut i = lock(&info);
            if i.disconnect_reason.is_none() {
                i.disconnect_reason = Some(format!("write failed: {e}"));
            }
            drop(i);
            cancel.cancel();
            break;
        }
        shared
            .bytes_sent
            .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let mut i = lock(&info);
        i.bytessent += bytes.len() as u64;
        *i.bytessent_per_msg.entry(command).or_default() += bytes.len() as u64;
        i.lastsend = unix_now();
    }
    let _ = writer.shutdown().await;
}

/// Enforces the handshake timeout, sends pings and enforces the ping timeout.
async fn timer_loop(
    shared: Arc<Shared>,
    id: PeerId,
    info: Arc<Mutex<PeerInfo>>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = cancel.cancelled() => return,
        }
        let mut i = lock(&info);
        let reason = if !i.handshake_done && i.connected.elapsed() > shared.config.peer_timeout {
            Some("version handshake timeout".to_string())
        } else if i.connection_type == "addr-fetch" && i.connected.elapsed() > ADDR_FETCH_TIMEOUT {
            Some("addrfetch connection timeout".to_string())
        } else if let Some((_, sent)) = i
            .ping
            .filter(|(_, sent)| sent.elapsed() > crate::PING_TIMEOUT)
        {
            Some(format!("ping timeout: {}s", sent.elapsed().as_secs()))
        } else {
            None
        };
        if let Some(reason) = reason {
            i.disconnect_reason.get_or_insert(reason);
            drop(i);
            cancel.cancel();
            return;
        }
        let due = i
            .last_ping
            .is_none_or(|t| t.elapsed() >= crate::PING_INTERVAL);
        if i.handshake_done {
            drop(i);
            if let Some(message) = fee_filter_due(&shared, &info) {
                if let Some(p) = lock(&shared.peers).get(&id) {
                    p.send(message);
                }
            }
            i = lock(&info);
        }
        if i.handshake_done && i.ping.is_none() && due {
            let nonce = random_nonce();
            i.ping = Some((nonce, Instant::now()));
            i.last_ping = Some(Instant::now());
            drop(i);
            if let Some(p) = lock(&shared.peers).get(&id) {
                p.send(NetworkMessage::Ping(nonce));
            }
        }
    }
}

/// Our `feefilter` for the peer if one is due (Core's `MaybeSendFeefilter`; not to peers
/// older than BIP133).
fn fee_filter_due(shared: &Shared, info: &Mutex<PeerInfo>) -> Option<NetworkMessage> {
    let i = lock(info);
    // Core sends none to block-relay-only peers (no transaction relay with them).
    let wanted = i.version >= crate::feefilter::FEEFILTER_VERSION && !i.block_relay_only();
    drop(i);
    if !wanted {
        return None;
    }
    let rates = shared.blocking(|c| c.fee_rates());
    let filter = lock(info).fee_filter.poll(Instant::now(), rates)?;
    Some(NetworkMessage::FeeFilter(
        i64::try_from(filter).unwrap_or(i64::MAX),
    ))
}

type Handled = Result<(), String>;

impl Peer {
    fn send(&self, message: NetworkMessage) -> Handled {
        self.queue
            .try_send(message)
            .map_err(|_| "send queue full".to_string())
    }

    /// Sends a message that may wait for room in the queue (answers to the peer's requests).
    async fn send_wait(&self, message: NetworkMessage) -> Handled {
        self.queue
            .send(message)
            .await
            .map_err(|_| "connection closing".to_string())
    }

    fn send_version(&self) {
        let height = self.shared.blocking(|c| c.tip().map_or(0, |(_, h)| h));
        let addr = lock(&self.info).addr;
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        let services = crate::local_services(self.shared.config.v2transport);
        let timestamp = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        let mut version = VersionMessage::new(
            services,
            timestamp,
            Address::new(&addr, ServiceFlags::NONE),
            Address::new(&unspecified, services),
            self.nonce,
            self.shared.config.user_agent.clone(),
            height,
        );
        version.version = crate::PROTOCOL_VERSION;
        // Core's fRelay: false on block-relay-only connections.
        version.relay = !lock(&self.info).block_relay_only();
        let _ = self.send(NetworkMessage::Version(version));
    }

    /// Runs the connection over an established transport: the writer task, our `version`
    /// if we opened it, then the message loop until an error or the token ends it.
    async fn session(
        mut self,
        established: Established,
        writer: OwnedWriteHalf,
        outgoing: mpsc::Receiver<NetworkMessage>,
        cancel: CancellationToken,
    ) -> Handled {
        let Established {
            reader,
            decoder,
            encoder,
            kind,
            session_id,
        } = established;
        {
            let mut i = lock(&self.info);
            i.transport_protocol_type = kind;
            i.session_id = session_id.map(|id| hex(&id)).unwrap_or_default();
        }
        if let Some(id) = session_id {
            tracing::debug!(target: "net", "v2 transport with peer={}, session id {}", self.id, hex(&id));
        }
        let write_task = tokio::spawn(write_loop(
            self.shared.clone(),
            writer,
            encoder,
            outgoing,
            self.info.clone(),
            cancel.clone(),
        ));
        if !self.inbound {
            self.send_version();
        }
        let ended = tokio::select! {
            r = self.read_loop(reader, decoder) => r,
            () = cancel.cancelled() => Ok(()),
        };
        cancel.cancel();
        let _ = write_task.await;
        ended
    }

    async fn read_loop(&mut self, mut reader: Reader, mut decoder: Decoder) -> Handled {
        loop {
            let received = decoder
                .read(&mut reader, self.shared.magic)
                .await
                .map_err(|e| e.to_string())?;
            let size = received.size;
            self.shared
                .bytes_recv
                .fetch_add(size as u64, std::sync::atomic::Ordering::Relaxed);
            {
                let mut i = lock(&self.info);
                i.bytesrecv += size as u64;
                let command = match received.message.as_ref().map(NetworkMessage::cmd) {
                    None | Some("unknown") => "*other*",
                    Some(known) => known,
                };
                *i.bytesrecv_per_msg.entry(command).or_default() += size as u64;
                i.lastrecv = unix_now();
            }
            let Some(message) = received.message else {
                continue;
            };
            tracing::trace!(target: "net", "received {} ({size} bytes) from peer={}", message.cmd(), self.id);
            self.handle(message).await?;
        }
    }

    async fn handle(&mut self, message: NetworkMessage) -> Handled {
        let handshake_done = lock(&self.info).handshake_done;
        match message {
            NetworkMessage::Version(v) => self.on_version(v),
            _ if !self.got_version => Err(format!("{} message before version", message.cmd())),
            NetworkMessage::Verack => self.on_verack(),
            NetworkMessage::WtxidRelay => {
                if !handshake_done {
                    lock(&self.info).wtxid_relay = true;
                }
                Ok(())
            }
            NetworkMessage::SendAddrV2 if handshake_done => {
                Err("sendaddrv2 received after verack".into())
            }
            NetworkMessage::SendAddrV2 => {
                lock(&self.info).addrv2 = true;
                Ok(())
            }
            NetworkMessage::Ping(nonce) => self.send(NetworkMessage::Pong(nonce)),
            NetworkMessage::Pong(nonce) => {
                let mut i = lock(&self.info);
                if let Some((expected, sent)) = i.ping {
                    if expected == nonce {
                        let rtt = sent.elapsed();
                        i.pingtime = Some(rtt);
                        i.min_ping = Some(i.min_ping.map_or(rtt, |m| m.min(rtt)));
                        i.ping = None;
                    }
                }
                Ok(())
            }
            _ if !handshake_done => Ok(()),
            NetworkMessage::SendHeaders => {
                lock(&self.info).prefers_headers = true;
                Ok(())
            }
            NetworkMessage::GetHeaders(request) => self.on_getheaders(request).await,
            NetworkMessage::Headers(headers) => self.on_headers(headers),
            NetworkMessage::Inv(items) => self.on_inv(items),
            NetworkMessage::GetData(items) => self.on_getdata(items).await,
            NetworkMessage::Block(block) => self.on_block(block),
            NetworkMessage::Tx(tx) => self.on_tx(tx),
            NetworkMessage::Addr(list) => {
                let entries = list
                    .iter()
                    .map(|(time, a)| (*time, a.services, a.socket_addr().ok()))
                    .collect();
                self.on_addr("addr", entries)
            }
            NetworkMessage::AddrV2(list) => {
                let entries = list
                    .iter()
                    .map(|a| (a.time, a.services, a.socket_addr().ok()))
                    .collect();
                self.on_addr("addrv2", entries)
            }
            NetworkMessage::GetAddr => self.on_getaddr().await,
            NetworkMessage::SendCmpct(m) => self.on_sendcmpct(m),
            NetworkMessage::CmpctBlock(m) => self.on_cmpctblock(m.compact_block),
            NetworkMessage::GetBlockTxn(m) => self.on_getblocktxn(m.txs_request).await,
            NetworkMessage::BlockTxn(m) => self.on_blocktxn(m.transactions),
            NetworkMessage::FeeFilter(rate) => {
                // Core ignores a value outside the money range.
                if (0..=crate::feefilter::MAX_MONEY).contains(&rate) {
                    lock(&self.info).minfeefilter = rate.unsigned_abs();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn on_version(&mut self, v: VersionMessage) -> Handled {
        if self.got_version {
            return Err("redundant version message".into());
        }
        if self.inbound && lock(&self.shared.nonces).contains(&v.nonce) {
            return Err("connected to self, disconnecting".into());
        }
        if v.version < crate::MIN_PEER_PROTO_VERSION {
            return Err(format!("peer using obsolete version {}", v.version));
        }
        self.got_version = true;
        {
            let mut i = lock(&self.info);
            i.version = v.version;
            i.subver = v.user_agent.clone();
            i.services = v.services;
            i.startingheight = v.start_height;
            i.relaytxes = v.relay;
        }
        tracing::info!(target: "net", "receive version message: {}: version {}, blocks={}, peer={}", v.user_agent, v.version, v.start_height, self.id);
        if self.inbound {
            self.send_version();
        }
        if v.version >= 70016 {
            self.send(NetworkMessage::WtxidRelay)?;
        }
        self.send(NetworkMessage::SendAddrV2)?;
        self.send(NetworkMessage::Verack)
    }

    fn on_verack(&mut self) -> Handled {
        let version = {
            let mut i = lock(&self.info);
            if i.handshake_done {
                return Ok(());
            }
            i.handshake_done = true;
            i.version
        };
        tracing::info!(target: "net", "handshake done with peer={} ({})", self.id, if self.inbound { "inbound" } else { "outbound" });
        if version >= 70012 {
            self.send(NetworkMessage::SendHeaders)?;
        }
        self.offer_compact_blocks(version)?;
        if !self.inbound {
            self.outbound_addresses()?;
        }
        if let Some(message) = fee_filter_due(&self.shared, &self.info) {
            self.send(message)?;
        }
        self.request_headers()?;
        self.shared.wake.notify_one();
        Ok(())
    }

    fn request_headers(&mut self) -> Handled {
        let locator = self.shared.blocking(|c| c.locator());
        self.headers_requested = true;
        self.send(NetworkMessage::GetHeaders(GetHeadersMessage {
            version: crate::PROTOCOL_VERSION,
            locator_hashes: locator,
            stop_hash: BlockHash::all_zeros(),
        }))
    }

    async fn on_getheaders(&self, request: GetHeadersMessage) -> Handled {
        if request.locator_hashes.len() > crate::MAX_LOCATOR_SZ {
            return Err(format!(
                "getheaders locator size {} > {}",
                request.locator_hashes.len(),
                crate::MAX_LOCATOR_SZ
            ));
        }
        let headers = self.shared.blocking(|c| {
            c.headers_after(
                &request.locator_hashes,
                &request.stop_hash,
                crate::MAX_HEADERS_RESULTS,
            )
        });
        if let Some(last) = headers.last() {
            let height = self
                .shared
                .blocking(|c| c.header_height(&last.block_hash()));
            if let Some(height) = height {
                let mut i = lock(&self.info);
                i.announced_height = i.announced_height.max(height);
            }
        }
        self.send_wait(NetworkMessage::Headers(headers)).await
    }

    fn on_headers(&mut self, headers: Vec<bitcoin::block::Header>) -> Handled {
        if headers.len() > crate::MAX_HEADERS_RESULTS {
            return Err(format!("headers message size = {}", headers.len()));
        }
        let Some(first) = headers.first() else {
            self.headers_requested = false;
            return Ok(());
        };
        let connects = self
            .shared
            .blocking(|c| c.header_height(&first.prev_blockhash).is_some());
        if !connects {
            // Core: a header that does not connect asks for the headers leading to it.
            return self.request_headers();
        }
        let full = headers.len() == crate::MAX_HEADERS_RESULTS;
        let last = headers.last().map(bitcoin::block::Header::block_hash);
        let compact_fetch = headers.len() == 1 && self.claim_compact_fetch(first);
        self.shared
            .blocking(|c| c.process_headers(&headers))
            .map_err(|e| format!("invalid header received: {e}"))?;
        if let Some(height) = last.and_then(|h| self.shared.blocking(|c| c.header_height(&h))) {
            let mut i = lock(&self.info);
            i.synced_headers = i.synced_headers.max(height);
        }
        self.headers_requested = false;
        if full {
            self.request_headers()?;
        }
        if let Some(hash) = last.filter(|_| compact_fetch) {
            self.send(NetworkMessage::GetData(vec![Inventory::CompactBlock(hash)]))?;
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    fn on_inv(&mut self, items: Vec<Inventory>) -> Handled {
        if items.len() > 50_000 {
            return Err(format!("inv message size = {}", items.len()));
        }
        let mut wanted = Vec::new();
        let mut unknown_block = false;
        let (wtxid_relay, block_relay_only) = {
            let i = lock(&self.info);
            (i.wtxid_relay, i.block_relay_only())
        };
        for item in items {
            match item {
                Inventory::WTx(_)
                | Inventory::Transaction(_)
                | Inventory::WitnessTransaction(_)
                    if block_relay_only =>
                {
                    // Core: a block-relay-only peer announcing transactions breaks the
                    // protocol.
                    return Err("transaction (inv) sent in violation of protocol".into());
                }
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) => {
                    unknown_block |= self.shared.blocking(|c| c.header_height(&hash).is_none());
                }
                Inventory::WTx(wtxid) if wtxid_relay => {
                    lock(&self.info).note_known_tx(wtxid);
                    if self
                        .shared
                        .blocking(|c| c.transaction(TxRef::Wtxid(wtxid)).is_none())
                    {
                        wanted.push(Inventory::WTx(wtxid));
                    }
                }
                Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid)
                    if !wtxid_relay
                        && self
                            .shared
                            .blocking(|c| c.transaction(TxRef::Txid(txid)).is_none()) =>
                {
                    wanted.push(Inventory::WitnessTransaction(txid));
                }
                _ => {}
            }
        }
        if unknown_block && !self.headers_requested {
            self.request_headers()?;
        }
        if !wanted.is_empty() {
            self.send(NetworkMessage::GetData(wanted))?;
        }
        Ok(())
    }

    async fn on_getdata(&self, items: Vec<Inventory>) -> Handled {
        if items.len() > 50_000 {
            return Err(format!("getdata message size = {}", items.len()));
        }
        let mut not_found = Vec::new();
        for item in items {
            let found = match item {
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) => self
                    .shared
                    .blocking(|c| c.block(&hash))
                    .map(NetworkMessage::Block),
                Inventory::CompactBlock(hash) => self.compact_or_full(hash),
                Inventory::WTx(wtxid) => self
                    .shared
                    .blocking(|c| c.transaction(TxRef::Wtxid(wtxid)))
                    .map(NetworkMessage::Tx),
                Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid) => self
                    .shared
                    .blocking(|c| c.transaction(TxRef::Txid(txid)))
                    .map(NetworkMessage::Tx),
                _ => None,
            };
            match found {
                Some(message) => self.send_wait(message).await?,
                None => not_found.push(item),
            }
        }
        if !not_found.is_empty() {
            self.send_wait(NetworkMessage::NotFound(not_found)).await?;
        }
        Ok(())
    }

    fn on_block(&mut self, block: bitcoin::Block) -> Handled {
        let hash = block.block_hash();
        self.partial.remove(&hash);
        let requested = lock(&self.shared.download).received(&hash);
        if !requested {
            tracing::debug!(target: "net", "unrequested block {hash} from peer={}", self.id);
        }
        let outcome = self.shared.blocking(|c| c.submit_block(block));
        if let Err(reason) = outcome {
            return Err(format!("invalid block {hash}: {reason}"));
        }
        if let Some(height) = self.shared.blocking(|c| c.header_height(&hash)) {
            let mut i = lock(&self.info);
            i.synced_blocks = i.synced_blocks.max(height);
            i.synced_headers = i.synced_headers.max(height);
            i.last_block_time = unix_now();
        }
        self.shared.wake.notify_one();
        self.select_high_bandwidth(&hash);
        Ok(())
    }

    fn on_tx(&mut self, tx: bitcoin::Transaction) -> Handled {
        if lock(&self.info).block_relay_only() {
            return Err("transaction sent in violation of protocol".into());
        }
        let wtxid = tx.compute_wtxid();
        lock(&self.info).note_known_tx(wtxid);
        let txid = tx.compute_txid();
        if lock(&self.shared.orphans).contains(Some(&txid), Some(&wtxid)) {
            return Ok(());
        }
        match self.shared.blocking(|c| c.submit_transaction(tx.clone())) {
            Ok(()) => {
                tracing::debug!(target: "net", "accepted tx {txid} from peer={}", self.id);
                lock(&self.info).last_tx_time = unix_now();
                self.reconsider_orphans(&tx);
            }
            Err(rejected) if rejected.missing_inputs => return self.keep_orphan(tx),
            Err(rejected) if rejected.low_fee && self.try_package(&tx) => {}
            Err(rejected) => {
                tracing::debug!(target: "net", "rejected tx {txid} from peer={}: {rejected}", self.id)
            }
        }
        Ok(())
    }
}
