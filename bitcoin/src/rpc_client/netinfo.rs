//! `-netinfo`'s dashboard (Core's `NetinfoRequestHandler`): its arguments (a level 0-4, an
//! optional `outonly`), and the text made from one `getpeerinfo` and one `getnetworkinfo`
//! reply: the header line, the peers listing at levels 1-4, the peer counts by network and
//! the local addresses.
//!
//! Fields a node leaves out of its replies are read as Core reads them when absent or zero
//! (no ping: empty, no `relaytxes`: relaying, no BIP152 flags: not high-bandwidth, ...), so
//! a node that reports less never makes the CLI fail.

use std::cmp::Ordering;
use std::fmt::Write as _;

use common::Chain;

use super::json::Json;
use super::CliError;

/// The highest `-netinfo` level (Core's `NETINFO_MAX_LEVEL`); higher values mean this one.
pub const MAX_LEVEL: u8 = 4;

/// The oldest server `-netinfo` works with (v0.21.0).
const MIN_SERVER_VERSION: i64 = 209_900;

/// What `getpeerinfo` calls each network (Core's `GetNetworkName`), and the column names.
const NETWORKS: [&str; 7] = [
    "not_publicly_routable",
    "ipv4",
    "ipv6",
    "onion",
    "i2p",
    "cjdns",
    "internal",
];
const NETWORK_SHORT_NAMES: [&str; 7] = ["npr", "ipv4", "ipv6", "onion", "i2p", "cjdns", "int"];
/// Networks never listed as reachable: shown in the counts only when a peer uses them.
const UNREACHABLE_NETWORK_IDS: [usize; 2] = [0, 6];
/// The index of the all-networks total in a row of counts.
const TOTAL: usize = NETWORKS.len();

/// The name the header gives this client (Core prints its `CLIENT_NAME`).
const CLIENT_NAME: &str = "bitcoin-cli";

/// `-netinfo help`: Core's detailed help text, with this client's name.
pub const HELP: &str = r#"-netinfo (level [outonly]) | help

Returns a network peer connections dashboard with information from the remote server.
This human-readable interface will change regularly and is not intended to be a stable API.
Under the hood, -netinfo fetches the data by calling getpeerinfo and getnetworkinfo.
An optional argument from 0 to 4 can be passed for different peers listings; values above 4 up to 255 are parsed as 4.
If that argument is passed, an optional additional "outonly" argument may be passed to obtain the listing with outbound peers only.
Pass "help" or "h" to see this detailed help documentation.
If more than two arguments are passed, only the first two are read and parsed.
Suggestion: use -netinfo with the Linux watch(1) command for a live dashboard; see example below.

Arguments:
1. level (integer 0-4, optional)  Specify the info level of the peers dashboard (default 0):
                                  0 - Peer counts for each reachable network as well as for block relay peers
                                      and manual peers, and the list of local addresses and ports
                                  1 - Like 0 but preceded by a peers listing (without address and version columns)
                                  2 - Like 1 but with an address column
                                  3 - Like 1 but with a version column
                                  4 - Like 1 but with both address and version columns
2. outonly ("outonly" or "o", optional) Return the peers listing with outbound peers only, i.e. to save screen space
                                        when a node has many inbound peers. Only valid if a level is passed.

help ("help" or "h", optional) Print this help documentation instead of the dashboard.

Result:

