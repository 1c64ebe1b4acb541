//! The `Chain` interface: what a wallet needs from a node (Core's `interfaces::Chain`), shaped
//! for IPC. The node does the filtering: a wallet catches up with one [`Chain::scan`] call that
//! returns only the transactions touching its scripts or outpoints, never whole blocks, and
//! follows the chain afterwards through [`ChainNotifications`].
//!
//! The reorg contract: notifications arrive in chain order (the old branch's blocks
//! disconnected from the tip down, then the new branch's connected upwards); each carries the
//! hash of the block it follows, so a client detects a gap or a repeat rather than applying it.
//! A client that reattaches calls [`Chain::find_fork`] with the blocks it last knew, then scans
//! from the fork point.

use std::sync::Arc;

use crate::{BlockRef, Error, Handler, Rpc};

/// A block as notifications and scans name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockInfo {
    /// Its hash (internal byte order).
    pub hash: [u8; 32],
    /// The hash of the block before it (all zero for the genesis block).
    pub prev_hash: [u8; 32],
    /// Its height.
    pub height: i32,
    /// Its timestamp (seconds since the epoch).
    pub time: i64,
}

/// An outpoint: a transaction id (internal byte order) and an output index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outpoint {
    /// The transaction.
    pub txid: [u8; 32],
    /// The output.
    pub vout: u32,
}

/// What [`Chain::scan`] looks for, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanRequest {
    /// First height to scan (blocks below it are skipped).
    pub start_height: i32,
    /// Last height to scan; `None`: up to the tip as it is when the scan ends.
    pub stop_height: Option<i32>,
    /// Output scripts (raw bytes): a transaction paying to one of them matches.
    pub scripts: Vec<Vec<u8>>,
    /// Outpoints: a transaction spending one of them matches. The outputs of matched
    /// transactions that pay to [`ScanRequest::scripts`] are added as the scan goes, so a
    /// spend later in the range is found too.
    pub outpoints: Vec<Outpoint>,
    /// Also return the mempool's matching transactions.
    pub include_mempool: bool,
}

/// One matching transaction of a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanMatch {
    /// The block that holds it.
    pub block: BlockInfo,
    /// Its position in the block (0 is the coinbase).
    pub position: u32,
    /// The transaction, consensus-serialized with witness.
    pub tx: Vec<u8>,
}

/// What [`Chain::scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanResult {
    /// Matching transactions, in chain order.
    pub matches: Vec<ScanMatch>,
    /// The last block scanned (its height is below `start_height` when nothing was scanned).
    pub last_scanned: BlockRef,
    /// Matching mempool transactions (when asked for).
    pub mempool: Vec<Vec<u8>>,
    /// How many blocks were read.
    pub blocks_scanned: u32,
}

/// A fee rate estimate (Core's `estimateSmartFee`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeEstimate {
    /// Satoshis per 1000 virtual bytes; 0 when there is no estimate.
    pub fee_per_kvb: i64,
    /// The confirmation target the estimate is for.
    pub returned_target: u32,
}

/// The node's fee settings a wallet must respect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayFees {
    /// `-minrelaytxfee`, satoshis per 1000 virtual bytes.
    pub min_relay: i64,
    /// `-incrementalrelayfee`, satoshis per 1000 virtual bytes.
    pub incremental: i64,
    /// `-dustrelayfee`, satoshis per 1000 virtual bytes.
    pub dust_relay: i64,
    /// The mempool's current minimum fee rate, satoshis per 1000 virtual bytes.
    pub mempool_min: i64,
}

/// One RPC method another process adds to the node's server (see [`Chain::handle_rpc`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcMethodInfo {
    /// Its name.
    pub name: String,
    /// Its help category (`wallet`, ...).
    pub category: String,
    /// Its whole help text, in Core's layout (the first line is the one-line summary).
    pub help: String,
    /// `help dump_all_command_conversions` rows: position, parameter name, whether a string.
    pub args: Vec<RpcArgInfo>,
}

/// One parameter name of an [`RpcMethodInfo`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcArgInfo {
    /// Position (from 0).
    pub position: u32,
    /// Name.
    pub name: String,
    /// Whether it is a string (not converted from JSON by clients).
    pub is_string: bool,
}

