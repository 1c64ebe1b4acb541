//! Connections: listening, accepting within the inbound slots (evicting an inbound peer to
//! make room when they are full) and refusing banned addresses,
//! persistent and one-shot outbound connections (v2 first, then v1 once if the peer closed on
//! our v2 key); and the network-wide tasks: the block download scheduler and the relay of new
//! tips (as compact blocks to high-bandwidth peers) and transactions (not below a peer's
//! `feefilter`), the relay of fresh addresses and the periodic write of the address table.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::CmpctBlock;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::peer::{self, Direction};
use crate::sync::{Candidate, PeerId};
use crate::{lock, Event, NetError, Shared};

/// Most missing blocks looked at per scheduling round.
const SCHEDULE_LOOKAHEAD: usize = 1024;
/// How often the scheduler runs without being woken.
const SCHEDULE_INTERVAL: Duration = Duration::from_millis(250);
/// How often the address table is written (Core's `DUMP_PEERS_INTERVAL`).
const DUMP_PEERS_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Time allowed to open an outbound connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds every listening address; an explicit `-bind` that fails is an error. The default
/// addresses (`[::]`, dual-stack, then `0.0.0.0` for hosts without IPv6) are alternatives:
/// the first that binds is used, and if none does that is only logged (another node on this
/// host may hold the port).
pub(crate) async fn bind_all(shared: &Arc<Shared>) -> Result<Vec<TcpListener>, NetError> {
    let mut listeners = Vec::new();
    for addr in &shared.config.bind {
        if !shared.config.bind_required && !listeners.is_empty() {
            break;
        }
        match TcpListener::bind(addr).await {
            Ok(listener) => {
                let local = listener.local_addr().unwrap_or(*addr);
                tracing::info!(target: "net", "Bound to {local}");
                lock(&shared.bound).push(local);
                listeners.push(listener);
            }
            Err(source) if shared.config.bind_required => {
                return Err(NetError::Bind {
                    addr: *addr,
                    source,
                });
            }
            Err(e) => {
                tracing::warn!(target: "net", "Unable to bind to {addr} on this computer: {e}")
            }
        }
    }
    Ok(listeners)
}

pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = shared.cancel.cancelled() => return,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(target: "net", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !shared.active.load(Ordering::SeqCst) {
            tracing::debug!(target: "net", "connection from {addr} dropped (network disabled)");
            continue;
        }
        if lock(&shared.bans).is_banned(addr.ip(), crate::peer::unix_now()) {
            tracing::info!(target: "net", "connection from {addr} dropped (banned)");
            continue;
        }
        if !make_inbound_room(&shared) {
            let inbound = inbound_count(&shared);
            tracing::info!(target: "net", "connection from {addr} dropped (full, {inbound} peers): failed to find an eviction candidate");
            continue;
        }
        let v2 = shared.config.v2transport;
        tokio::spawn(peer::run(
            shared.clone(),
            stream,
            addr,
            Direction::Inbound,
            v2,
        ));
    }
}

/// The inbound peers not already on their way out.
fn inbound_count(shared: &Shared) -> usize {
    let mut n = 0;
    shared.for_each_peer(|_, p| {
        let info = lock(&p.info);
        n += usize::from(info.inbound && info.disconnect_reason.is_none());
    });
    n
}

/// Whether a new inbound connection may come in: a slot is free, or an inbound peer was
/// evicted to free one (Core's `AttemptToEvictConnection`).
fn make_inbound_room(shared: &Shared) -> bool {
    let mut candidates = Vec::new();
    shared.for_each_peer(|id, p| {
        let info = lock(&p.info);
        if !info.inbound || info.disconnect_reason.is_some() {
            return;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&shared.netgroup_key, &mut hasher);
        std::hash::Hash::hash(&crate::addrman::netgroup(info.addr.ip()), &mut hasher);
        candidates.push(crate::eviction::Candidate {
            id,
            connected: info.connected,
            min_ping: info.min_ping,
            last_block_time: info.last_block_time,
            last_tx_time: info.last_tx_time,
            relevant_services: crate::addrman::desirable(info.services),
            relay_txs: info.relaytxes,
            keyed_netgroup: std::hash::Hasher::finish(&hasher),
            is_local: info.addr.ip().is_loopback(),
        });
    });
    if candidates.len() < shared.config.max_inbound() {
        return true;
    }
    let Some(id) = crate::eviction::select(candidates) else {
        return false;
    };
    if let Some(peer) = lock(&shared.peers).get(&id) {
        tracing::info!(target: "net", "evicting peer={id} to make room for an inbound connection");
        peer.disconnect("evicted (inbound slots full)");
    }
    true
}

