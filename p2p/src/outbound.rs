//! Automatic outbound connections (Core's `ThreadOpenConnections`): every half second, while
//! a slot is free, one address from the address manager (or an anchor, or a `-seednode`) is
//! connected to: up to [`crate::MAX_OUTBOUND_FULL_RELAY`] `outbound-full-relay` peers, then
//! up to [`crate::MAX_BLOCK_RELAY_ONLY`] `block-relay-only` ones, never two in one network
//! group, never to ourselves, a banned address or one already connected, preferring
//! addresses not tried lately. None with `-connect` or `-noconnect`.
//!
//! Anchors (Core's `anchors.dat`): on clean shutdown the block-relay-only peers' addresses
//! (at most [`crate::MAX_BLOCK_RELAY_ONLY`]) are written to `<net_dir>/anchors.json`; on
//! start the file is read and deleted, and its addresses are connected to first, as
//! block-relay-only. The file is ours: `{"version": 1, "anchors": [{"address": "1.2.3.4",
//! "port": 8333, "services": 9}, ...]}`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::p2p::ServiceFlags;
use serde_json::{json, Value};

use crate::addrman::{outbound_group, AddrInfo};
use crate::peer::{unix_now, Direction, BLOCK_RELAY};
use crate::{lock, Shared};

/// How often a free slot is looked at (Core's 500 ms).
const OPEN_INTERVAL: Duration = Duration::from_millis(500);

/// The kind of automatic connection to open next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    FullRelay,
    BlockRelay,
}

/// What the open connections (and those being opened) hold.
#[derive(Debug, Default)]
pub(crate) struct Outbound {
    pub(crate) full_relay: usize,
    pub(crate) block_relay: usize,
    /// The groups of the automatic connections ([`outbound_group`]).
    pub(crate) groups: HashSet<Vec<u8>>,
    /// Every connected or pending address.
    pub(crate) addresses: HashSet<SocketAddr>,
}

fn survey(shared: &Shared) -> Outbound {
    let local_ok = shared.config.network == bitcoin::Network::Regtest;
    let mut out = Outbound::default();
    let count = |addr: SocketAddr, kind: &str, out: &mut Outbound| {
        out.addresses.insert(addr);
        let automatic = match kind {
            "outbound-full-relay" => {
                out.full_relay += 1;
                true
            }
            BLOCK_RELAY => {
                out.block_relay += 1;
                true
            }
            _ => false,
        };
        if automatic {
            out.groups.insert(outbound_group(addr, local_ok));
        }
    };
    let pending: Vec<(SocketAddr, &'static str)> = lock(&shared.pending).clone();
    let mut seen = HashSet::new();
    for (addr, kind) in pending {
        seen.insert(addr);
        count(addr, kind, &mut out);
    }
    shared.for_each_peer(|_, p| {
        let info = lock(&p.info);
        if info.inbound {
            out.addresses.insert(info.addr);
        } else if seen.insert(info.addr) {
            count(info.addr, info.connection_type, &mut out);
        }
    });
    out
}

/// The next kind of connection to open, if a slot is free (anchors first, then
/// full-relay, then block-relay-only, as Core).
pub(crate) fn next_slot(
    out: &Outbound,
    max_full: usize,
    max_block: usize,
    anchors: bool,
) -> Option<Slot> {
    if anchors && out.block_relay < max_block {
        Some(Slot::BlockRelay)
    } else if out.full_relay < max_full {
        Some(Slot::FullRelay)
    } else if out.block_relay < max_block {
        Some(Slot::BlockRelay)
    } else {
        None
    }
}

/// Whether `addr` may be connected to automatically given the connections `out`.
pub(crate) fn eligible(shared: &Shared, out: &Outbound, addr: &AddrInfo, now: u64) -> bool {
    let local_ok = shared.config.network == bitcoin::Network::Regtest;
    let ours = lock(&shared.bound).iter().any(|b| {
        b.port() == addr.addr.port() && (b.ip() == addr.addr.ip() || b.ip().is_unspecified())
    });
    !ours
        && !out.addresses.contains(&addr.addr)
        && !out.groups.contains(&outbound_group(addr.addr, local_ok))
        && crate::addrman::desirable(addr.services)
        && !lock(&shared.bans).is_banned(addr.addr.ip(), now)
}

/// Opens automatic outbound connections for as long as the network runs.
pub(crate) async fn open_connections_loop(shared: Arc<Shared>) {
    let started = tokio::time::Instant::now();
    let mut fixed_added = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(OPEN_INTERVAL) => {}
            () = shared.cancel.cancelled() => return,
        }
        if !shared.active.load(Ordering::SeqCst) {
            continue;
        }
        if let Some(target) = lock(&shared.seed_nodes).pop() {
            tracing::info!(target: "net", "opening addr-fetch connection to seed node {target}");
            spawn_connection(&shared, target, Direction::AddrFetch, None);
            continue;
        }
        if !fixed_added && crate::seeds::fixed_seeds_due(&shared, started.elapsed()) {
            fixed_added = true;
            crate::seeds::add_fixed_seeds(&shared);
        }
        open_one(&shared);
    }
}