/// What a wallet (or another chain client) needs from the node.
pub trait Chain: Send + Sync {
    /// The active tip, `None` before the genesis block is connected.
    fn get_tip(&self) -> Result<Option<BlockRef>, Error>;

    /// The hash of the active chain's block at `height`.
    fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>, Error>;

    /// A block of any branch the node knows, by hash.
    fn find_block(&self, hash: [u8; 32]) -> Result<Option<BlockInfo>, Error>;

    /// The highest of `locator` (blocks the caller knew, any order) that is still in the
    /// active chain: the fork point to rescan from after a reorg; `None` if none is.
    fn find_fork(&self, locator: &[BlockRef]) -> Result<Option<BlockRef>, Error>;

    /// Scans the active chain (and the mempool) for transactions touching `request`'s
    /// scripts or outpoints; only the matches cross to the caller.
    fn scan(&self, request: &ScanRequest) -> Result<ScanResult, Error>;

    /// Submits a transaction to the mempool and relays it (Core's `broadcastTransaction`);
    /// `max_fee` (satoshis, 0 for no limit) fails the call when the fee is higher. The error
    /// text is Core's reject reason.
    fn broadcast_transaction(&self, tx: &[u8], max_fee: i64) -> Result<(), Error>;

    /// Whether the mempool holds the transaction (internal byte order).
    fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error>;

    /// Whether a mempool transaction has descendants in the mempool.
    fn has_descendants_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error>;

    /// A fee estimate for confirmation within `target` blocks.
    fn estimate_smart_fee(&self, target: u32, conservative: bool) -> Result<FeeEstimate, Error>;

    /// The node's relay fee settings.
    fn relay_fees(&self) -> Result<RelayFees, Error>;

    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool, Error>;

    /// Whether the node is shutting down.
    fn shutdown_requested(&self) -> Result<bool, Error>;

    /// Subscribes `notifications` to the chain and mempool; dropping the returned handler
    /// unsubscribes.
    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, Error>;

    /// Returns once every notification queued before the call has been delivered.
    fn wait_for_notifications(&self) -> Result<(), Error>;

    /// Adds `methods` to the node's RPC server; calls of them (with their parameters as sent,
    /// the endpoint and the user) are executed by `executor`. Dropping the returned handler
    /// removes them.
    fn handle_rpc(
        &self,
        methods: &[RpcMethodInfo],
        executor: Arc<dyn Rpc>,
    ) -> Result<Box<dyn Handler>, Error>;
}

/// Chain and mempool events, delivered in order on one thread per subscriber.
pub trait ChainNotifications: Send + Sync {
    /// `block` joined the active chain (it follows `block.prev_hash`).
    fn block_connected(&self, block: &BlockInfo) -> Result<(), Error>;
    /// `block` left the active chain (the tip is now `block.prev_hash`).
    fn block_disconnected(&self, block: &BlockInfo) -> Result<(), Error>;
    /// A transaction (consensus-serialized) entered the mempool.
    fn transaction_added_to_mempool(&self, tx: &[u8]) -> Result<(), Error>;
    /// A transaction left the mempool for `reason` (Core's `MemPoolRemovalReason` name:
    /// `expiry`, `sizelimit`, `reorg`, `block`, `conflict`, `replaced`).
    fn transaction_removed_from_mempool(&self, txid: [u8; 32], reason: &str) -> Result<(), Error>;
    /// The tip changed (after the block notifications of the change).
    fn updated_block_tip(&self) -> Result<(), Error>;
}

/// A conformance suite every [`Chain`] implementation passes, local or over IPC.
#[cfg(feature = "test-utils")]
pub mod conformance {
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use super::{BlockInfo, Chain, ChainNotifications, ScanRequest};
    use crate::{BlockRef, Error};

    struct Forward(mpsc::Sender<(bool, BlockInfo)>);