async fn open(addr: &str, default_port: u16) -> std::io::Result<TcpStream> {
    let target = if addr.parse::<std::net::SocketAddr>().is_ok()
        || addr
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.ends_with(']') && !h.contains(':') && p.parse::<u16>().is_ok())
    {
        addr.to_string()
    } else {
        format!("{addr}:{default_port}")
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        )),
    }
}

/// Connects to `addr` and runs the connection (of the kind `direction` says) to its end.
/// With `v2`, a peer that closes the connection on our v2 key is connected to again with v1,
/// once (Core's `m_reconnections`).
pub(crate) async fn connect(shared: &Arc<Shared>, addr: &str, v2: bool, direction: Direction) {
    let mut v2 = v2;
    loop {
        if !shared.active.load(Ordering::SeqCst) {
            return;
        }
        let stream = match open(addr, shared.config.default_port).await {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(target: "net", "connection to {addr} failed: {e}");
                return;
            }
        };
        let Ok(peer_addr) = stream.peer_addr() else {
            return;
        };
        let ended = peer::run(shared.clone(), stream, peer_addr, direction.clone(), v2).await;
        if !(v2 && ended.retry_v1) {
            return;
        }
        tracing::info!(target: "net", "retrying with v1 transport protocol for addr={addr}");
        v2 = false;
    }
}

/// Whether `addr` is in the added-node list, and whether to try v2 with it.
fn added(shared: &Shared, addr: &str) -> Option<bool> {
    lock(&shared.added)
        .iter()
        .find(|(a, _)| a == addr)
        .map(|(_, v2)| *v2)
}

/// Keeps a connection to `addr` while it is in the added-node list.
pub(crate) async fn keep_connected(shared: Arc<Shared>, addr: String) {
    loop {
        let Some(v2) = added(&shared, &addr) else {
            return;
        };
        if shared.cancel.is_cancelled() {
            return;
        }
        tokio::select! {
            () = connect(&shared, &addr, v2, Direction::Manual(addr.clone())) => {}
            () = shared.cancel.cancelled() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(crate::RECONNECT_DELAY) => {}
            () = shared.cancel.cancelled() => return,
        }
    }
}

/// One attempt to connect to `addr` (`addnode ... onetry`).
pub(crate) async fn connect_once(shared: Arc<Shared>, addr: String, v2: bool) {
    tokio::select! {
        () = connect(&shared, &addr, v2, Direction::Manual(addr.clone())) => {}
        () = shared.cancel.cancelled() => {}
    }
}

/// Assigns missing blocks to peers, re-requesting stalled ones, every
/// [`SCHEDULE_INTERVAL`] or when woken (headers or a block arrived, a peer came or went).
pub(crate) async fn sync_loop(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(SCHEDULE_INTERVAL) => {}
            () = shared.wake.notified() => {}
            () = shared.cancel.cancelled() => return,
        }
        schedule(&shared);
    }
}

fn schedule(shared: &Shared) {
    let mut candidates = Vec::new();
    shared.for_each_peer(|id, p| {
        let info = lock(&p.info);
        if info.handshake_done {
            candidates.push(Candidate {
                id,
                best_height: info.synced_headers.max(info.startingheight),
            });
        }
    });
    if candidates.is_empty() {
        return;
    }
    let missing = shared.blocking(|c| c.missing_blocks(SCHEDULE_LOOKAHEAD));
    let now = Instant::now();
    let requests = {
        let mut download = lock(&shared.download);
        for (hash, peer) in download.expire(now) {
            tracing::info!(target: "net", "block {hash} stalled from peer={peer}, requesting it elsewhere (window now {:?})", download.stall_timeout());
        }
        if missing.is_empty() {
            return;
        }
        download.assign(&missing, &candidates, now)
    };
    let peers = lock(&shared.peers);
    for (id, hashes) in requests {
        if let Some(peer) = peers.get(&id) {
            tracing::debug!(target: "net", "requesting {} blocks from peer={id}", hashes.len());
            let inv = hashes.into_iter().map(Inventory::WitnessBlock).collect();
            peer.send(NetworkMessage::GetData(inv));
        }
    }
}