* The peers listing in levels 1-4 displays all of the peers sorted by direction and minimum ping time:

  Column   Description
  ------   -----------
  <->      Direction
           "in"  - inbound connections are those initiated by the peer
           "out" - outbound connections are those initiated by us
  type     Type of peer connection
           "full"   - full relay, the default
           "block"  - block relay; like full relay but does not relay transactions or addresses
           "manual" - peer we manually added using RPC addnode or the -addnode/-connect config options
           "feeler" - short-lived connection for testing addresses
           "addr"   - address fetch; short-lived connection for requesting addresses
           "priv"   - private broadcast; short-lived connection for broadcasting our transactions
  net      Network the peer connected through ("ipv4", "ipv6", "onion", "i2p", "cjdns", or "npr" (not publicly routable))
  serv     Services offered by the peer
           "n" - NETWORK: peer can serve the full block chain
           "b" - BLOOM: peer can handle bloom-filtered connections (see BIP 111)
           "w" - WITNESS: peer can be asked for blocks and transactions with witness data (SegWit)
           "c" - COMPACT_FILTERS: peer can handle basic block filter requests (see BIPs 157 and 158)
           "l" - NETWORK_LIMITED: peer limited to serving only the last 288 blocks (~2 days)
           "2" - P2P_V2: peer supports version 2 P2P transport protocol, as defined in BIP 324
           "u" - UNKNOWN: unrecognized bit flag
  v        Version of transport protocol used for the connection
  mping    Minimum observed ping time, in milliseconds (ms)
  ping     Last observed ping time, in milliseconds (ms)
  send     Time since last message sent to the peer, in seconds
  recv     Time since last message received from the peer, in seconds
  txn      Time since last novel transaction received from the peer and accepted into our mempool, in minutes
           "*" - we do not relay transactions to this peer (getpeerinfo "relaytxes" is false)
  blk      Time since last novel block passing initial validity checks received from the peer, in minutes
  hb       High-bandwidth BIP152 compact block relay
           "." (to)   - we selected the peer as a high-bandwidth peer
           "*" (from) - the peer selected us as a high-bandwidth peer
  addrp    Total number of addresses processed, excluding those dropped due to rate limiting
           "." - we do not relay addresses to this peer (getpeerinfo "addr_relay_enabled" is false)
  addrl    Total number of addresses dropped due to rate limiting
  age      Duration of connection to the peer, in minutes
  asmap    Mapped AS (Autonomous System) number at the end of the BGP route to the peer, used for diversifying
           peer selection (only displayed if the -asmap config option is set)
  id       Peer index, in increasing order of peer connections since node startup
  address  IP address and port of the peer
  version  Peer version and subversion concatenated, e.g. "70016/Satoshi:21.0.0/"

* The peer counts table displays the number of peers for each reachable network as well as
  the number of block relay peers and manual peers.

* The local addresses table lists each local address broadcast by the node, the port, and the score.

Examples:

Peer counts table of reachable networks and list of local addresses
> bitcoin-cli -netinfo

The same, preceded by a peers listing without address and version columns
> bitcoin-cli -netinfo 1

Full dashboard
> bitcoin-cli -netinfo 4

Full dashboard, but with outbound peers only
> bitcoin-cli -netinfo 4 outonly

Full live dashboard, adjust --interval or --no-title as needed (Linux)
> watch --interval 1 --no-title bitcoin-cli -netinfo 4

See this help
> bitcoin-cli -netinfo help
"#;

/// Whether the arguments ask for [`HELP`] instead of the dashboard.
pub fn is_help(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("h" | "help"))
}

/// What `-netinfo`'s arguments ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Request {
    /// The details level, 0 to [`MAX_LEVEL`].
    pub level: u8,
    /// `outonly`: list outbound peers only.
    pub outbound_only: bool,
}

