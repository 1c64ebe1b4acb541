//! The node's P2P network: the `p2p` crate run on the kernel and the mempool. [`NetOptions`]
//! reads Core's connection options, [`NodeChain`] implements [`p2p::ChainAccess`] (blocks go
//! through [`ChainState::submit_block`] and transactions through [`Mempool::accept`], the
//! paths `submitblock` and `sendrawtransaction` take, so the mempool, the wallets and the fee
//! estimator see them), and [`NetService`] forwards the chain's tip and mempool events to
//! the network for relay. Compact blocks are rebuilt from the mempool's transactions
//! ([`p2p::ChainAccess::mempool_transactions`]: its entries' wtxids and shared transactions,
//! copied out in one pass). [`rpc`] holds the network RPC methods. Automatic outbound
//! connections follow Core: on unless `-connect`/`-noconnect`, with `-dnsseed` (default on
//! unless `-connect` or `-proxy`), `-fixedseeds` (default on; never on regtest), `-seednode`
//! and the block-relay-only anchors in `<datadir>/<chain>/anchors.json`.

pub mod rpc;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::{Block, BlockHash, Transaction, Wtxid};
use common::{ArgsError, Chain, Settings};
use p2p::{ChainAccess, Net, NetConfig, TxRef, TxRejected};

use crate::chain::{ChainEvent, ChainState, SubmitOutcome};
use crate::mempool::accept::AcceptOptions;
use crate::mempool::{Mempool, RejectKind};

/// Core's default P2P port of each chain (`-port`).
pub fn default_port(chain: Chain) -> u16 {
    match chain {
        Chain::Main => 8333,
        Chain::Test => 18333,
        Chain::Testnet4 => 48333,
        Chain::Signet => 38333,
        Chain::Regtest => 18444,
    }
}

/// The network options, checked (`-listen`, `-bind`, `-port`, `-connect`, `-addnode`,
/// `-maxconnections`, `-peertimeout`, `-v2transport`, `-bantime`, `-dnsseed`,
/// `-fixedseeds`, `-seednode`).
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// The `p2p` crate's settings.
    pub config: NetConfig,
}

fn bad(option: &str, value: &str, reason: &str) -> ArgsError {
    ArgsError::BadValue {
        option: option.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// `addr[:port]` or `[v6]:port` with `port` as the default.
fn parse_bind(text: &str, port: u16) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, port))
}

impl NetOptions {
    /// Reads the options with Core's defaults: listening when `-bind` is given or `-connect`
    /// is not, `-connect=0` (or `-noconnect`) for no outbound connections.
    pub fn from_settings(settings: &Settings, user_agent: String) -> Result<NetOptions, ArgsError> {
        let chain = settings.chain();
        let port = match settings.get("port") {
            None => default_port(chain),
            Some(text) => text
                .parse::<u16>()
                .map_err(|_| bad("port", text, "Invalid port specified"))?,
        };
        let connect: Vec<String> = settings
            .get_list("connect")
            .into_iter()
            .filter(|c| c != "0" && !c.is_empty())
            .collect();
        // Core's parameter interaction: `-bind` implies `-listen`, else `-connect` turns it off.
        let listen = settings.get_bool(
            "listen",
            settings.is_set("bind") || !settings.is_set("connect"),
        )?;
        let binds = settings.get_list("bind");
        let mut bind = Vec::new();
        if listen {
            for text in &binds {
                bind.push(
                    parse_bind(text, port)
                        .ok_or_else(|| bad("bind", text, "Cannot resolve -bind address"))?,
                );
            }
            if binds.is_empty() {
                bind.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
                bind.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
            }
        }
        let max_connections = match settings.get("maxconnections") {
            None => p2p::DEFAULT_MAX_CONNECTIONS,
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| bad("maxconnections", text, "expected a number of connections"))?,
        };
        let peer_timeout = match settings.get("peertimeout") {
            None => p2p::HANDSHAKE_TIMEOUT,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| *s >= 1)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    bad(
                        "peertimeout",
                        text,
                        "expected a number of seconds, at least 1",
                    )
                })?,
        };
        let v2transport = settings.get_bool("v2transport", p2p::DEFAULT_V2_TRANSPORT)?;
        let ban_time = match settings.get("bantime") {
            None => p2p::ban::DEFAULT_BAN_TIME,
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| bad("bantime", text, "expected a number of seconds"))?,
        };
        // Core: automatic outbound connections unless `-connect` (or `-noconnect`) is given;
        // DNS seeds by default unless `-connect` or `-proxy` is, or no connections at all.
        let auto_outbound = !settings.is_set("connect");
        let dns_seed = settings.get_bool(
            "dnsseed",
            auto_outbound && !settings.is_set("proxy") && max_connections > 0,
        )?;
        let fixed_seeds = settings.get_bool("fixedseeds", true)?;
        let seed_nodes = settings.get_list("seednode");
        let mut peers = connect;
        peers.extend(settings.get_list("addnode"));
        Ok(NetOptions {
            config: NetConfig {
                network: crate::chain::network(chain),
                bind,
                bind_required: !binds.is_empty(),
                connect: peers,
                default_port: port,
                max_connections,
                user_agent,
                peer_timeout,
                v2transport,
                ban_time: Duration::from_secs(ban_time),
                banlist: Some(settings.net_dir().join("banlist.json")),
                peers_file: Some(settings.net_dir().join("peers.json")),
                auto_outbound,
                dns_seed,
                fixed_seeds,
                seed_nodes,
                anchors_file: Some(settings.net_dir().join("anchors.json")),
            },
        })
    }
}