    impl ChainNotifications for Forward {
        fn block_connected(&self, block: &BlockInfo) -> Result<(), Error> {
            let _ = self.0.send((true, *block));
            Ok(())
        }
        fn block_disconnected(&self, block: &BlockInfo) -> Result<(), Error> {
            let _ = self.0.send((false, *block));
            Ok(())
        }
        fn transaction_added_to_mempool(&self, _tx: &[u8]) -> Result<(), Error> {
            Ok(())
        }
        fn transaction_removed_from_mempool(&self, _: [u8; 32], _: &str) -> Result<(), Error> {
            Ok(())
        }
        fn updated_block_tip(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    fn tip(chain: &dyn Chain) -> BlockRef {
        chain.get_tip().expect("get_tip").expect("a tip")
    }

    /// Runs the checks. `advance(n)` must mine `n` blocks whose coinbases pay to `script`
    /// and return their hashes, in order, once the chain has them.
    pub fn run(chain: &dyn Chain, script: &[u8], advance: &dyn Fn(u32) -> Vec<[u8; 32]>) {
        let start = tip(chain);
        let mined = advance(3);
        assert_eq!(mined.len(), 3);
        let now = tip(chain);
        assert_eq!(now.height, start.height + 3);
        assert_eq!(Some(now.hash), mined.last().copied());
        for (i, hash) in mined.iter().enumerate() {
            let height = start.height + 1 + i32::try_from(i).expect("small");
            assert_eq!(chain.get_block_hash(height).expect("hash"), Some(*hash));
            let info = chain.find_block(*hash).expect("find").expect("known");
            assert_eq!((info.hash, info.height), (*hash, height));
        }
        let first = chain.find_block(mined[0]).expect("find").expect("known");
        assert_eq!(first.prev_hash, start.hash);
        assert_eq!(chain.get_block_hash(now.height + 1).expect("beyond"), None);
        assert_eq!(chain.find_block([0xee; 32]).expect("unknown"), None);

        // Forks: the best known block of a locator.
        let genesis = BlockRef {
            hash: chain.get_block_hash(0).expect("genesis").expect("genesis"),
            height: 0,
        };
        let unknown = BlockRef {
            hash: [0xee; 32],
            height: now.height + 5,
        };
        let second = BlockRef {
            hash: mined[1],
            height: start.height + 2,
        };
        assert_eq!(chain.find_fork(&[now, genesis]).expect("fork"), Some(now));
        assert_eq!(
            chain.find_fork(&[unknown, second, genesis]).expect("fork"),
            Some(second)
        );

        // The node filters: only the coinbases paying to `script`, with their places.
        let request = ScanRequest {
            start_height: start.height + 1,
            stop_height: Some(now.height),
            scripts: vec![script.to_vec()],
            ..ScanRequest::default()
        };
        let found = chain.scan(&request).expect("scan");
        assert_eq!(found.matches.len(), 3, "one coinbase per mined block");
        for (m, hash) in found.matches.iter().zip(&mined) {
            assert_eq!((m.block.hash, m.position), (*hash, 0));
        }
        assert_eq!(found.last_scanned, now);
        assert_eq!(found.blocks_scanned, 3);
        let other = ScanRequest {
            scripts: vec![vec![0x6a, 0x01, 0x99]],
            ..request
        };
        assert!(chain.scan(&other).expect("scan").matches.is_empty());

        // Notifications, in order, until the handler goes.
        let (tx, rx) = mpsc::channel();
        let handler = chain
            .handle_notifications(Arc::new(Forward(tx)))
            .expect("subscribe");
        let more = advance(2);
        chain.wait_for_notifications().expect("wait");
        let connected: Vec<(bool, [u8; 32], i32)> = rx
            .try_iter()
            .map(|(up, b)| (up, b.hash, b.height))
            .collect();
        assert_eq!(
            connected,
            vec![
                (true, more[0], now.height + 1),
                (true, more[1], now.height + 2)
            ],
            "each new block, in order, delivered before wait_for_notifications returns"
        );
        drop(handler);
        advance(1);
        chain.wait_for_notifications().expect("wait");
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "notified after the handler was dropped"
        );

        // The rest answers sensibly.
        assert!(!chain.is_in_mempool([0xee; 32]).expect("mempool"));
        assert!(!chain.shutdown_requested().expect("shutdown state"));
        let fees = chain.relay_fees().expect("relay fees");
        assert!(
            fees.min_relay > 0 && fees.incremental > 0 && fees.dust_relay > 0,
            "{fees:?}"
        );
        chain
            .estimate_smart_fee(6, false)
            .expect("an estimate or none");
        let bad = chain.broadcast_transaction(&[0x01, 0x02], 0);
        assert!(bad.is_err(), "an undecodable transaction was broadcast");
    }
}
