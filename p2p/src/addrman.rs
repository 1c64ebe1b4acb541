//! The address manager: the addresses of nodes we heard of (from `addr`/`addrv2` messages, our
//! own successful outbound connections and the `-connect`/`-addnode` targets), each with its
//! services and the time it was last seen, bounded in size (the oldest is evicted), served to
//! `getaddr` and `getnodeaddresses`, and kept across restarts in `peers.json`.
//!
//! `peers.json` is our own format, not Core's binary `peers.dat`:
//! `{"version": 1, "addresses": [{"address": "1.2.3.4", "port": 8333, "services": 9,
//! "time": 1700000000}, ...]}` (`services` the service bits as a number, `time` Unix
//! seconds). It is written to `peers.json.new` and renamed over the old file. A file that does
//! not parse is logged, moved aside to `peers.json.bak`, and the node starts with an empty
//! table.
//!
//! Unlike Core's `AddrMan` there are no new/tried buckets: one table keyed by address. Only IP
//! addresses are kept (onion, I2P and CJDNS entries of `addrv2` are dropped: we cannot connect
//! to them).

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;
use serde_json::{json, Value};

/// Most addresses kept (Core's new and tried tables hold 1024 * 64 + 256 * 64).
pub const MAX_ADDRESSES: usize = 81_920;
/// Most addresses in one `addr`/`addrv2` message and in an answer to `getaddr` (Core's
/// `MAX_ADDR_TO_SEND`).
pub const MAX_ADDR_TO_SEND: usize = 1000;
/// A time this far in the future or before 1973 is replaced by five days ago (Core's
/// `AddrMan::Add` rule for `nTime`).
const MAX_FUTURE_SECS: u64 = 10 * 60;
const FIVE_DAYS: u64 = 5 * 24 * 60 * 60;

/// A known address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrInfo {
    /// The node's address and port.
    pub addr: SocketAddr,
    /// The services it offers (as last announced).
    pub services: ServiceFlags,
    /// When it was last seen (Unix seconds).
    pub time: u32,
}

/// Whether `ip` is reachable from the public internet (Core's `IsRoutable`, for IP
/// addresses): not unspecified, loopback, private, link-local or documentation ranges.
pub fn is_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_routable(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_unspecified()
                    || v6.is_loopback()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || first == 0x2001 && v6.segments()[1] == 0x0db8)
            }
        },
    }
}

/// The table of known addresses.
pub(crate) struct AddrMan {
    entries: HashMap<SocketAddr, AddrInfo>,
    /// The entries by age, oldest first, for eviction.
    by_time: BTreeSet<(u32, SocketAddr)>,
    path: Option<PathBuf>,
    max: usize,
    /// Whether non-routable addresses (loopback, private) are kept: on regtest, whose nodes
    /// all live on one host.
    local_ok: bool,
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => SocketAddr::new(IpAddr::V6(v6), addr.port()),
        },
        IpAddr::V4(_) => addr,
    }
}

impl AddrMan {
    /// An empty table of at most `max` entries, saved to `path`.
    pub(crate) fn new(path: Option<PathBuf>, max: usize, local_ok: bool) -> AddrMan {
        AddrMan {
            entries: HashMap::new(),
            by_time: BTreeSet::new(),
            path,
            max,
            local_ok,
        }
    }

    /// Loads the table from its file if there is one; a corrupt file is logged and moved
    /// aside to `peers.json.bak`, and the table starts empty.
    pub(crate) fn load(path: Option<PathBuf>, max: usize, local_ok: bool, now: u64) -> AddrMan {
        let mut table = AddrMan::new(path, max, local_ok);
        let Some(path) = table.path.clone() else {
            return table;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return table,
            Err(e) => {
                tracing::warn!(target: "net", "cannot read {}: {e}; starting with an empty address table", path.display());
                return table;
            }
        };
        match parse(&text) {
            Ok(list) => {
                for info in list {
                    table.add(info.addr, info.services, info.time, now);
                }
                tracing::info!(target: "net", "loaded {} addresses from {}", table.len(), path.display());
            }
            Err(e) => {
                let bak = path.with_extension("json.bak");
                let moved = std::fs::rename(&path, &bak);
                tracing::warn!(target: "net", "invalid or corrupt peers file {}: {e}; starting with an empty address table (file kept as {}{})", path.display(), bak.display(), moved.err().map(|e| format!(", move failed: {e}")).unwrap_or_default());
            }
        }
        table
    }

    /// The number of known addresses.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `addr` may be kept (not port 0 or unspecified; routable unless allowed).
    pub(crate) fn usable(&self, addr: SocketAddr) -> bool {
        addr.port() != 0
            && !addr.ip().is_unspecified()
            && (self.local_ok || is_routable(canonical(addr).ip()))
    }

