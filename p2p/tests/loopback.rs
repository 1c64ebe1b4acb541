//! Two networks in one process, over loopback TCP, each on an in-memory chain (no kernel):
//! headers-first sync of a chain and a transaction relayed from one mempool to the other over
//! v2 transport (BIP324), the v1 fallback in both directions when one side has v2 off, and raw
//! v2 peers sending a bad tag, an oversized packet or endless garbage disconnected, and unknown
//! v2 message types skipped, and BIP152 compact blocks: a high-bandwidth peer's
//! `cmpctblock` rebuilt from the mempool and completed with `getblocktxn`/`blocktxn`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::block::{Header, Version};
use bitcoin::blockdata::constants::genesis_block;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, Magic, ServiceFlags};
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, Network, OutPoint, ScriptBuf,
    Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness, Wtxid,
};
use p2p::{ChainAccess, Net, NetConfig, TxRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    /// Mines a block of a coinbase and `txs` on the tip, stamped now, with a correct merkle
    /// root and witness commitment; returns its hash.
    fn mine_with(&self, txs: &[Transaction]) -> BlockHash {
        let (prev, height) = self.tip().expect("tip");
        let coinbase = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(
                    (height + 1)
                        .to_le_bytes()
                        .into_iter()
                        .chain([0x51])
                        .collect(),
                ),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&[[0u8; 32]]),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(50),
                script_pubkey: ScriptBuf::new(),
            }],
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let mut block = Block {
            header: Header {
                version: Version::TWO,
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: u32::try_from(now).expect("before 2106"),
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: 0,
            },
            txdata: std::iter::once(coinbase)
                .chain(txs.iter().cloned())
                .collect(),
        };
        let root = block.witness_root().expect("transactions");
        let commitment = Block::compute_witness_commitment(&root, &[0u8; 32]);
        let mut script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
        script.extend_from_slice(commitment.as_byte_array());
        block.txdata[0].output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        });
        block.header.merkle_root = block.compute_merkle_root().expect("transactions");
        let hash = block.block_hash();
        self.process_headers(&[block.header]).expect("connects");
        self.submit_block(block).expect("valid");
        hash
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

    fn mempool_transactions(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        self.state()
            .mempool
            .values()
            .map(|tx| (tx.compute_wtxid(), Arc::new(tx.clone())))
            .collect()
    }

    fn submit_transaction(&self, tx: Transaction) -> Result<(), p2p::TxRejected> {
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
        // Room for inbound peers once Core's outbound slots are taken out.
        max_connections: p2p::DEFAULT_MAX_CONNECTIONS,
        user_agent: "/loopback-test:0.1/".into(),
        peer_timeout: p2p::HANDSHAKE_TIMEOUT,
        v2transport: true,
        ban_time: Duration::from_secs(p2p::ban::DEFAULT_BAN_TIME),
        banlist: None,
        peers_file: None,
        auto_outbound: false,
        dns_seed: false,
        fixed_seeds: false,
        seed_nodes: Vec::new(),
        anchors_file: None,
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

    // Both ends used v2 and derived the same session id.
    let ours = syncing.peers().pop().expect("a peer");
    let theirs = serving.peers().pop().expect("a peer");
    assert_eq!(ours.transport_protocol_type, "v2");
    assert_eq!(theirs.transport_protocol_type, "v2");
    assert_eq!(ours.session_id.len(), 64);
    assert_eq!(ours.session_id, theirs.session_id);
    assert!(serving.local_services().has(ServiceFlags::P2P_V2));
}

/// A follower syncing 20 blocks from a server, with `-v2transport` as given on each side;
/// returns the transport both ends report.
fn sync_with(server_v2: bool, follower_v2: bool) -> (&'static str, &'static str) {
    let source = FakeChain::new();
    source.mine(20);
    let mut server_config = config(true, Vec::new());
    server_config.v2transport = server_v2;
    let serving = Net::start(server_config, source.clone()).expect("start");
    let addr = serving.bound()[0].to_string();
    let follower = FakeChain::new();
    let mut follower_config = config(false, vec![addr]);
    follower_config.v2transport = follower_v2;
    let syncing = Net::start(follower_config, follower.clone()).expect("start");
    assert!(
        eventually(|| follower.tip() == source.tip()),
        "synced to {:?}",
        follower.tip()
    );
    let handshaken = |net: &Net| {
        net.peers()
            .into_iter()
            .find(|p| p.handshake_done)
            .map(|p| (p.transport_protocol_type, p.session_id))
    };
    let mut ours = None;
    let mut theirs = None;
    assert!(eventually(|| {
        ours = handshaken(&syncing);
        theirs = handshaken(&serving);
        ours.is_some() && theirs.is_some()
    }));
    let (ours, ours_id) = ours.expect("checked");
    let (theirs, theirs_id) = theirs.expect("checked");
    if ours == "v1" {
        assert!(ours_id.is_empty() && theirs_id.is_empty());
    }
    assert!(!syncing.local_services().has(ServiceFlags::P2P_V2) || follower_v2);
    (ours, theirs)
}

