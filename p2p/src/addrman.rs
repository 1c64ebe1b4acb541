//! The address manager: the addresses of nodes we heard of (from `addr`/`addrv2` messages, our
//! own successful outbound connections and the `-connect`/`-addnode` targets), each with its
//! services and the time it was last seen, bounded in size (the oldest is evicted), served to
//! `getaddr` and `getnodeaddresses`, and kept across restarts in `peers.json`.
//!
//! `peers.json` is our own format, not Core's binary `peers.dat`:
//! `{"version": 1, "addresses": [{"address": "1.2.3.4", "port": 8333, "services": 9,
//! "time": 1700000000, "tried": false, "last_try": 0, "attempts": 0}, ...]}` (`services`
//! the service bits as a number, `time` Unix seconds; `tried`, `last_try` (Unix seconds)
//! and `attempts` (failed connection attempts since the last success) may be absent). It is written to `peers.json.new` and renamed over the old file. A file that does
//! not parse is logged, moved aside to `peers.json.bak`, and the node starts with an empty
//! table.
//!
//! Unlike Core's `AddrMan` there are no buckets: one table keyed by address, each entry
//! flagged "tried" once an automatic outbound connection to it succeeded (Core's tried
//! table) and "new" until then; [`AddrMan::select`] picks connection targets as Core's
//! `Select` does. Only IP
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

/// Core's `ADDRMAN_RETRY_TIME`-like window: an address tried this recently is passed over
/// while others are eligible (Core's `ThreadOpenConnections` "very recently tried" rule).
pub const RECENT_TRY_SECS: u64 = 10 * 60;

/// A known address and what our connections to it taught us.
#[derive(Debug, Clone, Copy)]
struct Entry {
    info: AddrInfo,
    /// Whether an automatic outbound connection to it completed its handshake (Core's tried
    /// table; otherwise it is in the "new" table).
    tried: bool,
    /// When we last tried to connect (Unix seconds, 0: never).
    last_try: u64,
    /// Failed attempts since the last success.
    attempts: u32,
}

/// The table of known addresses.
pub(crate) struct AddrMan {
    entries: HashMap<SocketAddr, Entry>,
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
                for (info, tried, last_try, attempts) in list {
                    table.add(info.addr, info.services, info.time, now);
                    if let Some(entry) = table.entries.get_mut(&canonical(info.addr)) {
                        entry.tried = tried;
                        entry.last_try = last_try;
                        entry.attempts = attempts;
                    }
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
        if let Some(Entry { info: old, .. }) = self.entries.get_mut(&addr) {
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
            Entry {
                info: AddrInfo {
                    addr,
                    services,
                    time,
                },
                tried: false,
                last_try: 0,
                attempts: 0,
            },
        );
        self.by_time.insert((time, addr));
        true
    }

