//! A peer's addresses: `addr`/`addrv2` within Core's rate limit (and an oversized one ends
//! the connection), small fresh announcements relayed, `getaddr` asked of outbound peers and
//! answered to inbound ones, once.

use std::net::SocketAddr;
use std::time::Instant;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;

use super::{unix_now, Handled, Peer};
use crate::addrman::{AddrInfo, MAX_ADDR_TO_SEND};
use crate::lock;

/// One announced address: its time, services and, if it is an IP address, the address.
pub(super) type Entry = (u32, ServiceFlags, Option<SocketAddr>);

impl Peer {
    /// On an outbound connection: the peer's address goes in the table (we reached it; an
    /// automatic connection moves it to the tried table) and, unless the connection is
    /// block-relay-only, we ask for its addresses, crediting the rate limit for the answer
    /// (Core).
    pub(super) fn outbound_addresses(&mut self) -> Handled {
        let (addr, services, kind) = {
            let i = lock(&self.info);
            (i.addr, i.services, i.connection_type)
        };
        let now = unix_now();
        let time = u32::try_from(now).unwrap_or(u32::MAX);
        {
            let mut table = lock(&self.shared.addrman);
            if kind != "addr-fetch" {
                table.add(addr, services, time, now);
            }
            if kind == "outbound-full-relay" || kind == super::BLOCK_RELAY {
                table.good(addr, now);
            }
        }
        if kind == super::BLOCK_RELAY {
            return Ok(());
        }
        lock(&self.info).addr_bucket.credit(MAX_ADDR_TO_SEND);
        self.getaddr_sent = true;
        self.send(NetworkMessage::GetAddr)
    }

    /// Takes the addresses of an `addr` or `addrv2` message (at most
    /// [`MAX_ADDR_TO_SEND`]) within the peer's rate limit, counting those
    /// processed and those dropped; relays small fresh announcements that do not answer our
    /// `getaddr`.
    pub(super) fn on_addr(&mut self, command: &str, entries: Vec<Entry>) -> Handled {
        let count = entries.len();
        if count > MAX_ADDR_TO_SEND {
            return Err(format!("{command} message size = {count}"));
        }
        let kind = lock(&self.info).connection_type;
        if kind == super::BLOCK_RELAY {
            tracing::debug!(target: "net", "ignoring {command} message from block-relay-only peer={}", self.id);
            return Ok(());
        }
        let now = unix_now();
        let mut taken = Vec::new();
        {
            let mut i = lock(&self.info);
            i.addr_bucket.refill(Instant::now());
            for entry in entries {
                if i.addr_bucket.take() {
                    i.addr_processed += 1;
                    taken.push(entry);
                } else {
                    i.addr_rate_limited += 1;
                }
            }
        }
        let mut fresh = Vec::new();
        {
            let mut table = lock(&self.shared.addrman);
            for (time, services, addr) in taken {
                let Some(addr) = addr else { continue };
                let recent = u64::from(time) + 10 * 60 > now && u64::from(time) <= now + 10 * 60;
                if recent && table.usable(addr) {
                    fresh.push(AddrInfo {
                        addr,
                        services,
                        time,
                    });
                }
                table.add(addr, services, time, now);
            }
        }
        tracing::debug!(target: "net", "received {count} addresses from peer={} ({} fresh)", self.id, fresh.len());
        if self.getaddr_sent {
            if count < MAX_ADDR_TO_SEND {
                self.getaddr_sent = false;
            }
        } else if count <= 10 && !fresh.is_empty() {
            relay_addresses(&self.shared, self.id, &fresh);
        }
        if kind == "addr-fetch" && count > 1 {
            // Core: an addr-fetch (`-seednode`) connection ends once it answered.
            tracing::debug!(target: "net", "addrfetch connection completed peer={}; disconnecting", self.id);
            return Err("addr-fetch completed".into());
        }
        Ok(())
    }

    /// Answers an inbound peer's first `getaddr` with up to
    /// [`MAX_ADDR_TO_SEND`] known addresses (Core ignores it from outbound
    /// peers and when repeated).
    pub(super) async fn on_getaddr(&mut self) -> Handled {
        if !self.inbound {
            tracing::debug!(target: "net", "ignoring getaddr from outbound peer={}", self.id);
            return Ok(());
        }
        if self.getaddr_answered {
            tracing::debug!(target: "net", "ignoring repeated getaddr from peer={}", self.id);
            return Ok(());
        }
        self.getaddr_answered = true;
        let (own, addrv2) = {
            let i = lock(&self.info);
            (i.addr, i.addrv2)
        };
        let list = lock(&self.shared.addrman).sample(MAX_ADDR_TO_SEND, |a| a.addr != own);
        if list.is_empty() {
            // Core sends no empty address message.
            return Ok(());
        }
        self.send_wait(crate::addrman::message(&list, addrv2)).await
    }
}

/// How many peers a fresh address is relayed to (Core relays to two, one if unreachable).
const ADDR_RELAY_PEERS: usize = 2;

/// Relays fresh addresses `from` a peer to up to [`ADDR_RELAY_PEERS`] other peers picked at
/// random (Core's `RelayAddress`), as `addrv2` to those that asked for it.
pub(crate) fn relay_addresses(
    shared: &crate::Shared,
    from: crate::sync::PeerId,
    list: &[crate::addrman::AddrInfo],
) {
    let mut targets = Vec::new();
    shared.for_each_peer(|id, p| {
        let info = crate::lock(&p.info);
        if id != from && info.handshake_done && !info.block_relay_only() {
            targets.push((id, info.wants_addrv2()));
        }
    });
    crate::addrman::shuffle(&mut targets);
    targets.truncate(ADDR_RELAY_PEERS);
    let peers = crate::lock(&shared.peers);
    for (id, addrv2) in targets {
        if let Some(peer) = peers.get(&id) {
            tracing::debug!(target: "net", "relaying {} addresses from peer={from} to peer={id}", list.len());
            peer.send(crate::addrman::message(list, addrv2));
        }
    }
}
