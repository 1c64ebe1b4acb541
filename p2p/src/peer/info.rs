//! What is known of a connected peer (`getpeerinfo`), shared between its tasks and the
//! network's: [`PeerInfo`].

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bitcoin::p2p::ServiceFlags;
use bitcoin::Wtxid;

use super::{unix_now, Direction, MAX_KNOWN_TXS};
use crate::sync::PeerId;
use crate::transport;

/// What is known of a connected peer (`getpeerinfo`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PeerInfo {
    /// Core's peer id.
    pub id: PeerId,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our end of the connection.
    pub addrbind: Option<SocketAddr>,
    /// Whether the peer connected to us.
    pub inbound: bool,
    /// Core's connection type (`inbound`, `manual`, `outbound-full-relay`,
    /// `block-relay-only`, `addr-fetch`).
    pub connection_type: &'static str,
    /// Core's transport protocol type: `detecting` (inbound, first bytes not read yet), `v1`
    /// or `v2`.
    pub transport_protocol_type: &'static str,
    /// The BIP324 session id, hex (empty unless v2).
    pub session_id: String,
    /// Connection time (Unix seconds).
    pub conntime: u64,
    /// Time of the last message sent (Unix seconds).
    pub lastsend: u64,
    /// Time of the last message received (Unix seconds).
    pub lastrecv: u64,
    /// Bytes sent.
    pub bytessent: u64,
    /// Bytes received.
    pub bytesrecv: u64,
    /// Bytes sent by message type (Core's `bytessent_per_msg`).
    pub bytessent_per_msg: BTreeMap<&'static str, u64>,
    /// Bytes received by message type (Core's `bytesrecv_per_msg`; unknown ones as
    /// `*other*`).
    pub bytesrecv_per_msg: BTreeMap<&'static str, u64>,
    /// The last ping's round trip.
    pub pingtime: Option<Duration>,
    /// The peer's protocol version (0 before its `version`).
    pub version: u32,
    /// The peer's user agent.
    pub subver: String,
    /// The services the peer offers.
    pub services: ServiceFlags,
    /// The height the peer announced in its `version`.
    pub startingheight: i32,
    /// Whether the peer wants transactions (`version`'s relay flag).
    pub relaytxes: bool,
    /// Height of the best header the peer sent us (-1 if none).
    pub synced_headers: i32,
    /// Height of the best block the peer sent us (-1 if none).
    pub synced_blocks: i32,
    /// Whether both `verack`s were exchanged.
    pub handshake_done: bool,
    /// BIP130: the peer wants new blocks announced by headers.
    pub prefers_headers: bool,
    /// BIP339: the peer relays by wtxid.
    pub wtxid_relay: bool,
    /// Height of the best block we announced to the peer.
    pub announced_height: i32,
    /// Why the connection is ending, once it is.
    pub disconnect_reason: Option<String>,
    /// The address as given to `-connect`, `-addnode` or `addnode` (outbound only).
    pub added_as: Option<String>,
    /// Addresses from `addr`/`addrv2` messages processed (Core's `addr_processed`).
    pub addr_processed: u64,
    /// Addresses dropped by the rate limit (Core's `addr_rate_limited`).
    pub addr_rate_limited: u64,
    /// The peer's BIP133 `feefilter` (sat/kvB; 0 if none): transactions paying less are not
    /// announced to it.
    pub minfeefilter: u64,
    /// BIP152: we asked the peer to push new blocks as `cmpctblock` (Core's
    /// `bip152_hb_to`).
    pub bip152_hb_to: bool,
    /// BIP152: the peer asked us to push new blocks as `cmpctblock` (Core's
    /// `bip152_hb_from`).
    pub bip152_hb_from: bool,
    /// BIP152: the peer sent `sendcmpct` version 2.
    pub(super) provides_cmpct: bool,
    /// BIP155: the peer sent `sendaddrv2`.
    pub(super) addrv2: bool,
    pub(super) fee_filter: crate::feefilter::Schedule,
    pub(super) addr_bucket: crate::addrman::TokenBucket,
    pub(super) known_txs: HashSet<Wtxid>,
    pub(super) ping: Option<(u64, Instant)>,
    /// When the last ping was sent (`None`: not yet; the first goes right after the
    /// handshake, as Core's).
    pub(super) last_ping: Option<Instant>,
    pub(crate) connected: Instant,
    /// The fastest ping round trip seen (Core's `m_min_ping_time`, for eviction).
    pub(crate) min_ping: Option<Duration>,
    /// When the peer last sent a transaction our mempool took (Unix seconds, 0: never).
    pub(crate) last_tx_time: u64,
    /// When the peer last sent a block we connected (Unix seconds, 0: never).
    pub(crate) last_block_time: u64,
}

impl PeerInfo {
    pub(super) fn new(
        id: PeerId,
        addr: SocketAddr,
        addrbind: Option<SocketAddr>,
        direction: &Direction,
        v2: bool,
    ) -> Self {
        PeerInfo {
            id,
            addr,
            addrbind,
            inbound: *direction == Direction::Inbound,
            connection_type: direction.connection_type(),
            transport_protocol_type: match (v2, direction) {
                (false, _) => transport::V1,
                (true, Direction::Inbound) => transport::DETECTING,
                (true, _) => transport::V2,
            },
            session_id: String::new(),
            conntime: unix_now(),
            lastsend: 0,
            lastrecv: 0,
            bytessent: 0,
            bytesrecv: 0,
            bytessent_per_msg: BTreeMap::new(),
            bytesrecv_per_msg: BTreeMap::new(),
            pingtime: None,
            version: 0,
            subver: String::new(),
            services: ServiceFlags::NONE,
            startingheight: -1,
            relaytxes: false,
            synced_headers: -1,
            synced_blocks: -1,
            handshake_done: false,
            prefers_headers: false,
            wtxid_relay: false,
            announced_height: -1,
            disconnect_reason: None,
            added_as: match direction {
                Direction::Manual(target) => Some(target.clone()),
                _ => None,
            },
            addr_processed: 0,
            addr_rate_limited: 0,
            minfeefilter: 0,
            bip152_hb_to: false,
            bip152_hb_from: false,
            provides_cmpct: false,
            addrv2: false,
            fee_filter: crate::feefilter::Schedule::default(),
            addr_bucket: crate::addrman::TokenBucket::default(),
            known_txs: HashSet::new(),
            ping: None,
            last_ping: None,
            connected: Instant::now(),
            min_ping: None,
            last_tx_time: 0,
            last_block_time: 0,
        }
    }

    /// Whether this is a block-relay-only connection (no transactions, no addresses).
    pub(crate) fn block_relay_only(&self) -> bool {
        self.connection_type == super::BLOCK_RELAY
    }

    /// Whether the peer takes `addrv2` messages (it sent `sendaddrv2`, BIP155).
    pub(crate) fn wants_addrv2(&self) -> bool {
        self.addrv2
    }

    /// Whether the peer wants new blocks pushed as `cmpctblock` (it sent `sendcmpct(true,
    /// 2)`).
    pub(crate) fn wants_compact_announcements(&self) -> bool {
        self.provides_cmpct && self.bip152_hb_from
    }

    /// Sends a ping at the next timer tick (the `ping` RPC).
    pub(crate) fn request_ping(&mut self) {
        self.last_ping = None;
    }

    /// Marks `wtxid` known to the peer; returns whether it was new.
    pub(crate) fn note_known_tx(&mut self, wtxid: Wtxid) -> bool {
        if self.known_txs.len() >= MAX_KNOWN_TXS {
            self.known_txs.clear();
        }
        self.known_txs.insert(wtxid)
    }
}