    /// Up to `max` addresses (all if 0) in random order, only those `filter` accepts.
    pub(crate) fn sample(&self, max: usize, filter: impl Fn(&AddrInfo) -> bool) -> Vec<AddrInfo> {
        let mut all: Vec<AddrInfo> = self
            .entries
            .values()
            .map(|e| e.info)
            .filter(filter)
            .collect();
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
        let mut list: Vec<&Entry> = self.entries.values().collect();
        list.sort_by_key(|e| (std::cmp::Reverse(e.info.time), e.info.addr));
        let addresses: Vec<Value> = list
            .iter()
            .map(|e| {
                let a = &e.info;
                json!({
                    "address": a.addr.ip().to_string(),
                    "port": a.addr.port(),
                    "services": a.services.to_u64(),
                    "time": a.time,
                    "tried": e.tried,
                    "last_try": e.last_try,
                    "attempts": e.attempts,
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

/// Core's network group of `ip` (`NetGroupManager::GetGroup` without ASMap): IPv4 by /16,
/// IPv6 by /32, every local address in one group and every other unroutable one in another.
/// Peers in one group are likely run by one operator.
pub fn netgroup(ip: IpAddr) -> Vec<u8> {
    let ip = canonical(SocketAddr::new(ip, 0)).ip();
    if ip.is_loopback() || ip.is_unspecified() {
        return vec![0xfe];
    }
    if !is_routable(ip) {
        return vec![0xff];
    }
    match ip {
        IpAddr::V4(v4) => vec![1, v4.octets()[0], v4.octets()[1]],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            vec![2, o[0], o[1], o[2], o[3]]
        }
    }
}

/// The group outbound connections must not share: [`netgroup`], except that with
/// `local_ok` (regtest, whose nodes all live on one host) an unroutable address is a group
/// of its own, port included (Core keeps no unroutable address at all, so never meets
/// them).
pub(crate) fn outbound_group(addr: SocketAddr, local_ok: bool) -> Vec<u8> {
    let addr = canonical(addr);
    if local_ok && !is_routable(addr.ip()) {
        return addr.to_string().into_bytes();
    }
    netgroup(addr.ip())
}

/// How many entries of each network are in the new and the tried table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// By network name (`ipv4`, `ipv6`, `not_publicly_routable`): (new, tried).
    pub by_network: std::collections::BTreeMap<&'static str, (usize, usize)>,
}

/// The network name of an address as `getnodeaddresses` reports it.
pub fn network_name(addr: SocketAddr) -> &'static str {
    let addr = canonical(addr);
    if !is_routable(addr.ip()) {
        "not_publicly_routable"
    } else if addr.is_ipv4() {
        "ipv4"
    } else {
        "ipv6"
    }
}

/// The retry delay after `attempts` failures in a row: 2^attempts seconds, at most
/// [`RECENT_TRY_SECS`].
fn backoff(attempts: u32) -> u64 {
    1u64.checked_shl(attempts.min(20))
        .unwrap_or(u64::MAX)
        .min(RECENT_TRY_SECS)
}

impl AddrMan {
    /// Notes a connection attempt to `addr` (Core's `AddrMan::Attempt`).
    pub(crate) fn attempt(&mut self, addr: SocketAddr, now: u64) {
        if let Some(e) = self.entries.get_mut(&canonical(addr)) {
            e.last_try = now;
            e.attempts = e.attempts.saturating_add(1);
        }
    }

    /// Notes a completed handshake with `addr` on an automatic outbound connection: it moves
    /// to the tried table and its failures are forgotten (Core's `AddrMan::Good`).
    pub(crate) fn good(&mut self, addr: SocketAddr, now: u64) {
        if let Some(e) = self.entries.get_mut(&canonical(addr)) {
            e.tried = true;
            e.attempts = 0;
            e.last_try = now;
        }
    }

    /// Whether `addr` is in the tried table.
    #[cfg(test)]
    pub(crate) fn is_tried(&self, addr: SocketAddr) -> bool {
        self.entries.get(&canonical(addr)).is_some_and(|e| e.tried)
    }

    /// The entries per network and table (`getaddrmaninfo`).
    pub(crate) fn counts(&self) -> TableCounts {
        let mut counts = TableCounts::default();
        for e in self.entries.values() {
            let slot = counts
                .by_network
                .entry(network_name(e.info.addr))
                .or_default();
            if e.tried {
                slot.1 += 1;
            } else {
                slot.0 += 1;
            }
        }
        counts
    }

    /// Picks an address to connect to among those `eligible` accepts, as Core's
    /// `AddrMan::Select` does: the tried or the new table with even odds (the one that has
    /// entries if only one has), then entries at random, each taken with its chance (1, a
    /// hundredth if tried in the last ten minutes, times 0.66 per failed attempt up to 8),
    /// the bar lowered by 1.2x at each refusal. Entries tried more recently than their
    /// backoff (2^attempts seconds) are passed over.
    pub(crate) fn select(
        &self,
        now: u64,
        eligible: impl Fn(&AddrInfo) -> bool,
    ) -> Option<AddrInfo> {
        let (mut tried, mut new): (Vec<&Entry>, Vec<&Entry>) = self
            .entries
            .values()
            .filter(|e| now.saturating_sub(e.last_try) >= backoff(e.attempts) || e.last_try == 0)
            .filter(|e| eligible(&e.info))
            .partition(|e| e.tried);
        let table = match (tried.is_empty(), new.is_empty()) {
            (true, true) => return None,
            (false, true) => &mut tried,
            (true, false) => &mut new,
            (false, false) if random_u64().is_multiple_of(2) => &mut tried,
            (false, false) => &mut new,
        };
        let mut factor = 1.0f64;
        loop {
            let i = usize::try_from(random_u64() % table.len() as u64).unwrap_or(0);
            let e = table[i];
            let mut chance = 0.66f64.powi(i32::try_from(e.attempts.min(8)).unwrap_or(8));
            if now.saturating_sub(e.last_try) < RECENT_TRY_SECS && e.last_try != 0 {
                chance *= 0.01;
            }
            let roll = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if roll < chance * factor {
                return Some(e.info);
            }
            factor *= 1.2;
        }
    }
}

/// One parsed entry: the address, whether tried, the last try and the failed attempts.
type Parsed = (AddrInfo, bool, u64, u32);

fn parse(text: &str) -> Result<Vec<Parsed>, String> {
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
                let info = AddrInfo {
                    addr: SocketAddr::new(ip, u16::try_from(entry["port"].as_u64()?).ok()?),
                    services: ServiceFlags::from(entry["services"].as_u64()?),
                    time: u32::try_from(entry["time"].as_u64()?).ok()?,
                };
                // Written since automatic outbound connections; absent in older files.
                let tried = entry["tried"].as_bool().unwrap_or(false);
                let last_try = entry["last_try"].as_u64().unwrap_or(0);
                let attempts = entry["attempts"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0);
                Some((info, tried, last_try, attempts))
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

/// The services an automatic peer must offer (Core's `HasAllDesirableServiceFlags`).
pub(crate) fn desirable(services: bitcoin::p2p::ServiceFlags) -> bool {
    use bitcoin::p2p::ServiceFlags;
    services.has(ServiceFlags::WITNESS)
        && (services.has(ServiceFlags::NETWORK) || services.has(ServiceFlags::NETWORK_LIMITED))
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
