//! What the UI draws: an immutable [`Snapshot`] of the node and wallet state, replaced as a
//! whole by the model thread whenever something changes.

use interfaces::{BlockTip, NodeStatus, WalletInfo};

/// How the GUI is connected to its node.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ConnectionState {
    /// Connecting or starting the node; the text says what is happening.
    #[default]
    Starting,
    /// Talking to the node.
    Connected {
        /// Whether the GUI attached to a running node (else it spawned it).
        attached: bool,
        /// Where the node is (socket path, or the spawned process id).
        description: String,
    },
    /// The attached node went away; the GUI waits for it to come back.
    Disconnected {
        /// Why (the connection's close reason).
        reason: String,
        /// The socket being watched for the node's return.
        watching: String,
    },
    /// The node the GUI spawned has exited (or could not start); nothing more will happen.
    Failed(String),
}

/// One transaction row of the wallet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TxRow {
    /// Transaction id, hex as Core shows it.
    pub txid: String,
    /// First seen or block time (seconds since the epoch).
    pub time: i64,
    /// Net effect on the wallet, satoshis.
    pub amount: i64,
    /// Fee the wallet paid, satoshis.
    pub fee: Option<i64>,
    /// Confirmations (0: mempool, negative: conflicted).
    pub confirmations: i32,
    /// "Mined", "Received", "Sent" or "Payment to yourself" (Core's `TransactionRecord`).
    pub kind: &'static str,
    /// Output addresses (for the details view and the filter).
    pub addresses: Vec<String>,
    /// Whether it signals BIP125 replaceability.
    pub replaceable: bool,
    /// Block height, when confirmed.
    pub height: Option<i32>,
    /// Size in virtual bytes.
    pub vsize: u64,
}

impl TxRow {
    /// Whether "bump fee" applies: an unconfirmed replaceable send paid by this wallet.
    pub fn can_bump(&self) -> bool {
        self.confirmations == 0 && self.replaceable && self.fee.is_some() && self.amount < 0
    }
}

/// A payment request made in the Receive view (Core's `RecentRequestEntry`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReceiveRequest {
    /// When it was made (seconds since the epoch).
    pub time: i64,
    /// The new address.
    pub address: String,
    /// Its label.
    pub label: String,
    /// Requested amount, satoshis.
    pub amount: Option<i64>,
    /// Message for the payer.
    pub message: String,
}

impl ReceiveRequest {
    /// The BIP21 URI of the request.
    pub fn uri(&self) -> String {
        let mut params = Vec::new();
        if let Some(sats) = self.amount {
            params.push(format!(
                "amount={}",
                crate::units::Unit::Btc.format_plain(sats)
            ));
        }
        if !self.label.is_empty() {
            params.push(format!("label={}", uri_escape(&self.label)));
        }
        if !self.message.is_empty() {
            params.push(format!("message={}", uri_escape(&self.message)));
        }
        let mut uri = format!("bitcoin:{}", self.address);
        if !params.is_empty() {
            uri.push('?');
            uri.push_str(&params.join("&"));
        }
        uri
    }
}

fn uri_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One command of the RPC console and its reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleEntry {
    /// What the user typed.
    pub command: String,
    /// The result (pretty JSON) or the error.
    pub reply: Result<String, String>,
}

/// A traffic sample for the network graph.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrafficSample {
    /// Seconds since the model started.
    pub at: f64,
    /// Total bytes received so far.
    pub recv: u64,
    /// Total bytes sent so far.
    pub sent: u64,
}

/// A connected peer (a row of Core's Peers table, from `getpeerinfo`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerRow {
    /// The node's id for it.
    pub id: i64,
    /// `address:port`.
    pub address: String,
    /// Whether it connected to us.
    pub inbound: bool,
    /// Core's connection type ("outbound-full-relay", "manual", "inbound", ...).
    pub connection_type: String,
    /// "v1" or "v2".
    pub transport: String,
    /// Its user agent.
    pub user_agent: String,
    /// Its last ping time, in milliseconds.
    pub ping_ms: Option<f64>,
    /// Bytes sent to it.
    pub bytes_sent: u64,
    /// Bytes received from it.
    pub bytes_recv: u64,
    /// The best header and block both sides share, as far as we know (-1: unknown).
    pub synced_headers: i64,
    /// See [`PeerRow::synced_headers`].
    pub synced_blocks: i64,
}

impl PeerRow {
    /// A row from one `getpeerinfo` entry (missing fields are left empty).
    pub fn from_json(peer: &serde_json::Value) -> PeerRow {
        let text = |key: &str| peer[key].as_str().unwrap_or_default().to_string();
        let int = |key: &str| peer[key].as_i64().unwrap_or(-1);
        let bytes = |key: &str| peer[key].as_u64().unwrap_or(0);
        PeerRow {
            id: int("id"),
            address: text("addr"),
            inbound: peer["inbound"].as_bool().unwrap_or(false),
            connection_type: text("connection_type"),
            transport: text("transport_protocol_type"),
            user_agent: text("subver"),
            ping_ms: peer["pingtime"].as_f64().map(|s| s * 1000.0),
            bytes_sent: bytes("bytessent"),
            bytes_recv: bytes("bytesrecv"),
            synced_headers: int("synced_headers"),
            synced_blocks: int("synced_blocks"),
        }
    }
}

/// The result of a command the UI sent, matched by the id [`super::Model::send`] returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The command's id.
    pub id: u64,
    /// A message for the user on success, or the error.
    pub result: Result<String, String>,
}

/// The wallet being shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WalletState {
    /// Its state and balances.
    pub info: WalletInfo,
    /// Its most recent transactions, newest first.
    pub transactions: Vec<TxRow>,
}

