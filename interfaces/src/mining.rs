//! The `Mining` and `BlockTemplate` interfaces: what an external miner or a Stratum v2 template
//! provider needs from a node (Bitcoin Core's `interfaces::Mining`, wire-compatible with its
//! `mining.capnp`).
//!
//! Values follow the wire conventions: blocks, headers and transactions are consensus
//! serialized (with witness) byte vectors, hashes are 32 raw bytes in internal byte order,
//! amounts are satoshis and durations milliseconds. An absent result (`None`) is how the
//! interface says "interrupted" or "timed out".

use crate::Error;

/// A block named by hash and height.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockRef {
    /// Its hash (internal byte order).
    pub hash: [u8; 32],
    /// Its height.
    pub height: i32,
}

/// How to build a template (`BlockCreateOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCreateOptions {
    /// Include mempool transactions (otherwise the template holds only the coinbase).
    pub use_mempool: bool,
    /// Weight kept free for the header, the coinbase and what the miner adds to it.
    pub block_reserved_weight: u64,
    /// Sigops cost kept free for outputs the miner adds to the coinbase.
    pub coinbase_output_max_additional_sigops: u64,
}

impl Default for BlockCreateOptions {
    fn default() -> BlockCreateOptions {
        BlockCreateOptions {
            use_mempool: true,
            block_reserved_weight: 8000,
            coinbase_output_max_additional_sigops: 400,
        }
    }
}

/// How long and for what [`BlockTemplate::wait_next`] waits (`BlockWaitOptions`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockWaitOptions {
    /// Milliseconds to wait at most (`f64::MAX`: for ever).
    pub timeout: f64,
    /// Return a template for the same tip once its fees are at least this many satoshis
    /// higher (`MAX_MONEY`: only on a new tip).
    pub fee_threshold: i64,
}

/// Bitcoin's total supply in satoshis: `fee_threshold`'s default, meaning "never".
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

impl Default for BlockWaitOptions {
    fn default() -> BlockWaitOptions {
        BlockWaitOptions {
            timeout: f64::MAX,
            fee_threshold: MAX_MONEY,
        }
    }
}

/// Which checks [`Mining::check_block`] skips (`BlockCheckOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCheckOptions {
    /// Check the header's merkle root against the transactions.
    pub check_merkle_root: bool,
    /// Check the proof of work.
    pub check_pow: bool,
}

impl Default for BlockCheckOptions {
    fn default() -> BlockCheckOptions {
        BlockCheckOptions {
            check_merkle_root: true,
            check_pow: true,
        }
    }
}

/// What a miner needs to build its own coinbase for a template (`CoinbaseTx`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoinbaseTx {
    /// Transaction version.
    pub version: u32,
    /// The coinbase input's sequence.
    pub sequence: u32,
    /// The start of the input's scriptSig (the BIP34 height push); the miner appends to it.
    pub script_sig_prefix: Vec<u8>,
    /// The input's single witness item (the BIP141 reserved value), when the block has one.
    pub witness: Option<Vec<u8>>,
    /// Subsidy plus fees: what the miner's own outputs may claim.
    pub block_reward_remaining: i64,
    /// Outputs the coinbase must carry (the witness commitment), each a serialized `TxOut`.
    pub required_outputs: Vec<Vec<u8>>,
    /// The coinbase's lock time.
    pub lock_time: u32,
}

/// The verdict of [`Mining::check_block`], [`Mining::submit_block`] and
/// [`BlockTemplate::submit_solution`]: Core's `reason`/`debug` strings and the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockVerdict {
    /// Whether the block is valid (checked) or was accepted (submitted).
    pub result: bool,
    /// Core's reject reason (`high-hash`, `duplicate`, `inconclusive`, ...); empty when valid.
    pub reason: String,
    /// More detail, when there is any.
    pub debug: String,
}

/// The node's block-template service (Core's `interfaces::Mining`).
pub trait Mining: Send + Sync {
    /// Whether the chain is a test chain (anything but main).
    fn is_test_chain(&self) -> Result<bool, Error>;

    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool, Error>;

    /// The active tip, if the chainstate is loaded.
    fn get_tip(&self) -> Result<Option<BlockRef>, Error>;