#[test]
fn a_v2_node_falls_back_to_v1_with_a_v1_only_peer() {
    // Our v2 key looks like a wrong magic to the v1-only server, which closes: we reconnect
    // with v1.
    assert_eq!(sync_with(false, true), ("v1", "v1"));
}

#[test]
fn a_v1_only_node_is_answered_in_v1_by_a_v2_node() {
    // The server sees a v1 `version` header in the first 16 bytes and answers in v1.
    assert_eq!(sync_with(true, false), ("v1", "v1"));
}

/// A raw connection to `addr` that completed the v2 handshake as initiator.
async fn raw_v2(addr: &str) -> (tokio::net::TcpStream, p2p::v2::Session) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let mut wire = p2p::v2::Wire::new(read);
    let session = p2p::v2::handshake(
        &mut wire,
        &mut write,
        Magic::REGTEST,
        p2p::v2::Role::Initiator,
    )
    .await
    .expect("handshake");
    assert!(wire.buffered.is_empty(), "the node waits for our version");
    (wire.inner.reunite(write).expect("same stream"), session)
}

/// A `version` message from a peer at height 0.
fn version_message() -> NetworkMessage {
    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut version = VersionMessage::new(
        ServiceFlags::NONE,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, ServiceFlags::NONE),
        0x5eed,
        "/raw:0.1/".into(),
        0,
    );
    version.version = 70016;
    NetworkMessage::Version(version)
}

/// Writes `bytes` and waits until the node closes the connection.
async fn closed_after(mut stream: tokio::net::TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("write");
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => panic!("the node did not close the connection"),
        }
    }
}

#[test]
fn raw_v2_peers_sending_bad_packets_or_garbage_are_disconnected() {
    let chain = FakeChain::new();
    chain.mine(5);
    let net = Net::start(config(true, Vec::new()), chain.clone()).expect("start");
    let addr = net.bound()[0].to_string();
    let follower = FakeChain::new();
    let good = Net::start(config(false, vec![addr.clone()]), follower.clone()).expect("start");
    assert!(eventually(|| follower.tip() == chain.tip()), "synced");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        // A packet whose tag does not match.
        let (stream, mut session) = raw_v2(&addr).await;
        let mut packet = p2p::v2::encrypt_packet(
            &mut session.outbound,
            &p2p::v2::encode_contents("ping", &[0; 8]),
        );
        let last = packet.len() - 1;
        packet[last] ^= 0x01;
        closed_after(stream, &packet).await;

        // A packet longer than the largest message, refused from its length alone.
        let (stream, mut session) = raw_v2(&addr).await;
        let contents = vec![0u8; p2p::v2::MAX_CONTENTS_LEN + 1];
        let packet = p2p::v2::encrypt_packet(&mut session.outbound, &contents);
        closed_after(stream, &packet[..64]).await;

        // A key, then more garbage than BIP324 allows without a terminator.
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        closed_after(stream, &[0x5a; 64 + 4096 + 16]).await;

        // Message types BIP324 does not assign, or malformed, are skipped (as Core does):
        // the `version` after them is answered.
        let (mut stream, mut session) = raw_v2(&addr).await;
        let mut bytes = Vec::new();
        for contents in [&[31u8, 1, 2][..], &[0, b'x', 1], &[0; 13]] {
            bytes.extend(p2p::v2::encrypt_packet(&mut session.outbound, contents));
        }
        let version = version_message();
        let (command, payload) = p2p::codec::message_parts(Magic::REGTEST, version);
        bytes.extend(p2p::v2::encrypt_packet(
            &mut session.outbound,
            &p2p::v2::encode_contents(command, &payload),
        ));
        stream.write_all(&bytes).await.expect("write");
        let (contents, _) = p2p::v2::read_packet(&mut stream, &mut session.inbound)
            .await
            .expect("an answer");
        let contents = contents.expect("not a decoy");
        let (command, _) = p2p::v2::decode_contents(&contents).expect("a known type");
        assert_eq!(command, "version");
    });
    // The good peer is still there and still syncing.
    chain.mine(1);
    net.block_tip(chain.tip().expect("tip").0);
    assert!(eventually(|| follower.tip() == chain.tip()), "kept syncing");
    assert!(
        eventually(|| net.peers().len() == 1),
        "only the good peer left"
    );
    drop(good);
}