fn open_one(shared: &Arc<Shared>) {
    let out = survey(shared);
    let anchors = !lock(&shared.anchors).is_empty();
    let Some(slot) = next_slot(
        &out,
        shared.config.max_outbound_full_relay(),
        shared.config.max_block_relay(),
        anchors,
    ) else {
        return;
    };
    let now = unix_now();
    if anchors && slot == Slot::BlockRelay {
        let anchor = lock(&shared.anchors).pop();
        if let Some(anchor) = anchor.filter(|a| eligible(shared, &out, a, now)) {
            tracing::info!(target: "net", "Trying to make an anchor connection to {}", anchor.addr);
            spawn_connection(
                shared,
                anchor.addr.to_string(),
                Direction::BlockRelay,
                Some(anchor),
            );
        }
        return;
    }
    let picked = lock(&shared.addrman).select(now, |a| eligible(shared, &out, a, now));
    let Some(addr) = picked else {
        return;
    };
    lock(&shared.addrman).attempt(addr.addr, now);
    let direction = match slot {
        Slot::FullRelay => Direction::FullRelay,
        Slot::BlockRelay => Direction::BlockRelay,
    };
    tracing::debug!(target: "net", "trying {} connection to {}", direction.connection_type(), addr.addr);
    spawn_connection(shared, addr.addr.to_string(), direction, Some(addr));
}

/// Connects to `target` in the background, counted as pending until the connection ends.
fn spawn_connection(
    shared: &Arc<Shared>,
    target: String,
    direction: Direction,
    info: Option<AddrInfo>,
) {
    let shared = shared.clone();
    let v2 = shared.config.v2transport
        && info.is_none_or(|i| {
            i.services.has(ServiceFlags::P2P_V2) || direction == Direction::AddrFetch
        });
    if let Some(info) = info {
        lock(&shared.pending).push((info.addr, direction.connection_type()));
    }
    tokio::spawn(async move {
        tokio::select! {
            () = crate::conn::connect(&shared, &target, v2, direction) => {}
            () = shared.cancel.cancelled() => {}
        }
        if let Some(info) = info {
            let mut pending = lock(&shared.pending);
            if let Some(i) = pending.iter().position(|(a, _)| *a == info.addr) {
                pending.swap_remove(i);
            }
        }
    });
}

