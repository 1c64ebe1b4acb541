//! Two networks in one process, over loopback TCP, each on an in-memory chain (no kernel):
//! headers-first sync of a chain, and a transaction relayed from one mempool to the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::block::{Header, Version};
use bitcoin::blockdata::constants::genesis_block;
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, Network, OutPoint, ScriptBuf,
    Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};
use p2p::{ChainAccess, Net, NetConfig, TxRef};

struct State {
    headers: HashMap<BlockHash, (Header, i32)>,
    best_header: BlockHash,
    blocks: HashMap<BlockHash, Block>,
    active: Vec<BlockHash>,
    mempool: HashMap<Txid, Transaction>,
}

/// A chain that trusts every header that connects (no proof of work).
struct FakeChain(Mutex<State>);

impl FakeChain {
    fn new() -> Arc<FakeChain> {
        let genesis = genesis_block(Network::Regtest);
        let hash = genesis.block_hash();
        let mut state = State {
            headers: HashMap::new(),
            best_header: hash,
            blocks: HashMap::new(),
            active: vec![hash],
            mempool: HashMap::new(),
        };
        state.headers.insert(hash, (genesis.header, 0));
        state.blocks.insert(hash, genesis);
        Arc::new(FakeChain(Mutex::new(state)))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("not poisoned")
    }

    /// Mines `n` empty blocks on the tip.
    fn mine(&self, n: u32) {
        for _ in 0..n {
            let (prev, height) = self.tip().expect("tip");
            let header = Header {
                version: Version::TWO,
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_700_000_000 + u32::try_from(height).expect("small") + 1,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: 0,
            };
            self.process_headers(&[header]).expect("connects");
            self.submit_block(Block {
                header,
                txdata: Vec::new(),
            })
            .expect("valid");
        }
    }

    fn best_chain(state: &State) -> Vec<(BlockHash, i32)> {
        let mut out = Vec::new();
        let mut hash = state.best_header;
        while let Some((header, height)) = state.headers.get(&hash) {
            out.push((hash, *height));
            if *height == 0 {
                break;
            }
            hash = header.prev_blockhash;
        }
        out.reverse();
        out
    }
}

impl ChainAccess for FakeChain {
    fn tip(&self) -> Option<(BlockHash, i32)> {
        let state = self.state();
        let hash = *state.active.last()?;
        Some((hash, i32::try_from(state.active.len()).ok()? - 1))
    }

    fn locator(&self) -> Vec<BlockHash> {
        let state = self.state();
        // Core's shape: the last ten, then exponentially sparser, then genesis.
        let chain: Vec<BlockHash> = FakeChain::best_chain(&state)
            .into_iter()
            .rev()
            .map(|(h, _)| h)
            .collect();
        let (mut out, mut i, mut step) = (Vec::new(), 0, 1);
        while i < chain.len() {
            out.push(chain[i]);
            if out.len() >= 10 {
                step *= 2;
            }
            i += step;
        }
        out.extend(chain.last().filter(|g| out.last() != Some(g)));
        out
    }

    fn header_height(&self, hash: &BlockHash) -> Option<i32> {
        self.state().headers.get(hash).map(|(_, h)| *h)
    }

    fn header(&self, hash: &BlockHash) -> Option<Header> {
        self.state().headers.get(hash).map(|(h, _)| *h)
    }

    fn process_headers(&self, headers: &[Header]) -> Result<(), String> {
        let mut state = self.state();
        for header in headers {
            let Some((_, prev_height)) = state.headers.get(&header.prev_blockhash).copied() else {
                return Err("prev-blk-not-found".into());
            };
            let height = prev_height + 1;
            let hash = header.block_hash();
            state.headers.insert(hash, (*header, height));
            let best = state.headers[&state.best_header].1;
            if height > best {
                state.best_header = hash;
            }
        }
        Ok(())
    }

    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header> {
        let state = self.state();
        let start = locator
            .iter()
            .find_map(|h| state.active.iter().position(|a| a == h))
            .unwrap_or(0);
        let mut out = Vec::new();
        for hash in state.active.iter().skip(start + 1).take(max) {
            out.push(state.headers[hash].0);
            if hash == stop {
                break;
            }
        }
        out
    }

    fn missing_blocks(&self, max: usize) -> Vec<(BlockHash, i32)> {
        let state = self.state();
        FakeChain::best_chain(&state)
            .into_iter()
            .filter(|(h, _)| !state.blocks.contains_key(h))
            .take(max)
            .collect()
    }

    fn block(&self, hash: &BlockHash) -> Option<Block> {
        self.state().blocks.get(hash).cloned()
    }

    fn submit_block(&self, block: Block) -> Result<(), String> {
        let mut state = self.state();
        let hash = block.block_hash();
        if !state.headers.contains_key(&hash) {
            return Err("unknown header".into());
        }
        state.blocks.insert(hash, block);
        let chain = FakeChain::best_chain(&state);
        let connected: Vec<BlockHash> = chain
            .iter()
            .map(|(h, _)| *h)
            .take_while(|h| state.blocks.contains_key(h))
            .collect();
        state.active = connected;
        Ok(())
    }

    fn transaction(&self, id: TxRef) -> Option<Transaction> {
        let state = self.state();
        match id {
            TxRef::Txid(txid) => state.mempool.get(&txid).cloned(),
            TxRef::Wtxid(wtxid) => state
                .mempool
                .values()
                .find(|t| t.compute_wtxid() == wtxid)
                .cloned(),
        }
    }

    fn submit_transaction(&self, tx: Transaction) -> Result<(), String> {
        self.state().mempool.insert(tx.compute_txid(), tx);
        Ok(())
    }
}

fn config(bind: bool, connect: Vec<String>) -> NetConfig {
    NetConfig {
        network: Network::Regtest,
        bind: if bind {
            vec!["127.0.0.1:0".parse().expect("addr")]
        } else {
            Vec::new()
        },
        bind_required: true,
        connect,
        default_port: 18444,
        max_connections: 8,
        user_agent: "/loopback-test:0.1/".into(),
        peer_timeout: p2p::HANDSHAKE_TIMEOUT,
    }
}

fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_chain_syncs_and_a_transaction_relays_between_two_networks() {
    let source = FakeChain::new();
    // More than one `headers` message (2,000) worth.
    source.mine(2_100);
    let serving = Net::start(config(true, Vec::new()), source.clone()).expect("start");
    let addr = serving.bound()[0].to_string();
    let follower = FakeChain::new();
    let syncing = Net::start(config(false, vec![addr]), follower.clone()).expect("start");
    assert!(
        eventually(|| follower.tip() == source.tip()),
        "synced to {:?}",
        follower.tip()
    );
    // The follower counts the blocks its peer sent.
    assert!(eventually(|| syncing
        .peers()
        .first()
        .is_some_and(|p| p.synced_blocks == 2_100)));

    source.mine(1);
    serving.block_tip(source.tip().expect("tip").0);
    assert!(
        eventually(|| follower.tip() == source.tip()),
        "the new block was announced"
    );

    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::all_zeros(), 1),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[1u8; 33]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1_000),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    follower.submit_transaction(tx.clone()).expect("accepted");
    syncing.transaction_added(tx.clone());
    let txid = tx.compute_txid();
    assert!(
        eventually(|| source.transaction(TxRef::Txid(txid)).is_some()),
        "the transaction reached the other mempool"
    );
    let totals = syncing.totals();
    assert!(totals.bytes_recv > 2_100 * 80 && totals.bytes_sent > 0);
}
