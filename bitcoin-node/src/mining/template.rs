//! Block templates (Core's `BlockAssembler::CreateNewBlock`): a coinbase paying subsidy plus
//! fees, the mempool's transactions picked by ancestor fee rate within the weight and sigops
//! limits, the witness commitment, time and bits; plus everything a template hands out,
//! computed once (serialized block, fees, sigops, coinbase description, merkle path).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize, serialize, VarInt};
use bitcoin::consensus::Encodable;
use bitcoin::hashes::Hash;
use bitcoin::params::Params;
use bitcoin::script::Builder;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, Network, Script, Transaction, TxMerkleNode, Txid,
    Wtxid,
};
use interfaces::{BlockCreateOptions, CoinbaseTx};

use super::{block_time, coinbase, witness_commitment_of};
use crate::chain::{network, ChainState, Tip};

/// Consensus limit on block weight.
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Consensus limit on a block's sigops cost.
pub const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// The smallest `block_reserved_weight` Core accepts.
pub const MINIMUM_BLOCK_RESERVED_WEIGHT: u64 = 2000;
/// Core's `-blockmintxfee` default (sat/kvB, v30 and later).
pub const DEFAULT_BLOCK_MIN_TX_FEE: u64 = 1;

pub use crate::mempool::BlockTx;

/// Where templates get their transactions: the mempool, in a narrow role.
pub trait TxSource: Send + Sync {
    /// Transactions for a block, parents first, by ancestor fee rate, using at most
    /// `max_weight` weight and `max_sigops_cost` sigops cost, none below `min_fee_rate`
    /// (sat/kvB).
    fn select_for_block(
        &self,
        max_weight: u64,
        max_sigops_cost: u64,
        min_fee_rate: u64,
    ) -> Vec<BlockTx>;
    /// A transaction by txid.
    fn get(&self, txid: &Txid) -> Option<Arc<Transaction>>;
    /// A transaction by witness txid.
    fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<Arc<Transaction>>;
    /// A counter that changes whenever transactions are added or removed.
    fn transactions_updated(&self) -> u64;
    /// Waits (up to `timeout`) until the source reflects the chain up to block `tip`.
    fn wait_for_tip(&self, tip: &BlockHash, timeout: std::time::Duration) -> bool;
    /// How many transactions it holds.
    fn size(&self) -> usize;
}

impl TxSource for crate::mempool::Mempool {
    fn select_for_block(
        &self,
        max_weight: u64,
        max_sigops_cost: u64,
        min_fee_rate: u64,
    ) -> Vec<BlockTx> {
        crate::mempool::Mempool::select_for_block(self, max_weight, max_sigops_cost, min_fee_rate)
    }
    fn get(&self, txid: &Txid) -> Option<Arc<Transaction>> {
        crate::mempool::Mempool::get(self, txid)
    }
    fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<Arc<Transaction>> {
        crate::mempool::Mempool::get_by_wtxid(self, wtxid)
    }
    fn transactions_updated(&self) -> u64 {
        crate::mempool::Mempool::transactions_updated(self)
    }
    fn wait_for_tip(&self, tip: &BlockHash, timeout: std::time::Duration) -> bool {
        crate::mempool::Mempool::wait_for_tip(self, tip, timeout)
    }
    fn size(&self) -> usize {
        crate::mempool::Mempool::size(self)
    }
}

/// A source without transactions (a node without a mempool; coinbase-only templates).
pub struct NoTransactions;

impl TxSource for NoTransactions {
    fn select_for_block(&self, _: u64, _: u64, _: u64) -> Vec<BlockTx> {
        Vec::new()
    }
    fn get(&self, _: &Txid) -> Option<Arc<Transaction>> {
        None
    }
    fn get_by_wtxid(&self, _: &Wtxid) -> Option<Arc<Transaction>> {
        None
    }
    fn transactions_updated(&self) -> u64 {
        0
    }
    fn wait_for_tip(&self, _: &BlockHash, _: std::time::Duration) -> bool {
        true
    }
    fn size(&self) -> usize {
        0
    }
}