impl WalletState {
    /// Whether its keys are encrypted and locked now (sending needs the passphrase).
    pub fn is_locked(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.info.encrypted && self.info.unlocked_until <= now
    }
}

/// Everything the UI shows, as of one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Bumped at every publication.
    pub seq: u64,
    /// The connection.
    pub connection: ConnectionState,
    /// The last startup message ("Starting bitcoin-node...", "Loading wallets...").
    pub init_message: String,
    /// Startup stages begun so far, oldest first (the last one is under way while the
    /// connection is [`ConnectionState::Starting`]).
    pub init_stages: Vec<String>,
    /// The node's status, once connected.
    pub node: Option<NodeStatus>,
    /// The best header, as last notified (`presync`: a header of the low-work
    /// pre-synchronization, not stored yet).
    pub header_tip: Option<(BlockTip, bool)>,
    /// A long operation's progress (title, percent), while one runs.
    pub progress: Option<(String, i32)>,
    /// A wallet's long operation (title with the wallet's name, percent), while one runs
    /// (the wallet's `showProgress`, e.g. a rescan).
    pub wallet_progress: Option<(String, i32)>,
    /// How many progress reports wallets sent (tests read it: a fast rescan may start and
    /// finish between two frames).
    pub wallet_progress_reports: u64,
    /// How many times the wallet shown was re-read because the wallet notified a change
    /// (never by polling); tests and benchmarks read it.
    pub notified_refreshes: u64,
    /// Traffic history, oldest first.
    pub traffic: Vec<TrafficSample>,
    /// The node's peers, re-read when its connections or its tip change.
    pub peers: Vec<PeerRow>,
    /// Loaded wallets.
    pub loaded_wallets: Vec<String>,
    /// Wallets in the wallet directory.
    pub wallet_dir: Vec<String>,
    /// Whether the node has a wallet process at all.
    pub wallets_enabled: bool,
    /// The wallet shown (`None` when no wallet is loaded).
    pub wallet: Option<WalletState>,
    /// Payment requests made in this session, newest first.
    pub receive_requests: Vec<ReceiveRequest>,
    /// RPC console history, oldest first.
    pub console: Vec<ConsoleEntry>,
    /// RPC method names (for console completion).
    pub rpc_methods: Vec<String>,
    /// Results of recent commands.
    pub outcomes: Vec<Outcome>,
    /// The last fee preview: the [`super::Command::PreviewFee`] command's id and the fee in
    /// satoshis the wallet would pay, or why there is none.
    pub fee_preview: Option<(u64, Result<i64, String>)>,
}

/// Core's block spacing target (`nPowTargetSpacing`, the same on every network), seconds.
const TARGET_SPACING: i64 = 600;

/// Core's `HEADER_HEIGHT_DELTA_SYNC`: headers within this many blocks of the time-based
/// estimate count as synced.
const HEADER_HEIGHT_DELTA_SYNC: i64 = 24;

/// Header synchronization under way (Core's "Syncing Headers (x%)…" label).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeaderSync {
    /// Height of the best header.
    pub height: i32,
    /// Estimated share of the headers known, 0 to 1.
    pub fraction: f64,
    /// Whether these are pre-synchronization headers (Core's "Pre-syncing Headers").
    pub presync: bool,
}

impl HeaderSync {
    /// Core's estimate (`BitcoinGUI::updateHeadersSyncProgressLabel`): the headers still to
    /// come are the block intervals between the best header's time and `now`; none while
    /// that is within [`HEADER_HEIGHT_DELTA_SYNC`] blocks.
    pub fn estimate(height: i32, time: i64, presync: bool, now: i64) -> Option<HeaderSync> {
        let left = now.saturating_sub(time) / TARGET_SPACING;
        if left <= HEADER_HEIGHT_DELTA_SYNC {
            return None;
        }
        let known = i64::from(height.max(0));
        Some(HeaderSync {
            height,
            fraction: known as f64 / (known + left) as f64,
            presync,
        })
    }

    /// The label, as Core words it.
    pub fn label(&self) -> String {
        let what = if self.presync {
            "Pre-syncing Headers"
        } else {
            "Syncing Headers"
        };
        format!("{what} ({:.1}%)…", self.fraction * 100.0)
    }
}

impl Snapshot {
    /// The best header known: the last notification or the node's status, the higher.
    pub fn best_header(&self) -> Option<(i32, i64, bool)> {
        let status = self
            .node
            .as_ref()
            .map(|s| (s.header_tip_height, s.header_tip_time, false));
        let notified = self
            .header_tip
            .map(|(t, presync)| (t.height, t.time, presync));
        match (status, notified) {
            (Some(s), Some(n)) if s.0 > n.0 => Some(s),
            (s, None) => s,
            (_, n) => n,
        }
    }

    /// Header synchronization, while the best header is well behind the clock `now`.
    pub fn header_sync(&self, now: i64) -> Option<HeaderSync> {
        let (height, time, presync) = self.best_header()?;
        HeaderSync::estimate(height, time, presync, now)
    }

    /// The outcome of command `id`, once it has one.
    pub fn outcome(&self, id: u64) -> Option<&Result<String, String>> {
        self.outcomes
            .iter()
            .rev()
            .find(|o| o.id == id)
            .map(|o| &o.result)
    }

    /// Whether the GUI is talking to a node now.
    pub fn connected(&self) -> bool {
        matches!(self.connection, ConnectionState::Connected { .. })
    }

    /// The name of the wallet shown.
    pub fn wallet_name(&self) -> Option<&str> {
        self.wallet.as_ref().map(|w| w.info.name.as_str())
    }
}