/// The kernel and the mempool, as the network sees them.
pub struct NodeChain {
    chain: Arc<ChainState>,
    mempool: Arc<Mempool>,
}

impl ChainAccess for NodeChain {
    fn tip(&self) -> Option<(BlockHash, i32)> {
        self.chain.tip().map(|t| (t.hash, t.height))
    }

    fn locator(&self) -> Vec<BlockHash> {
        self.chain.locator()
    }

    fn header_height(&self, hash: &BlockHash) -> Option<i32> {
        self.chain.header_height(hash)
    }

    fn header(&self, hash: &BlockHash) -> Option<Header> {
        self.chain.header(hash)
    }

    fn process_headers(&self, headers: &[Header]) -> Result<(), String> {
        self.chain.process_headers(headers)
    }

    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header> {
        self.chain.headers_after(locator, stop, max)
    }

    fn missing_blocks(&self, max: usize) -> Vec<(BlockHash, i32)> {
        self.chain.missing_blocks(max)
    }

    fn block(&self, hash: &BlockHash) -> Option<Block> {
        self.chain.block(hash)
    }

    fn submit_block(&self, block: Block) -> Result<(), String> {
        match self.chain.submit_block(&block) {
            SubmitOutcome::Rejected(reason) => Err(reason),
            SubmitOutcome::Accepted | SubmitOutcome::Duplicate | SubmitOutcome::Inconclusive => {
                Ok(())
            }
        }
    }

    fn has_block(&self, hash: &BlockHash) -> bool {
        // Only the active chain counts: reading a block off it to find out would make the
        // kernel log a failed read for every new header, and a side-chain block sent again
        // is only a duplicate.
        self.chain
            .block_info(hash)
            .is_some_and(|info| info.in_active_chain)
    }

    fn mempool_transactions(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        // One pass under the pool's lock, copying only the wtxids and the `Arc`s; the short
        // ids are matched after the lock is released.
        self.mempool
            .lock()
            .graph
            .entries
            .values()
            .map(|entry| (entry.wtxid, entry.tx.clone()))
            .collect()
    }

    fn transaction(&self, id: TxRef) -> Option<Transaction> {
        let tx = match id {
            TxRef::Txid(txid) => self.mempool.get(&txid),
            TxRef::Wtxid(wtxid) => self.mempool.get_by_wtxid(&wtxid),
        };
        tx.map(|tx| (*tx).clone())
    }

    fn fee_rates(&self) -> p2p::FeeRates {
        let options = self.mempool.options();
        p2p::FeeRates {
            mempool_min: self.mempool.min_fee(),
            min_relay: options.min_relay_fee,
            incremental: options.incremental_relay_fee,
        }
    }

    fn transaction_fee(&self, txid: &bitcoin::Txid) -> Option<(u64, u64)> {
        self.mempool
            .entry(txid)
            .map(|entry| (entry.fee.to_sat(), entry.vsize))
    }

    fn submit_transaction(&self, tx: Transaction) -> Result<(), TxRejected> {
        self.mempool
            .accept(Arc::new(tx), AcceptOptions::default())
            .map(|_| ())
            .map_err(|e| TxRejected {
                missing_inputs: e.kind == RejectKind::MissingInputs,
                low_fee: e.kind == RejectKind::FeeTooLow,
                reason: e.to_string(),
            })
    }

    fn submit_package(&self, parent: Transaction, child: Transaction) -> Result<(), String> {
        self.mempool
            .accept_one_parent_one_child(Arc::new(parent), Arc::new(child))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The running network and the thread that feeds it the chain's events; dropping it closes
/// every socket and joins its tasks.
pub struct NetService {
    net: Arc<Net>,
    stop: Arc<AtomicBool>,
    forwarder: Option<JoinHandle<()>>,
}

impl NetService {
    /// Starts the network on `chain` and `mempool`.
    pub fn start(
        options: &NetOptions,
        chain: &Arc<ChainState>,
        mempool: &Arc<Mempool>,
    ) -> Result<NetService, p2p::NetError> {
        let access = Arc::new(NodeChain {
            chain: chain.clone(),
            mempool: mempool.clone(),
        });
        let net = Arc::new(Net::start(options.config.clone(), access)?);
        let (sender, events) = mpsc::channel();
        chain.subscribe(sender);
        let stop = Arc::new(AtomicBool::new(false));
        let forwarder = {
            let net = net.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("net-events".into())
                .spawn(move || forward(&net, &events, &stop))
                .map_err(p2p::NetError::Runtime)?
        };
        Ok(NetService {
            net,
            stop,
            forwarder: Some(forwarder),
        })
    }

    /// The network, for the RPC methods.
    pub fn net(&self) -> &Arc<Net> {
        &self.net
    }
}

fn forward(net: &Net, events: &mpsc::Receiver<ChainEvent>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(ChainEvent::BlockTip { hash, .. }) => net.block_tip(hash),
            Ok(ChainEvent::TransactionAdded { tx }) => net.transaction_added((*tx).clone()),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

impl Drop for NetService {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(forwarder) = self.forwarder.take() {
            let _ = forwarder.join();
        }
        // The RPC closures may still hold the `Net`: stop it whoever holds it.
        self.net.shutdown();
    }
}