/// Checks `options` with Core's error texts.
pub fn check_options(options: &BlockCreateOptions) -> Result<(), String> {
    if options.block_reserved_weight < MINIMUM_BLOCK_RESERVED_WEIGHT {
        return Err(format!(
            "block_reserved_weight ({}) is lower than minimum safety value of ({MINIMUM_BLOCK_RESERVED_WEIGHT})",
            options.block_reserved_weight
        ));
    }
    if options.block_reserved_weight > MAX_BLOCK_WEIGHT {
        return Err(format!(
            "block_reserved_weight ({}) exceeds consensus maximum block weight ({MAX_BLOCK_WEIGHT})",
            options.block_reserved_weight
        ));
    }
    if options.coinbase_output_max_additional_sigops > MAX_BLOCK_SIGOPS_COST {
        return Err(format!(
            "coinbase_output_max_additional_sigops ({}) exceeds consensus maximum block sigops cost ({MAX_BLOCK_SIGOPS_COST})",
            options.coinbase_output_max_additional_sigops
        ));
    }
    Ok(())
}

/// A block template and what it hands out, computed once.
#[derive(Debug, Clone)]
pub struct Template {
    /// The header (nonce 0).
    pub header: Header,
    /// The coinbase, paying `coinbase_script`.
    pub coinbase_tx: Transaction,
    /// The other transactions, shared with the mempool (never copied).
    pub txs: Vec<Arc<Transaction>>,
    /// Their txids.
    pub txids: Vec<Txid>,
    /// Their witness txids.
    pub wtxids: Vec<Wtxid>,
    /// Their weights.
    pub weights: Vec<u64>,
    /// The block serialized with witness (what `getBlock` returns).
    pub raw_block: Vec<u8>,
    /// Height of the block.
    pub height: i32,
    /// Fee of each non-coinbase transaction.
    pub fees: Vec<i64>,
    /// Sigops cost of each non-coinbase transaction.
    pub sigops: Vec<i64>,
    /// Sum of the fees.
    pub total_fees: Amount,
    /// The coinbase description for miners.
    pub coinbase: CoinbaseTx,
    /// Merkle branch of the coinbase.
    pub merkle_path: Vec<[u8; 32]>,
}

fn now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// The header of the active chain's block at `height`.
pub fn header_at(chain: &ChainState, height: i32) -> Option<bitcoin::block::Header> {
    chain
        .block_hash_at(height)
        .and_then(|hash| chain.block_info(&hash))
        .map(|info| info.header)
}

/// Core's `GetNextWorkRequired` for a block on `tip` with time `time`.
pub fn next_bits(chain: &ChainState, tip: &Tip, time: u32) -> u32 {
    let net = network(chain.chain());
    let params = Params::new(net);
    let interval = i32::try_from(params.difficulty_adjustment_interval()).unwrap_or(2016);
    if params.no_pow_retargeting {
        return tip.bits;
    }
    let limit = params
        .max_attainable_target
        .to_compact_lossy()
        .to_consensus();
    if (tip.height + 1) % interval != 0 {
        if !params.allow_min_difficulty_blocks {
            return tip.bits;
        }
        if u64::from(time) > u64::from(tip.time) + 2 * params.pow_target_spacing {
            return limit;
        }
        let (mut height, mut bits) = (tip.height, tip.bits);
        while height > 0 && height % interval != 0 && bits == limit {
            height -= 1;
            bits = header_at(chain, height).map_or(limit, |h| h.bits.to_consensus());
        }
        return bits;
    }
    let Some(first) = header_at(chain, tip.height - (interval - 1)) else {
        return tip.bits;
    };
    let last = if net == Network::Testnet4 {
        first.bits
    } else {
        CompactTarget::from_consensus(tip.bits)
    };
    let timespan = u64::from(tip.time.saturating_sub(first.time));
    CompactTarget::from_next_work_required(last, timespan, &params).to_consensus()
}