/// Announces new tips (`cmpctblock` to high-bandwidth peers, headers to peers that asked for
/// them, else inv) and accepted
/// transactions (inv by wtxid or txid) to the peers that do not have them.
pub(crate) async fn relay_loop(shared: Arc<Shared>, mut events: mpsc::UnboundedReceiver<Event>) {
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            () = shared.cancel.cancelled() => return,
        };
        match event {
            None => return,
            Some(Event::Tip(hash)) => {
                shared.wake.notify_one();
                // Orphans the block includes or conflicts with go (the block is read only
                // when there are orphans).
                if !lock(&shared.orphans).is_empty() {
                    if let Some(block) = shared.blocking(|c| c.block(&hash)) {
                        lock(&shared.orphans).erase_for_block(&block);
                    }
                }
                announce_block(&shared, hash);
            }
            Some(Event::Tx(tx)) => announce_tx(&shared, &tx),
        }
    }
}

fn announce_block(shared: &Shared, hash: bitcoin::BlockHash) {
    let Some((header, height)) =
        shared.blocking(|c| Some((c.header(&hash)?, c.header_height(&hash)?)))
    else {
        return;
    };
    let mut wants_compact = false;
    shared.for_each_peer(|_, p| {
        let info = lock(&p.info);
        wants_compact |= info.handshake_done
            && info.synced_headers < height
            && info.wants_compact_announcements();
    });
    // Not while catching up (Core announces nothing in initial block download).
    let compact = if wants_compact && peer::can_direct_fetch(shared) {
        peer::recent_block(shared, &hash, true).map(|(_, compact)| compact)
    } else {
        None
    };
    shared.for_each_peer(|id, p| {
        let mut info = lock(&p.info);
        if !info.handshake_done || info.synced_headers >= height {
            return;
        }
        // A high-bandwidth peer that has the parent gets the compact block (BIP152).
        let has_parent = info.synced_headers.max(info.announced_height) >= height - 1;
        let message = match &compact {
            Some(compact) if info.wants_compact_announcements() && has_parent => {
                tracing::debug!(target: "net", "sending cmpctblock {hash} to peer={id}");
                NetworkMessage::CmpctBlock(CmpctBlock {
                    compact_block: (**compact).clone(),
                })
            }
            _ if info.prefers_headers => NetworkMessage::Headers(vec![header]),
            _ => NetworkMessage::Inv(vec![Inventory::Block(hash)]),
        };
        info.announced_height = info.announced_height.max(height);
        drop(info);
        p.send(message);
    });
}

fn announce_tx(shared: &Shared, tx: &bitcoin::Transaction) {
    let txid = tx.compute_txid();
    let wtxid = tx.compute_wtxid();
    let mut to: Vec<PeerId> = Vec::new();
    let mut filtered = false;
    shared.for_each_peer(|_, p| filtered |= lock(&p.info).minfeefilter > 0);
    let fee = if filtered {
        shared.blocking(|c| c.transaction_fee(&txid))
    } else {
        None
    };
    shared.for_each_peer(|id, p| {
        let mut info = lock(&p.info);
        let below = fee.is_some_and(|(fee, vsize)| {
            !crate::feefilter::meets(fee, vsize, info.minfeefilter)
        });
        if !info.handshake_done
            || !info.relaytxes
            || info.block_relay_only()
            || below
            || !info.note_known_tx(wtxid)
        {
            if below {
                tracing::debug!(target: "net", "not announcing tx {txid} to peer={id}: below its feefilter");
            }
            return;
        }
        let inv = if info.wtxid_relay {
            Inventory::WTx(wtxid)
        } else {
            Inventory::Transaction(txid)
        };
        drop(info);
        to.push(id);
        lock(&p.pending_inv).push(inv);
    });
    tracing::debug!(target: "net", "queued tx {txid} for announcement to {} peers", to.len());
}

/// Writes the address table every [`DUMP_PEERS_INTERVAL`] (and [`crate::Net::shutdown`] once
/// more at the end).
pub(crate) async fn dump_addresses_loop(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(DUMP_PEERS_INTERVAL) => {}
            () = shared.cancel.cancelled() => return,
        }
        let table = lock(&shared.addrman);
        tokio::task::block_in_place(|| table.save());
    }
}