/// Core's `ToIntegral<uint8_t>`: decimal digits only, no sign or spaces, at most 255.
fn parse_u8(text: &str) -> Option<u8> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Request {
    /// Reads the level and `outonly` arguments (more are ignored), as Core's `PrepareRequest`.
    pub fn parse(args: &[String]) -> Result<Request, CliError> {
        let Some(first) = args.first() else {
            return Ok(Request::default());
        };
        let Some(n) = parse_u8(first) else {
            return Err(CliError::Other(format!(
                "invalid -netinfo level argument: {first}\nFor more information, run: bitcoin-cli -netinfo help"
            )));
        };
        let mut request = Request {
            level: n.min(MAX_LEVEL),
            outbound_only: false,
        };
        if let Some(second) = args.get(1) {
            if n != 0 && (second == "o" || second == "outonly") {
                request.outbound_only = true;
            } else if n != 0 {
                return Err(CliError::Other(format!(
                    "invalid -netinfo outonly argument: {second}\nFor more information, run: bitcoin-cli -netinfo help"
                )));
            } else {
                return Err(CliError::Other(format!(
                    "invalid -netinfo outonly argument: {second}\nThe outonly argument is only valid for a level greater than 0 (the first argument). For more information, run: bitcoin-cli -netinfo help"
                )));
            }
        }
        Ok(request)
    }

    fn details(self) -> bool {
        self.level != 0
    }

    fn address_selected(self) -> bool {
        self.level == 2 || self.level == 4
    }

    fn version_selected(self) -> bool {
        self.level == 3 || self.level == 4
    }
}

/// An integer field, 0 when absent (or not an integer).
fn int(value: &Json) -> i64 {
    value.as_i64().unwrap_or(0)
}

/// A boolean field, `default` when absent.
fn flag(value: &Json, default: bool) -> bool {
    match value {
        Json::Bool(b) => *b,
        _ => default,
    }
}

/// A string field, empty when absent.
fn text(value: &Json) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// The members of an array field, none when absent.
fn items(value: &Json) -> &[Json] {
    match value {
        Json::Array(items) => items,
        _ => &[],
    }
}

fn network_id(name: &str) -> Option<usize> {
    NETWORKS.iter().position(|n| *n == name)
}

/// Core's `ChainToString`: the chain after the client version (nothing on main).
fn chain_suffix(chain: Option<Chain>) -> &'static str {
    match chain {
        None | Some(Chain::Main) => "",
        Some(Chain::Test) => " testnet",
        Some(Chain::Testnet4) => " testnet4",
        Some(Chain::Signet) => " signet",
        Some(Chain::Regtest) => " regtest",
    }
}

/// Core's `PingTimeToString`: milliseconds, rounded; empty when unknown, `-` when huge.
fn ping_time(seconds: f64) -> String {
    if seconds.is_nan() || seconds < 0.0 {
        return String::new();
    }
    let milliseconds = (1000.0 * seconds).round();
    if milliseconds > 999_999.0 {
        "-".into()
    } else {
        // Whole, non-negative and below a million: exact as an integer.
        format!("{}", milliseconds as i64)
    }
}

/// Core's `ConnectionTypeForNetinfo`.
fn connection_type(conn_type: &str) -> &'static str {
    match conn_type {
        "outbound-full-relay" => "full",
        "block-relay-only" => "block",
        "manual" => "manual",
        "feeler" => "feeler",
        "addr-fetch" => "addr",
        "private-broadcast" => "priv",
        _ => "",
    }
}

/// Core's `FormatServices`: one letter per service name.
fn services_letters(services: &Json) -> String {
    items(services)
        .iter()
        .filter_map(|s| match s.as_str()? {
            "NETWORK_LIMITED" => Some('l'),
            "P2P_V2" => Some('2'),
            other => other.chars().next().map(|c| c.to_ascii_lowercase()),
        })
        .collect()
}