    /// Waits until the tip differs from `current_tip` or `timeout` milliseconds passed and
    /// returns the tip then; `None` after [`Mining::interrupt`] (on the wire: an empty
    /// `BlockRef`, as Core sends it).
    fn wait_tip_changed(&self, current_tip: &[u8], timeout: f64)
        -> Result<Option<BlockRef>, Error>;

    /// A new template on the current tip; `None` when interrupted. With `cooldown`, waits
    /// while the node is in initial block download.
    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Box<dyn BlockTemplate>>, Error>;

    /// Checks `block` (serialized) as if it were to extend the tip, without storing it.
    fn check_block(&self, block: &[u8], options: &BlockCheckOptions)
        -> Result<BlockVerdict, Error>;

    /// Makes a waiting [`Mining::wait_tip_changed`] or [`Mining::create_new_block`] return
    /// at once (or the next one, if none waits). Never blocks.
    fn interrupt(&self) -> Result<(), Error>;

    /// Validates and stores `block` (serialized), as `submitblock` does.
    fn submit_block(&self, block: &[u8]) -> Result<BlockVerdict, Error>;

    /// The mempool transactions with these txids (the name is capnp's Rust form of
    /// `getTransactionsByTxID`, which the IPC layer derives method names from) (32 raw bytes each), serialized; an empty
    /// vector for each one not there.
    fn get_transactions_by_tx_i_d(&self, txids: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Error>;

    /// The same by witness txid.
    fn get_transactions_by_witness_i_d(&self, wtxids: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, Error>;
}

/// One block template (Core's `interfaces::BlockTemplate`). It keeps its block and
/// transactions alive until dropped, whatever happens to the mempool.
pub trait BlockTemplate: Send + Sync {
    /// The 80-byte header.
    fn get_block_header(&self) -> Result<Vec<u8>, Error>;

    /// The whole block, serialized with witness.
    fn get_block(&self) -> Result<Vec<u8>, Error>;

    /// Fee of each non-coinbase transaction, in block order.
    fn get_tx_fees(&self) -> Result<Vec<i64>, Error>;

    /// Sigops cost of each non-coinbase transaction, in block order.
    fn get_tx_sigops(&self) -> Result<Vec<i64>, Error>;

    /// What the miner needs to build the coinbase.
    fn get_coinbase_tx(&self) -> Result<CoinbaseTx, Error>;

    /// The merkle branch of the coinbase (sibling hashes from the leaves up, 32 bytes each).
    fn get_coinbase_merkle_path(&self) -> Result<Vec<Vec<u8>>, Error>;

    /// Puts `coinbase` (serialized) and the header fields into the template's block and
    /// submits it.
    fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: &[u8],
    ) -> Result<BlockVerdict, Error>;

    /// Bitcoin Core v31's `submitSolution` (ordinal 7; `submitSolutionOld7` in v32's schema):
    /// submits as [`BlockTemplate::submit_solution`] does and answers with v31's bool, that of
    /// Core's `ProcessNewBlock`: true when the block was accepted, was already known, or is
    /// valid but not on the best chain; false when it was rejected.
    fn submit_solution_old7(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: &[u8],
    ) -> Result<bool, Error> {
        let verdict = self.submit_solution(version, timestamp, nonce, coinbase)?;
        Ok(verdict.result || matches!(verdict.reason.as_str(), "duplicate" | "inconclusive"))
    }

    /// Waits for a better template: on a new tip, or when fees rose by
    /// `options.fee_threshold`; `None` on timeout or after [`BlockTemplate::interrupt_wait`].
    fn wait_next(
        &self,
        options: &BlockWaitOptions,
    ) -> Result<Option<Box<dyn BlockTemplate>>, Error>;

    /// Makes a waiting [`BlockTemplate::wait_next`] return `None` (or the next one). Never
    /// blocks.
    fn interrupt_wait(&self) -> Result<(), Error>;
}

/// A conformance suite every [`Mining`] implementation passes, local or over IPC.
#[cfg(feature = "test-utils")]
pub mod conformance {
    use std::time::{Duration, Instant};

    use super::{BlockCheckOptions, BlockCreateOptions, BlockWaitOptions, Mining};