/// Builds a template on the chain's tip: transactions from `source` (none unless
/// `options.use_mempool`; none below `min_fee_rate` sat/kvB, Core's `-blockmintxfee`), a
/// coinbase paying everything to `coinbase_script`.
pub fn create(
    chain: &ChainState,
    source: &dyn TxSource,
    options: &BlockCreateOptions,
    min_fee_rate: u64,
    coinbase_script: &Script,
) -> Result<Template, String> {
    check_options(options)?;
    let tip = chain
        .tip()
        .ok_or("the chainstate is closed (shutting down)")?;
    let height = tip.height + 1;
    let picked = if options.use_mempool {
        // The mempool must not hand out transactions the tip already confirmed.
        if !source.wait_for_tip(&tip.hash, std::time::Duration::from_secs(5)) {
            tracing::warn!(tip = %tip.hash, "mempool has not caught up with the tip; building on it anyway");
        }
        // Core's TestPackage refuses to reach either limit exactly.
        let weight_left = MAX_BLOCK_WEIGHT
            .saturating_sub(options.block_reserved_weight)
            .saturating_sub(1);
        let sigops_left = MAX_BLOCK_SIGOPS_COST
            .saturating_sub(options.coinbase_output_max_additional_sigops)
            .saturating_sub(1);
        source.select_for_block(weight_left, sigops_left, min_fee_rate)
    } else {
        Vec::new()
    };
    let total_fees: Amount = picked.iter().map(|t| t.fee).sum();
    let reward = chain.subsidy(height) + total_fees;
    // Hashes come from the mempool's entries: nothing is hashed again or copied.
    let commitment = witness_commitment_of(picked.iter().map(|t| t.wtxid));
    let coinbase_tx = coinbase(height, coinbase_script, reward, Some(commitment));
    let coinbase_info = describe_coinbase(&coinbase_tx, height, reward);
    let time = block_time(&tip, now());
    let bits = CompactTarget::from_consensus(next_bits(chain, &tip, time));
    let mut leaves = Vec::with_capacity(picked.len() + 1);
    leaves.push(coinbase_tx.compute_txid().to_byte_array());
    leaves.extend(picked.iter().map(|t| t.txid.to_byte_array()));
    let (root, merkle_path) = super::merkle::root_and_first_branch(leaves);
    let merkle_root = TxMerkleNode::from_byte_array(root);
    let header = Header {
        version: bitcoin::block::Version::from_consensus(super::BLOCK_VERSION),
        prev_blockhash: tip.hash,
        merkle_root,
        time,
        bits,
        nonce: 0,
    };
    let raw_block = serialize_block(&header, &coinbase_tx, &picked);
    Ok(Template {
        merkle_path,
        raw_block,
        header,
        coinbase_tx,
        txids: picked.iter().map(|t| t.txid).collect(),
        wtxids: picked.iter().map(|t| t.wtxid).collect(),
        weights: picked.iter().map(|t| t.weight).collect(),
        fees: picked
            .iter()
            .map(|t| i64::try_from(t.fee.to_sat()).unwrap_or(i64::MAX))
            .collect(),
        sigops: picked
            .iter()
            .map(|t| i64::try_from(t.sigops_cost).unwrap_or(i64::MAX))
            .collect(),
        txs: picked.into_iter().map(|t| t.tx).collect(),
        height,
        total_fees,
        coinbase: coinbase_info,
    })
}

/// A block's consensus serialization (with witness) from its parts, in one buffer.
fn serialize_block(header: &Header, coinbase_tx: &Transaction, txs: &[BlockTx]) -> Vec<u8> {
    let weight: u64 = txs.iter().map(|t| t.weight).sum();
    let mut raw = Vec::with_capacity(usize::try_from(weight / 2).unwrap_or(0) + 1024);
    let count = VarInt::from(txs.len() + 1);
    // Writing to a Vec cannot fail.
    let _ = header.consensus_encode(&mut raw);
    let _ = count.consensus_encode(&mut raw);
    let _ = coinbase_tx.consensus_encode(&mut raw);
    for tx in txs {
        let _ = tx.tx.consensus_encode(&mut raw);
    }
    raw
}