/// Core's `ServicesList`: the names, lower case, spaces for underscores, comma separated.
fn services_list(services: &Json) -> String {
    items(services)
        .iter()
        .map(|s| text(s).to_ascii_lowercase().replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the peers listing.
#[derive(Debug, Clone)]
struct Peer {
    addr: String,
    sub_version: String,
    conn_type: String,
    network: &'static str,
    age: String,
    services: String,
    transport: String,
    min_ping: f64,
    ping: f64,
    addr_processed: i64,
    addr_rate_limited: i64,
    last_block: i64,
    last_recv: i64,
    last_send: i64,
    last_transaction: i64,
    id: i64,
    mapped_as: i64,
    version: i64,
    addr_relay_enabled: bool,
    bip152_hb_from: bool,
    bip152_hb_to: bool,
    outbound: bool,
    tx_relay: bool,
}

impl Peer {
    fn read(peer: &Json, network: &'static str, outbound: bool, now: i64) -> Peer {
        let ping = |key: &str| peer.get(key).as_f64().unwrap_or(-1.0);
        let conntime = int(peer.get("conntime"));
        let transport = match peer.get("transport_protocol_type") {
            Json::Null => "v1".to_string(),
            other => text(other),
        };
        Peer {
            addr: text(peer.get("addr")),
            sub_version: text(peer.get("subver")),
            conn_type: text(peer.get("connection_type")),
            network,
            age: if conntime == 0 {
                String::new()
            } else {
                ((now - conntime) / 60).to_string()
            },
            services: services_letters(peer.get("servicesnames")),
            transport,
            min_ping: ping("minping"),
            ping: ping("pingtime"),
            addr_processed: int(peer.get("addr_processed")),
            addr_rate_limited: int(peer.get("addr_rate_limited")),
            last_block: int(peer.get("last_block")),
            last_recv: int(peer.get("lastrecv")),
            last_send: int(peer.get("lastsend")),
            last_transaction: int(peer.get("last_transaction")),
            id: int(peer.get("id")),
            mapped_as: int(peer.get("mapped_as")),
            version: int(peer.get("version")),
            addr_relay_enabled: flag(peer.get("addr_relay_enabled"), false),
            bip152_hb_from: flag(peer.get("bip152_hb_from"), false),
            bip152_hb_to: flag(peer.get("bip152_hb_to"), false),
            outbound,
            tx_relay: flag(peer.get("relaytxes"), true),
        }
    }

    /// The transport column: the digit of `vN`, else blank.
    fn transport_digit(&self) -> String {
        match self.transport.as_bytes() {
            [b'v', digit] => char::from(*digit).to_string(),
            _ => " ".into(),
        }
    }
}

/// Column widths of the peers listing, grown to fit the peers (Core's `m_max_*_length`).
#[derive(Debug, Clone, Copy)]
struct Widths {
    addr: usize,
    addr_processed: usize,
    addr_rate_limited: usize,
    age: usize,
    id: usize,
    services: usize,
    asmap: bool,
}

impl Default for Widths {
    fn default() -> Widths {
        Widths {
            addr: 0,
            addr_processed: 5,
            addr_rate_limited: 6,
            age: 5,
            id: 2,
            services: 6,
            asmap: false,
        }
    }
}

impl Widths {
    fn grow(&mut self, peer: &Peer) {
        self.addr = self.addr.max(peer.addr.len() + 1);
        self.addr_processed = self
            .addr_processed
            .max(peer.addr_processed.to_string().len());
        self.addr_rate_limited = self
            .addr_rate_limited
            .max(peer.addr_rate_limited.to_string().len());
        self.age = self.age.max(peer.age.len());
        self.id = self.id.max(peer.id.to_string().len());
        self.services = self.services.max(peer.services.len());
        self.asmap |= peer.mapped_as != 0;
    }
}

/// The peers by direction and network, and the rows to list.
#[derive(Debug, Default)]
struct Tally {
    /// `[in, out, total][network or TOTAL]`.
    counts: [[usize; TOTAL + 1]; 3],
    block_relay: usize,
    manual: usize,
    peers: Vec<Peer>,
    widths: Widths,
}

fn tally(request: Request, peerinfo: &Json, now: i64) -> Tally {
    let mut tally = Tally::default();
    for peer in items(peerinfo) {
        let Some(network) = peer.get("network").as_str().and_then(network_id) else {
            continue;
        };
        let conn_type = text(peer.get("connection_type"));
        let outbound = !flag(peer.get("inbound"), conn_type == "inbound");
        for (row, column) in [
            (usize::from(outbound), network),
            (usize::from(outbound), TOTAL),
            (2, network),
            (2, TOTAL),
        ] {
            tally.counts[row][column] += 1;
        }
        match conn_type.as_str() {
            "block-relay-only" => tally.block_relay += 1,
            "manual" => tally.manual += 1,
            _ => {}
        }
        if (request.outbound_only && !outbound) || !request.details() {
            continue;
        }
        let row = Peer::read(peer, NETWORK_SHORT_NAMES[network], outbound, now);
        tally.widths.grow(&row);
        tally.peers.push(row);
    }
    tally.peers.sort_by(|a, b| {
        (a.outbound, a.min_ping)
            .partial_cmp(&(b.outbound, b.min_ping))
            .unwrap_or(Ordering::Equal)
    });
    tally
}

/// An "N ago" column: empty when the event never happened.
fn since(now: i64, then: i64, divisor: i64) -> String {
    if then == 0 {
        String::new()
    } else {
        ((now - then) / divisor).to_string()
    }
}

fn peer_row(peer: &Peer, w: &Widths, request: Request, now: i64) -> String {
    let txn = match (peer.last_transaction, peer.tx_relay) {
        (0, true) => String::new(),
        (0, false) => "*".into(),
        (then, _) => since(now, then, 60),
    };
    let addrp = match (peer.addr_processed, peer.addr_relay_enabled) {
        (0, true) => String::new(),
        (0, false) => ".".into(),
        (n, _) => n.to_string(),
    };
    let addrl = match peer.addr_rate_limited {
        0 => String::new(),
        n => n.to_string(),
    };
    let hb = format!(
        "{}{}",
        if peer.bip152_hb_to { "." } else { " " },
        if peer.bip152_hb_from { "*" } else { " " }
    );
    let asmap = if w.asmap && peer.mapped_as != 0 {
        peer.mapped_as.to_string()
    } else {
        String::new()
    };
    let version = format!("{}{}", peer.version, peer.sub_version);
    let version = if request.version_selected() && version != "0" {
        version
    } else {
        String::new()
    };
    let (addr_width, addr) = if request.address_selected() {
        (w.addr, peer.addr.as_str())
    } else {
        (0, "")
    };
    format!(
        "{:>3} {:>6} {:>5} {:>sw$} {:>2}{:>7}{:>7}{:>5}{:>5}{:>5}{:>5}  {:>2} {:>pw$}{:>lw$}{:>aw$}{:>asw$} {:>iw$} {:<addr_width$}{}\n",
        if peer.outbound { "out" } else { "in" },
        connection_type(&peer.conn_type),
        peer.network,
        peer.services,
        peer.transport_digit(),
        ping_time(peer.min_ping),
        ping_time(peer.ping),
        since(now, peer.last_send, 1),
        since(now, peer.last_recv, 1),
        txn,
        since(now, peer.last_block, 60),
        hb,
        addrp,
        addrl,
        peer.age,
        asmap,
        peer.id,
        addr,
        version,
        sw = w.services,
        pw = w.addr_processed,
        lw = w.addr_rate_limited,
        aw = w.age,
        asw = if w.asmap { 7 } else { 0 },
        iw = w.id,
    )
}

/// The peers listing: column heads, one row per peer, the units line.
fn peers_listing(tally: &Tally, request: Request, now: i64, out: &mut String) {
    let w = &tally.widths;
    let _ = write!(
        out,
        "<->   type   net {:>sw$}  v  mping   ping send recv  txn  blk  hb {:>pw$}{:>lw$}{:>aw$} ",
        "serv",
        "addrp",
        "addrl",
        "age",
        sw = w.services,
        pw = w.addr_processed,
        lw = w.addr_rate_limited,
        aw = w.age,
    );
    if w.asmap {
        out.push_str(" asmap ");
    }
    let (addr_width, addr) = if request.address_selected() {
        (w.addr, "address")
    } else {
        (0, "")
    };
    let version = if request.version_selected() {
        "version"
    } else {
        ""
    };
    let _ = writeln!(out, "{:>iw$} {addr:<addr_width$}{version}", "id", iw = w.id);
    for peer in &tally.peers {
        out.push_str(&peer_row(peer, w, request, now));
    }
    let _ = write!(
        out,
        "                {:>sw$}         ms     ms  sec  sec  min  min                {:>aw$}\n\n",
        "",
        "min",
        sw = w.services,
        aw = w.age,
    );
}

/// The peer counts: a column per reachable network (and per unreachable one in use), the
/// total and block-relay columns, and a manual column when there are manual peers.
fn counts_table(tally: &Tally, networkinfo: &Json, out: &mut String) {
    out.push_str("     ");
    let mut columns = Vec::new();
    for network in items(networkinfo.get("networks")) {
        if !flag(network.get("reachable"), false) {
            continue;
        }
        let name = text(network.get("name"));
        let Some(id) = network_id(&name) else {
            continue;
        };
        let _ = write!(out, "{name:>8}");
        columns.push(id);
    }
    for id in UNREACHABLE_NETWORK_IDS {
        if tally.counts[2][id] != 0 {
            let _ = write!(out, "{:>8}", NETWORK_SHORT_NAMES[id]);
            columns.push(id);
        }
    }
    out.push_str("   total   block");
    if tally.manual != 0 {
        out.push_str("  manual");
    }
    for (i, row) in ["in", "out", "total"].into_iter().enumerate() {
        let _ = write!(out, "\n{row:<5}");
        for id in &columns {
            let _ = write!(out, "{:>8}", tally.counts[i][*id]);
        }
        let _ = write!(out, "   {:>5}", tally.counts[i][TOTAL]);
        if i == 1 {
            let _ = write!(out, "   {:>5}", tally.block_relay);
            if tally.manual != 0 {
                let _ = write!(out, "   {:>5}", tally.manual);
            }
        }
    }
}

/// The local addresses, each with its port and score, or `n/a`.
fn local_addresses(networkinfo: &Json, out: &mut String) {
    out.push_str("\n\nLocal addresses");
    let addresses = items(networkinfo.get("localaddresses"));
    if addresses.is_empty() {
        out.push_str(": n/a\n");
        return;
    }
    let width = addresses
        .iter()
        .map(|a| text(a.get("address")).len() + 1)
        .max()
        .unwrap_or(0);
    for address in addresses {
        let _ = write!(
            out,
            "\n{:<width$}    port {:>6}    score {:>6}",
            text(address.get("address")),
            int(address.get("port")),
            int(address.get("score")),
        );
    }
}

/// The dashboard for `request` from the `getpeerinfo` and `getnetworkinfo` results, at
/// `now` (UNIX seconds), as Core's `NetinfoRequestHandler::ProcessReply` prints it.
pub fn format(
    request: Request,
    chain: Option<Chain>,
    peerinfo: &Json,
    networkinfo: &Json,
    now: i64,
) -> Result<String, CliError> {
    if let Some(version) = networkinfo.get("version").as_i64() {
        if version < MIN_SERVER_VERSION {
            return Err(CliError::Other(
                "-netinfo requires bitcoind server to be running v0.21.0 and up".into(),
            ));
        }
    }
    let tally = tally(request, peerinfo, now);
    let services = if request.details() {
        format!(
            " - services {}",
            services_letters(networkinfo.get("localservicesnames"))
        )
    } else {
        String::new()
    };
    let mut out = format!(
        "{CLIENT_NAME} client v{}{} - server {}{}{services}\n\n",
        env!("CARGO_PKG_VERSION"),
        chain_suffix(chain),
        int(networkinfo.get("protocolversion")),
        text(networkinfo.get("subversion")),
    );
    if request.details() && !tally.peers.is_empty() {
        peers_listing(&tally, request, now, &mut out);
    }
    counts_table(&tally, networkinfo, &mut out);
    if !request.details() {
        let _ = write!(
            out,
            "\n\nLocal services: {}",
            services_list(networkinfo.get("localservicesnames"))
        );
    }
    local_addresses(networkinfo, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests;