    /// Runs the checks on a node past initial block download. `advance()` must mine one block
    /// on the node's tip and return once it is the tip.
    pub fn run(mining: &dyn Mining, advance: &dyn Fn()) {
        option_errors(mining);
        let tip = mining.get_tip().expect("get_tip").expect("a tip");
        // A stale tip returns at once; the current one times out with itself.
        let started = Instant::now();
        let changed = mining.wait_tip_changed(&[0; 32], 10_000.0).expect("wait");
        assert_eq!(changed, Some(tip));
        assert!(started.elapsed() < Duration::from_secs(5));
        let started = Instant::now();
        let same = mining.wait_tip_changed(&tip.hash, 100.0).expect("wait");
        assert_eq!(same, Some(tip));
        assert!(started.elapsed() >= Duration::from_millis(90));
        // An interrupt with nobody waiting ends the next wait, once.
        mining.interrupt().expect("interrupt");
        assert_eq!(
            mining.wait_tip_changed(&tip.hash, f64::MAX).expect("wait"),
            None
        );
        assert_eq!(
            mining.wait_tip_changed(&tip.hash, 10.0).expect("wait"),
            Some(tip)
        );
        template_checks(mining, &tip.hash, advance);
        let unknown = mining
            .get_transactions_by_tx_i_d(&[vec![0; 32], vec![1, 2, 3]])
            .expect("lookup");
        assert_eq!(unknown, vec![Vec::<u8>::new(), Vec::new()]);
        let unknown = mining
            .get_transactions_by_witness_i_d(&[vec![9; 32]])
            .expect("lookup");
        assert_eq!(unknown, vec![Vec::<u8>::new()]);
    }

    fn option_errors(mining: &dyn Mining) {
        let cases = [
            (BlockCreateOptions { block_reserved_weight: 1999, ..Default::default() },
             "block_reserved_weight (1999) is lower than minimum safety value of (2000)"),
            (BlockCreateOptions { block_reserved_weight: 4_000_001, ..Default::default() },
             "block_reserved_weight (4000001) exceeds consensus maximum block weight (4000000)"),
            (BlockCreateOptions { coinbase_output_max_additional_sigops: 80_001, ..Default::default() },
             "coinbase_output_max_additional_sigops (80001) exceeds consensus maximum block sigops cost (80000)"),
        ];
        for (options, message) in cases {
            let error = mining
                .create_new_block(&options, false)
                .err()
                .expect("bad options are refused");
            assert_eq!(error.message(), message);
        }
    }

    fn template_checks(mining: &dyn Mining, tip: &[u8; 32], advance: &dyn Fn()) {
        let template = mining
            .create_new_block(&BlockCreateOptions::default(), true)
            .expect("create")
            .expect("a template");
        let header = template.get_block_header().expect("header");
        assert_eq!(header.len(), 80);
        assert_eq!(&header[4..36], tip);
        let block = template.get_block().expect("block");
        assert_eq!(&block[..80], &header[..]);
        let fees = template.get_tx_fees().expect("fees");
        assert_eq!(fees.len(), template.get_tx_sigops().expect("sigops").len());
        let coinbase = template.get_coinbase_tx().expect("coinbase");
        assert!(coinbase.block_reward_remaining >= fees.iter().sum::<i64>());
        assert!(
            !coinbase.required_outputs.is_empty(),
            "the witness commitment"
        );
        // The template's own block is valid but for its proof of work.
        let unchecked_pow = BlockCheckOptions {
            check_pow: false,
            ..Default::default()
        };
        let verdict = mining.check_block(&block, &unchecked_pow).expect("check");
        assert!(verdict.result, "{verdict:?}");
        assert!(verdict.reason.is_empty());
        // waitNext: nothing new times out; interruptWait ends a wait.
        let short = BlockWaitOptions {
            timeout: 50.0,
            ..Default::default()
        };
        assert!(template.wait_next(&short).expect("wait_next").is_none());
        template.interrupt_wait().expect("interrupt_wait");
        let forever = BlockWaitOptions::default();
        assert!(template.wait_next(&forever).expect("wait_next").is_none());
        // A new block: a template on it.
        advance();
        let long = BlockWaitOptions {
            timeout: 10_000.0,
            ..Default::default()
        };
        let next = template
            .wait_next(&long)
            .expect("wait_next")
            .expect("a new template");
        let new_tip = mining.get_tip().expect("get_tip").expect("a tip");
        assert_ne!(&new_tip.hash, tip);
        assert_eq!(
            &next.get_block_header().expect("header")[4..36],
            &new_tip.hash
        );
        // The old template still holds its block.
        assert_eq!(template.get_block().expect("block"), block);
    }
}