impl Template {
    /// The whole block (a copy of every transaction: for RPC and tests, not the IPC path).
    pub fn block(&self) -> Block {
        let mut txdata = Vec::with_capacity(self.txs.len() + 1);
        txdata.push(self.coinbase_tx.clone());
        txdata.extend(self.txs.iter().map(|tx| (**tx).clone()));
        Block {
            header: self.header,
            txdata,
        }
    }
}

/// What a miner needs to rebuild `coinbase_tx` with its own outputs.
fn describe_coinbase(coinbase_tx: &Transaction, height: i32, reward: Amount) -> CoinbaseTx {
    let input = &coinbase_tx.input[0];
    let prefix = Builder::new().push_int(i64::from(height)).into_script();
    CoinbaseTx {
        version: u32::try_from(coinbase_tx.version.0).unwrap_or(2),
        sequence: input.sequence.0,
        script_sig_prefix: prefix.into_bytes(),
        witness: input.witness.iter().next().map(<[u8]>::to_vec),
        block_reward_remaining: i64::try_from(reward.to_sat()).unwrap_or(i64::MAX),
        required_outputs: coinbase_tx.output[1..].iter().map(serialize).collect(),
        lock_time: coinbase_tx.lock_time.to_consensus_u32(),
    }
}

/// The template's block with the miner's `coinbase` and header fields (Core's
/// `AddMerkleRootAndCoinbase`).
pub fn solve(
    template: &Template,
    version: u32,
    timestamp: u32,
    nonce: u32,
    coinbase: &[u8],
) -> Result<Block, String> {
    let coinbase: Transaction =
        deserialize(coinbase).map_err(|e| format!("coinbase transaction does not decode: {e}"))?;
    let mut block = template.block();
    block.txdata[0] = coinbase;
    block.header.version = bitcoin::block::Version::from_consensus(version as i32);
    block.header.time = timestamp;
    block.header.nonce = nonce;
    block.header.merkle_root = block
        .compute_merkle_root()
        .ok_or("block has no transactions")?;
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_errors_are_cores() {
        let mut options = BlockCreateOptions::default();
        assert_eq!(check_options(&options), Ok(()));
        options.block_reserved_weight = 1999;
        assert_eq!(
            check_options(&options).expect_err("refused"),
            "block_reserved_weight (1999) is lower than minimum safety value of (2000)"
        );
        options.block_reserved_weight = 4_000_001;
        assert_eq!(
            check_options(&options).expect_err("refused"),
            "block_reserved_weight (4000001) exceeds consensus maximum block weight (4000000)"
        );
        options.block_reserved_weight = 8000;
        options.coinbase_output_max_additional_sigops = 80_001;
        assert_eq!(
            check_options(&options).expect_err("refused"),
            "coinbase_output_max_additional_sigops (80001) exceeds consensus maximum block sigops cost (80000)"
        );
    }

    #[test]
    fn one_buffer_serialization_is_the_blocks() {
        let txs: Vec<BlockTx> = (1..4u8)
            .map(|n| {
                let tx = super::super::test_spend(n, true);
                BlockTx {
                    txid: tx.compute_txid(),
                    wtxid: tx.compute_wtxid(),
                    fee: Amount::from_sat(10),
                    weight: tx.weight().to_wu(),
                    sigops_cost: 0,
                    tx: Arc::new(tx),
                }
            })
            .collect();
        let cb = coinbase(5, Script::new(), Amount::ONE_BTC, None);
        let header = Header {
            version: bitcoin::block::Version::from_consensus(super::super::BLOCK_VERSION),
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        };
        let mut txdata = vec![cb.clone()];
        txdata.extend(txs.iter().map(|t| (*t.tx).clone()));
        let block = Block { header, txdata };
        assert_eq!(serialize_block(&header, &cb, &txs), serialize(&block));
    }
}
