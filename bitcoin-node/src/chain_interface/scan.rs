//! The node-side filter behind `Chain::scan`: blocks are read here and only the transactions
//! that pay to the caller's scripts or spend its outpoints cross to the caller. Outputs of
//! matched transactions that pay to the scripts join the watched outpoints as the scan goes, so
//! a later spend in the same range is found too (btcd's `rescanblocks` does the same).

use std::collections::HashSet;

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Script, ScriptBuf, Transaction, Txid};
use interfaces::{BlockInfo, BlockRef, Error, ScanMatch, ScanRequest, ScanResult};

use crate::chain::ChainState;
use crate::mempool::Mempool;

/// What the scan watches, growing as it finds the caller's outputs.
struct Filter {
    scripts: HashSet<ScriptBuf>,
    outpoints: HashSet<OutPoint>,
}

impl Filter {
    fn new(request: &ScanRequest) -> Filter {
        Filter {
            scripts: request
                .scripts
                .iter()
                .map(|s| ScriptBuf::from_bytes(s.clone()))
                .collect(),
            outpoints: request
                .outpoints
                .iter()
                .map(|o| OutPoint::new(Txid::from_byte_array(o.txid), o.vout))
                .collect(),
        }
    }

    fn pays(&self, script: &Script) -> bool {
        self.scripts.contains(script)
    }

    /// Whether `tx` matches; if so, its outputs that pay the scripts are watched from now on.
    fn check(&mut self, tx: &Transaction) -> bool {
        let spends = !tx.is_coinbase()
            && tx
                .input
                .iter()
                .any(|i| self.outpoints.contains(&i.previous_output));
        let mut pays = false;
        let txid = tx.compute_txid();
        for (vout, out) in tx.output.iter().enumerate() {
            if self.pays(&out.script_pubkey) {
                pays = true;
                self.outpoints
                    .insert(OutPoint::new(txid, u32::try_from(vout).unwrap_or(u32::MAX)));
            }
        }
        spends || pays
    }
}

/// Scans the active chain from `request.start_height` to its stop height (or the tip), and
/// the mempool when asked.
pub fn scan(
    chain: &ChainState,
    mempool: &Mempool,
    request: &ScanRequest,
) -> Result<ScanResult, Error> {
    let mut filter = Filter::new(request);
    let start = request.start_height.max(0);
    let tip = chain
        .tip()
        .ok_or_else(|| Error::failed("the chainstate is closed (shutting down)"))?;
    let stop = request
        .stop_height
        .map_or(tip.height, |s| s.min(tip.height));
    let mut result = ScanResult {
        last_scanned: BlockRef {
            hash: [0; 32],
            height: start - 1,
        },
        ..ScanResult::default()
    };
    for height in start..=stop {
        let Some(hash) = chain.block_hash_at(height) else {
            break; // the chain got shorter meanwhile (a reorg): the caller scans again
        };
        let block = chain
            .block(&hash)
            .ok_or_else(|| Error::failed(format!("block {hash} at height {height} not found")))?;
        result.blocks_scanned += 1;
        let info = BlockInfo {
            hash: hash.to_byte_array(),
            prev_hash: block.header.prev_blockhash.to_byte_array(),
            height,
            time: i64::from(block.header.time),
        };
        for (position, tx) in block.txdata.iter().enumerate() {
            if filter.check(tx) {
                result.matches.push(ScanMatch {
                    block: info,
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                    tx: serialize(tx),
                });
            }
        }
        result.last_scanned = BlockRef {
            hash: info.hash,
            height,
        };
    }
    if request.include_mempool {
        // Parents before children, so a child spending a matched parent's output is found.
        for tx in mempool.transactions_parents_first() {
            if filter.check(&tx) {
                result.mempool.push(serialize(&*tx));
            }
        }
    }
    tracing::debug!(
        target: "ipc",
        blocks = result.blocks_scanned,
        matches = result.matches.len(),
        mempool = result.mempool.len(),
        "chain scan"
    );
    Ok(result)
}