    /// Adds or refreshes `addr` (seen at `time`, Unix seconds); returns whether it was new.
    /// Unusable addresses (port 0, unspecified, non-routable unless allowed) are ignored.
    pub(crate) fn add(
        &mut self,
        addr: SocketAddr,
        services: ServiceFlags,
        time: u32,
        now: u64,
    ) -> bool {
        let addr = canonical(addr);
        if !self.usable(addr) {
            return false;
        }
        let time = if u64::from(time) <= 100_000_000 || u64::from(time) > now + MAX_FUTURE_SECS {
            u32::try_from(now.saturating_sub(FIVE_DAYS)).unwrap_or(u32::MAX)
        } else {
            time
        };
        if let Some(old) = self.entries.get_mut(&addr) {
            old.services |= services;
            if time > old.time {
                self.by_time.remove(&(old.time, addr));
                old.time = time;
                self.by_time.insert((time, addr));
            }
            return false;
        }
        while self.entries.len() >= self.max {
            let Some(oldest) = self.by_time.pop_first() else {
                break;
            };
            self.entries.remove(&oldest.1);
        }
        self.entries.insert(
            addr,
            AddrInfo {
                addr,
                services,
                time,
            },
        );
        self.by_time.insert((time, addr));
        true
    }

    /// Up to `max` addresses (all if 0) in random order, only those `filter` accepts.
    pub(crate) fn sample(&self, max: usize, filter: impl Fn(&AddrInfo) -> bool) -> Vec<AddrInfo> {
        let mut all: Vec<AddrInfo> = self.entries.values().copied().filter(filter).collect();
        shuffle(&mut all);
        if max != 0 {
            all.truncate(max);
        }
        all
    }

    /// Writes the table (to a temporary file renamed over the old one); failures are logged.
    pub(crate) fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let mut list: Vec<&AddrInfo> = self.entries.values().collect();
        list.sort_by_key(|a| (std::cmp::Reverse(a.time), a.addr));
        let addresses: Vec<Value> = list
            .iter()
            .map(|a| {
                json!({
                    "address": a.addr.ip().to_string(),
                    "port": a.addr.port(),
                    "services": a.services.to_u64(),
                    "time": a.time,
                })
            })
            .collect();
        let text = format!("{:#}\n", json!({ "version": 1, "addresses": addresses }));
        let tmp = path.with_extension("json.new");
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
        match written {
            Ok(()) => {
                tracing::debug!(target: "net", "wrote {} addresses to {}", list.len(), path.display())
            }
            Err(e) => tracing::warn!(target: "net", "cannot write {}: {e}", path.display()),
        }
    }
}

fn parse(text: &str) -> Result<Vec<AddrInfo>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if json["version"].as_u64() != Some(1) {
        return Err(format!("unknown version {}", json["version"]));
    }
    let list = json["addresses"]
        .as_array()
        .ok_or("no \"addresses\" array")?;
    list.iter()
        .map(|entry| {
            let parsed = (|| {
                let ip: IpAddr = entry["address"].as_str()?.parse().ok()?;
                Some(AddrInfo {
                    addr: SocketAddr::new(ip, u16::try_from(entry["port"].as_u64()?).ok()?),
                    services: ServiceFlags::from(entry["services"].as_u64()?),
                    time: u32::try_from(entry["time"].as_u64()?).ok()?,
                })
            })();
            parsed.ok_or_else(|| format!("bad entry {entry}"))
        })
        .collect()
}

/// An `addr` message (IP addresses as IPv6, mapped for IPv4) or, for a peer that sent
/// `sendaddrv2`, an `addrv2` message (BIP155) with `list`.
pub(crate) fn message(list: &[AddrInfo], addrv2: bool) -> NetworkMessage {
    if addrv2 {
        NetworkMessage::AddrV2(
            list.iter()
                .map(|a| AddrV2Message {
                    time: a.time,
                    services: a.services,
                    addr: match a.addr.ip() {
                        IpAddr::V4(v4) => AddrV2::Ipv4(v4),
                        IpAddr::V6(v6) => AddrV2::Ipv6(v6),
                    },
                    port: a.addr.port(),
                })
                .collect(),
        )
    } else {
        NetworkMessage::Addr(
            list.iter()
                .map(|a| (a.time, Address::new(&a.addr, a.services)))
                .collect(),
        )
    }
}

/// A random `u64` (0 if the system has no randomness to give).
pub(crate) fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Fisher-Yates.
pub(crate) fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = usize::try_from(random_u64() % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

/// Core's per-peer addr token bucket: 0.1 addresses a second, at most 1000 banked, one to
/// start with; a `getaddr` we send adds [`MAX_ADDR_TO_SEND`] for the answer.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: std::time::Instant,
}

/// Core's `MAX_ADDR_RATE_PER_SECOND`.
pub(crate) const MAX_ADDR_RATE_PER_SECOND: f64 = 0.1;
/// Core's `MAX_ADDR_PROCESSING_TOKEN_BUCKET`.
pub(crate) const MAX_ADDR_PROCESSING_TOKEN_BUCKET: f64 = 1000.0;