/// Reads the anchors and deletes the file (a missing or unreadable file gives none).
pub(crate) fn read_anchors(path: &Path) -> Vec<AddrInfo> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!(target: "net", "cannot read {}: {e}", path.display());
            return Vec::new();
        }
    };
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(target: "net", "cannot delete {}: {e}", path.display());
    }
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut anchors: Vec<AddrInfo> = json["anchors"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|entry| {
                    let ip: std::net::IpAddr = entry["address"].as_str()?.parse().ok()?;
                    let port = u16::try_from(entry["port"].as_u64()?).ok()?;
                    Some(AddrInfo {
                        addr: SocketAddr::new(ip, port),
                        services: ServiceFlags::from(entry["services"].as_u64().unwrap_or(0)),
                        time: 0,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    anchors.truncate(crate::MAX_BLOCK_RELAY_ONLY);
    tracing::info!(target: "net", "{} block-relay-only anchors will be tried for connections.", anchors.len());
    // Tried from the back: keep the file's order.
    anchors.reverse();
    anchors
}

/// Writes the block-relay-only peers' addresses as the anchors for the next start.
pub(crate) fn write_anchors(shared: &Shared, path: &Path) {
    let mut anchors = Vec::new();
    shared.for_each_peer(|_, p| {
        let info = lock(&p.info);
        if info.block_relay_only() && info.handshake_done {
            anchors.push(json!({
                "address": info.addr.ip().to_string(),
                "port": info.addr.port(),
                "services": info.services.to_u64(),
            }));
        }
    });
    anchors.truncate(crate::MAX_BLOCK_RELAY_ONLY);
    let text = format!("{:#}\n", json!({ "version": 1, "anchors": anchors }));
    match std::fs::write(path, text) {
        Ok(()) => {
            tracing::info!(target: "net", "wrote {} anchors to {}", anchors.len(), path.display())
        }
        Err(e) => tracing::warn!(target: "net", "cannot write {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addrman::AddrMan;

    const NOW: u64 = 1_700_000_000;

    fn sa(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    #[test]
    fn slots_fill_anchors_then_full_relay_then_block_relay() {
        let mut out = Outbound::default();
        assert_eq!(next_slot(&out, 8, 2, true), Some(Slot::BlockRelay));
        assert_eq!(next_slot(&out, 8, 2, false), Some(Slot::FullRelay));
        out.full_relay = 8;
        assert_eq!(next_slot(&out, 8, 2, false), Some(Slot::BlockRelay));
        out.block_relay = 2;
        assert_eq!(next_slot(&out, 8, 2, true), None);
    }

    #[test]
    fn selection_never_picks_two_in_one_netgroup() {
        let mut table = AddrMan::new(None, 100, false);
        let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
        for addr in [
            "1.2.3.4:8333",
            "1.2.9.9:8333",
            "5.6.7.8:8333",
            "[2a00:1::1]:8333",
        ] {
            table.add(sa(addr), services, 1_699_999_000, NOW);
        }
        // Without desirable services an address is never picked.
        table.add(
            sa("9.9.9.9:8333"),
            ServiceFlags::NETWORK,
            1_699_999_000,
            NOW,
        );
        let mut groups = HashSet::new();
        let mut picked = Vec::new();
        while let Some(a) = table.select(NOW, |a| {
            crate::addrman::desirable(a.services)
                && !groups.contains(&outbound_group(a.addr, false))
        }) {
            groups.insert(outbound_group(a.addr, false));
            table.attempt(a.addr, NOW);
            picked.push(a.addr);
            assert!(picked.len() <= 4, "{picked:?}");
        }
        assert_eq!(picked.len(), 3, "{picked:?}");
        assert!(!picked.contains(&sa("9.9.9.9:8333")));
        let in_1_2 = picked
            .iter()
            .filter(|a| a.to_string().starts_with("1.2."))
            .count();
        assert_eq!(in_1_2, 1);
    }

    #[test]
    fn a_failed_address_waits_for_its_backoff_and_tried_ones_are_marked() {
        let mut table = AddrMan::new(None, 100, true);
        let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
        table.add(sa("127.0.0.1:18444"), services, 1_699_999_000, NOW);
        table.attempt(sa("127.0.0.1:18444"), NOW);
        table.attempt(sa("127.0.0.1:18444"), NOW);
        // Two failures: four seconds before it is tried again.
        assert_eq!(table.select(NOW + 3, |_| true), None);
        assert!(table.select(NOW + 4, |_| true).is_some());
        table.good(sa("127.0.0.1:18444"), NOW + 5);
        assert!(table.is_tried(sa("127.0.0.1:18444")));
        assert!(table.select(NOW + 6, |_| true).is_some());
        // On regtest two ports of one loopback address are two groups.
        assert_ne!(
            outbound_group(sa("127.0.0.1:1"), true),
            outbound_group(sa("127.0.0.1:2"), true)
        );
        assert_eq!(
            outbound_group(sa("127.0.0.1:1"), false),
            outbound_group(sa("127.0.0.1:2"), false)
        );
    }

    #[test]
    fn anchors_round_trip_and_the_file_is_deleted() {
        let dir =
            std::env::temp_dir().join(format!("anchors-test-{}", crate::addrman::random_u64()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("anchors.json");
        std::fs::write(
            &path,
            r#"{"version":1,"anchors":[{"address":"1.2.3.4","port":8333,"services":9},{"address":"::1","port":1,"services":9},{"address":"5.6.7.8","port":8333}]}"#,
        )
        .expect("write");
        let anchors = read_anchors(&path);
        assert!(!path.exists());
        let addrs: Vec<SocketAddr> = anchors.iter().map(|a| a.addr).collect();
        assert_eq!(addrs, vec![sa("[::1]:1"), sa("1.2.3.4:8333")]);
        assert!(read_anchors(&path).is_empty());
        std::fs::write(&path, "{bad").expect("write");
        assert!(read_anchors(&path).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