/// A transaction with a witness, distinct for each `n`.
fn witness_tx(n: u8) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::from_byte_array([n; 32]), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[n; 33]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1_000),
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

/// Bytes of `msg` messages received from the only peer of `net`.
fn received(net: &Net, msg: &str) -> u64 {
    net.peers()
        .first()
        .and_then(|p| p.bytesrecv_per_msg.get(msg).copied())
        .unwrap_or(0)
}

#[test]
fn a_compact_block_is_pushed_rebuilt_from_the_mempool_and_completed_with_blocktxn() {
    let source = FakeChain::new();
    let serving = Net::start(config(true, Vec::new()), source.clone()).expect("start");
    let addr = serving.bound()[0].to_string();
    let follower = FakeChain::new();
    let syncing = Net::start(config(false, vec![addr]), follower.clone()).expect("start");
    assert!(
        eventually(|| received(&syncing, "sendcmpct") > 0),
        "the server offered compact blocks"
    );
    // The follower's tip is genesis (2011): this first block comes whole, then the server
    // that gave it becomes a high-bandwidth peer.
    let first = source.mine_with(&[]);
    serving.block_tip(first);
    assert!(
        eventually(|| syncing.peers().first().is_some_and(|p| p.bip152_hb_to)
            && serving.peers().first().is_some_and(|p| p.bip152_hb_from)),
        "the follower asked for high-bandwidth compact blocks"
    );
    assert_eq!(follower.tip(), source.tip());
    let blocks = received(&syncing, "block");
    assert!(blocks > 0);

    // The follower has one of the two transactions.
    let (known, unknown) = (witness_tx(1), witness_tx(2));
    follower
        .submit_transaction(known.clone())
        .expect("accepted");
    let hash = source.mine_with(&[known, unknown]);
    serving.block_tip(hash);
    assert!(
        eventually(|| follower.tip() == source.tip()),
        "the follower rebuilt the block"
    );
    assert_eq!(follower.block(&hash), source.block(&hash));
    assert!(received(&syncing, "cmpctblock") > 0);
    assert!(received(&syncing, "blocktxn") > 0);
    assert_eq!(received(&syncing, "block"), blocks, "no full block");
    let sent = syncing.peers().pop().expect("a peer").bytessent_per_msg;
    assert!(sent.get("getblocktxn").is_some_and(|n| *n > 0));
}

#[test]
fn a_seed_node_is_asked_for_addresses_then_disconnected() {
    // The seed knows a few addresses (nobody listens there).
    let seed = Net::start(config(true, Vec::new()), FakeChain::new()).expect("start");
    let known: Vec<std::net::SocketAddr> = (1..=3)
        .map(|i| std::net::SocketAddr::from(([127, 0, 0, 1], 1000 + i)))
        .collect();
    for addr in &known {
        assert!(seed.add_peer_address(*addr, false));
    }
    let mut cfg = config(false, Vec::new());
    cfg.auto_outbound = true;
    cfg.seed_nodes = vec![seed.bound()[0].to_string()];
    let node = Net::start(cfg, FakeChain::new()).expect("start");
    assert!(
        eventually(|| {
            let learned: Vec<_> = node.addresses(0, |_| true).iter().map(|a| a.addr).collect();
            known.iter().all(|a| learned.contains(a))
        }),
        "the seed's addresses were learned"
    );
    // The addr-fetch connection ends once the answer came; the seed's own address was not
    // added to the table.
    assert!(
        eventually(|| seed.peers().is_empty()),
        "the seed node was disconnected: {:?}",
        seed.peers()
            .iter()
            .map(|p| p.connection_type)
            .collect::<Vec<_>>()
    );
    let counts = node.addrman_counts();
    let total: usize = counts.by_network.values().map(|(n, t)| n + t).sum();
    assert_eq!(total, known.len());
}