impl Default for TokenBucket {
    fn default() -> Self {
        TokenBucket {
            tokens: 1.0,
            last: std::time::Instant::now(),
        }
    }
}

impl TokenBucket {
    /// Refills for the time elapsed up to `now` (never above the cap, but a `getaddr`
    /// credit above it is kept, as in Core).
    pub(crate) fn refill(&mut self, now: std::time::Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        if self.tokens < MAX_ADDR_PROCESSING_TOKEN_BUCKET {
            self.tokens = (self.tokens + elapsed * MAX_ADDR_RATE_PER_SECOND)
                .min(MAX_ADDR_PROCESSING_TOKEN_BUCKET);
        }
    }

    /// Credits `n` tokens (we asked for addresses).
    pub(crate) fn credit(&mut self, n: usize) {
        self.tokens += n as f64;
    }

    /// Takes a token; `false` if none is left (the address is dropped).
    pub(crate) fn take(&mut self) -> bool {
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn adds_refreshes_and_evicts_the_oldest() {
        let mut t = AddrMan::new(None, 2, false);
        assert!(t.add(
            sa("1.2.3.4:8333"),
            ServiceFlags::NETWORK,
            1_699_999_000,
            NOW
        ));
        assert!(!t.add(
            sa("1.2.3.4:8333"),
            ServiceFlags::WITNESS,
            1_699_999_500,
            NOW
        ));
        let got = t.sample(0, |_| true);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].services,
            ServiceFlags::NETWORK | ServiceFlags::WITNESS
        );
        assert_eq!(got[0].time, 1_699_999_500);
        // Loopback, private and port 0 are refused off regtest.
        assert!(!t.add(sa("127.0.0.1:8333"), ServiceFlags::NONE, 1_699_999_000, NOW));
        assert!(!t.add(sa("10.0.0.1:8333"), ServiceFlags::NONE, 1_699_999_000, NOW));
        assert!(!t.add(sa("1.2.3.5:0"), ServiceFlags::NONE, 1_699_999_000, NOW));
        // A time in the future counts as five days ago, so it is the oldest and goes first.
        assert!(t.add(sa("[2a00::1]:8333"), ServiceFlags::NONE, u32::MAX, NOW));
        assert!(t.add(sa("5.6.7.8:8333"), ServiceFlags::NONE, 1_699_999_900, NOW));
        let mut left: Vec<SocketAddr> = t.sample(0, |_| true).iter().map(|a| a.addr).collect();
        left.sort();
        assert_eq!(left, vec![sa("1.2.3.4:8333"), sa("5.6.7.8:8333")]);
        assert_eq!(t.sample(1, |_| true).len(), 1);
        let mut regtest = AddrMan::new(None, 10, true);
        assert!(regtest.add(
            sa("[::ffff:127.0.0.1]:18444"),
            ServiceFlags::NONE,
            1_699_999_000,
            NOW
        ));
        assert_eq!(regtest.sample(0, |_| true)[0].addr, sa("127.0.0.1:18444"));
    }

    #[test]
    fn persists_and_sets_a_corrupt_file_aside() {
        let dir = std::env::temp_dir().join(format!("addrman-test-{}", random_u64()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("peers.json");
        let mut t = AddrMan::new(Some(path.clone()), 100, false);
        t.add(
            sa("1.2.3.4:8333"),
            ServiceFlags::NETWORK,
            1_699_999_000,
            NOW,
        );
        t.add(
            sa("[2a00::1]:8333"),
            ServiceFlags::WITNESS,
            1_699_999_100,
            NOW,
        );
        t.save();
        let loaded = AddrMan::load(Some(path.clone()), 100, false, NOW);
        let mut got = loaded.sample(0, |_| true);
        got.sort_by_key(|a| a.time);
        assert_eq!(got, {
            let mut all = t.sample(0, |_| true);
            all.sort_by_key(|a| a.time);
            all
        });
        std::fs::write(&path, "{not json").expect("write");
        let empty = AddrMan::load(Some(path.clone()), 100, false, NOW);
        assert_eq!(empty.len(), 0);
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("peers.json.bak")).expect("bak"),
            "{not json"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_token_bucket_allows_a_burst_then_a_tenth_a_second() {
        let start = std::time::Instant::now();
        let mut b = TokenBucket {
            tokens: 1.0,
            last: start,
        };
        assert!(b.take());
        assert!(!b.take());
        b.refill(start + std::time::Duration::from_secs(10));
        assert!(b.take());
        assert!(!b.take());
        b.refill(start + std::time::Duration::from_secs(1_000_000));
        let taken = (0..2000).filter(|_| b.take()).count();
        assert_eq!(taken, 1000);
        b.credit(MAX_ADDR_TO_SEND);
        let taken = (0..2000).filter(|_| b.take()).count();
        assert_eq!(taken, 1000);
    }
}
