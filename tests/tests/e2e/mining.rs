//! The `Mining` and `BlockTemplate` interfaces of a real `bitcoin-node` over IPC
//! (`Init.makeMining`), used as a Stratum v2 template provider uses them: templates, a
//! coinbase of the miner's own, solutions, `checkBlock`, waits and interrupts from other
//! threads, and templates that live until dropped (or until their client disconnects).

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::script::Builder;
use bitcoin::{
    absolute, transaction, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};
use interfaces::{
    BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions,
    CoinbaseTx, Error, Init, Mining, Rpc,
};
use serde_json::{json, Value};
use tests::{eventually, Node, DEADLINE};

/// Regtest's subsidy below the first halving (150 blocks), in satoshis.
const SUBSIDY: i64 = 50 * 100_000_000;

/// BIP141's witness commitment output script starts so.
const COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// Upper bound for "returned at once / promptly" on a busy 2-core machine.
const PROMPT: Duration = Duration::from_millis(500);

fn start_node() -> Node {
    Node::start(&["-printtoconsole=0"])
}

/// A new connection to the node at `socket` and its `Mining` (drop the `Mining` first).
fn connect(socket: &Path) -> (ipc::Connection, Box<dyn Mining>) {
    let (conn, init) = ipc::connect_init(socket).expect("connect to the node's socket");
    let mining = init.make_mining().expect("make_mining");
    (conn, mining)
}

fn new_template(mining: &dyn Mining) -> Box<dyn BlockTemplate> {
    mining
        .create_new_block(&BlockCreateOptions::default(), false)
        .expect("create_new_block")
        .expect("a template (not interrupted)")
}

fn tip(mining: &dyn Mining) -> BlockRef {
    mining.get_tip().expect("get_tip").expect("a tip")
}

/// Where the miner's own output pays: P2WSH of `OP_TRUE`.
fn payout_script() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&ScriptBuf::from_bytes(vec![0x51]).wscript_hash())
}

/// The coinbase a Stratum v2 template provider builds from `info`: the scriptSig prefix
/// (BIP34 height) and a 4-byte extranonce push, the whole reward to the miner's script,
/// then the required outputs (the witness commitment).
fn build_coinbase(info: &CoinbaseTx, extranonce: u32) -> Transaction {
    let mut script_sig = info.script_sig_prefix.clone();
    script_sig.push(0x04); // OP_PUSHBYTES_4
    script_sig.extend_from_slice(&extranonce.to_le_bytes());
    let reward = u64::try_from(info.block_reward_remaining).expect("reward is not negative");
    let mut output = vec![TxOut {
        value: Amount::from_sat(reward),
        script_pubkey: payout_script(),
    }];
    output.extend(
        info.required_outputs
            .iter()
            .map(|raw| deserialize::<TxOut>(raw).expect("a required output decodes as a TxOut")),
    );
    let mut witness = Witness::new();
    if let Some(item) = &info.witness {
        witness.push(item);
    }
    Transaction {
        version: transaction::Version(i32::try_from(info.version).expect("version fits")),
        lock_time: absolute::LockTime::from_consensus(info.lock_time),
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence(info.sequence),
            witness,
        }],
        output,
    }
}

/// The merkle root of a block whose coinbase is `coinbase` and whose coinbase branch is
/// `path` (siblings from the leaves up).
fn merkle_root(coinbase: &Transaction, path: &[Vec<u8>]) -> TxMerkleNode {
    let mut hash = coinbase.compute_txid().to_byte_array();
    for sibling in path {
        assert_eq!(sibling.len(), 32, "merkle path hashes are 32 bytes");
        let mut both = hash.to_vec();
        both.extend_from_slice(sibling);
        hash = sha256d::Hash::hash(&both).to_byte_array();
    }
    TxMerkleNode::from_byte_array(hash)
}

/// A miner's work on a template: its header (merkle root set) and its coinbase.
struct Work {
    header: Header,
    coinbase: Transaction,
}

impl Work {
    /// Builds a coinbase for `template` and sets the header's merkle root, nonce 0.
    fn new(template: &dyn BlockTemplate, extranonce: u32) -> Work {
        let raw_header = template.get_block_header().expect("get_block_header");
        let mut header: Header = deserialize(&raw_header).expect("header decodes");
        let info = template.get_coinbase_tx().expect("get_coinbase_tx");
        let coinbase = build_coinbase(&info, extranonce);
        let path = template
            .get_coinbase_merkle_path()
            .expect("get_coinbase_merkle_path");
        header.merkle_root = merkle_root(&coinbase, &path);
        header.nonce = 0;
        Work { header, coinbase }
    }

    /// Sets the first nonce whose header meets (`valid`) or misses the target.
    fn grind(&mut self, valid: bool) {
        let target = self.header.target();
        for nonce in 0..10_000 {
            self.header.nonce = nonce;
            if self.header.validate_pow(target).is_ok() == valid {
                return;
            }
        }
        panic!("no nonce with valid proof of work == {valid} in 10000 tries");
    }

    /// The whole block: the template's block with this coinbase and header.
    fn block(&self, template: &dyn BlockTemplate) -> Vec<u8> {
        let mut block: Block =
            deserialize(&template.get_block().expect("get_block")).expect("block decodes");
        block.txdata[0] = self.coinbase.clone();
        block.header = self.header;
        serialize(&block)
    }

    fn submit(&self, template: &dyn BlockTemplate) -> BlockVerdict {
        let version = u32::from_ne_bytes(self.header.version.to_consensus().to_ne_bytes());
        template
            .submit_solution(
                version,
                self.header.time,
                self.header.nonce,
                &serialize(&self.coinbase),
            )
            .expect("submit_solution")
    }

    fn hash(&self) -> [u8; 32] {
        self.header.block_hash().to_byte_array()
    }
}

/// Mines one block on the tip through a template; returns the new tip.
fn mine_block(mining: &dyn Mining) -> BlockRef {
    let before = tip(mining);
    let template = new_template(mining);
    let mut work = Work::new(&*template, 7);
    work.grind(true);
    let verdict = work.submit(&*template);
    assert!(verdict.result, "submit_solution rejected: {verdict:?}");
    let after = tip(mining);
    assert_eq!(
        after,
        BlockRef {
            hash: work.hash(),
            height: before.height + 1
        }
    );
    after
}

/// The template on `tip` hands out a consistent header, block, coinbase description and
/// merkle path, as Core's does on an empty mempool.
fn check_template(template: &dyn BlockTemplate, tip: &BlockRef) {
    let height = tip.height + 1;
    let raw_header = template.get_block_header().expect("get_block_header");
    assert_eq!(raw_header.len(), 80);
    let header: Header = deserialize(&raw_header).expect("header decodes");
    assert_eq!(header.prev_blockhash.to_byte_array(), tip.hash);
    let block: Block =
        deserialize(&template.get_block().expect("get_block")).expect("get_block decodes");
    assert_eq!(
        block.header, header,
        "get_block's header != get_block_header"
    );
    assert!(block.check_merkle_root());
    let path = template
        .get_coinbase_merkle_path()
        .expect("get_coinbase_merkle_path");
    assert_eq!(merkle_root(&block.txdata[0], &path), header.merkle_root);
    assert_eq!(
        template.get_tx_fees().expect("fees").len(),
        block.txdata.len() - 1
    );
    assert_eq!(
        template.get_tx_sigops().expect("sigops").len(),
        block.txdata.len() - 1
    );

    let info = template.get_coinbase_tx().expect("get_coinbase_tx");
    let bip34 = Builder::new().push_int(i64::from(height)).into_script();
    assert_eq!(info.script_sig_prefix, bip34.as_bytes(), "height {height}");
    assert_eq!(info.block_reward_remaining, SUBSIDY);
    assert_eq!(info.witness, Some(vec![0; 32]), "BIP141 reserved value");
    assert_eq!(info.required_outputs.len(), 1, "the witness commitment");
    let commitment: TxOut = deserialize(&info.required_outputs[0]).expect("TxOut");
    assert_eq!(commitment.value, Amount::ZERO);
    assert_eq!(commitment.script_pubkey.as_bytes()[..6], COMMITMENT_HEADER);
    assert_eq!(block.txdata[0].output[1..], [commitment]);
    assert_eq!(info.lock_time, u32::try_from(height - 1).expect("height"));
    assert_eq!(info.sequence, 0xffff_fffe);
}

/// One round of the template provider's flow on `mining`, mining the block at tip + 1.
fn provider_round(mining: &dyn Mining, extranonce: u32) {
    let old = tip(mining);
    let template = new_template(mining);
    check_template(&*template, &old);
    let mut work = Work::new(&*template, extranonce);
    assert!(
        work.coinbase.input[0].script_sig.len() >= 2,
        "bad-cb-length"
    );
    work.grind(true);
    let verdict = work.submit(&*template);
    assert_eq!(
        verdict,
        BlockVerdict {
            result: true,
            ..BlockVerdict::default()
        },
        "submit_solution at height {}",
        old.height + 1
    );
    let new = tip(mining);
    assert_eq!(new.height, old.height + 1);
    assert_eq!(new.hash, work.hash(), "the tip is the block just solved");

    check_tip_waits(mining, &old, &new);
    check_block_checks(mining, &new, extranonce);
    assert_eq!(tip(mining), new, "check_block must not change the tip");

    let again = work.submit(&*template);
    assert!(!again.result, "{again:?}");
    assert_eq!(again.reason, "duplicate");
}

/// `wait_tip_changed` returns at once when the tip is already another one, and the tip
/// itself after the timeout when it is not.
fn check_tip_waits(mining: &dyn Mining, old: &BlockRef, new: &BlockRef) {
    let start = Instant::now();
    let changed = mining
        .wait_tip_changed(&old.hash, 10_000.0)
        .expect("wait_tip_changed");
    assert_eq!(changed, Some(*new));
    assert!(start.elapsed() < PROMPT, "took {:?}", start.elapsed());

    let start = Instant::now();
    let same = mining
        .wait_tip_changed(&new.hash, 100.0)
        .expect("wait_tip_changed");
    let waited = start.elapsed();
    assert_eq!(same, Some(*new), "a timed-out wait returns the current tip");
    assert!(
        waited >= Duration::from_millis(100),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(100) + PROMPT,
        "returned after {waited:?}"
    );
}

/// `check_block` on a block built from a fresh template: valid, `high-hash` with a nonce
/// that misses the target, and valid again when proof of work is not checked.
fn check_block_checks(mining: &dyn Mining, tip: &BlockRef, extranonce: u32) {
    let template = new_template(mining);
    let mut work = Work::new(&*template, extranonce + 1000);
    assert_eq!(work.header.prev_blockhash.to_byte_array(), tip.hash);
    let valid = BlockVerdict {
        result: true,
        ..BlockVerdict::default()
    };

    work.grind(true);
    let verdict = mining
        .check_block(&work.block(&*template), &BlockCheckOptions::default())
        .expect("check_block");
    assert_eq!(
        verdict,
        valid,
        "a solved block at height {}",
        tip.height + 1
    );

    work.grind(false);
    let block = work.block(&*template);
    let verdict = mining
        .check_block(&block, &BlockCheckOptions::default())
        .expect("check_block");
    assert!(!verdict.result, "{verdict:?}");
    assert_eq!(verdict.reason, "high-hash", "{verdict:?}");

    let no_pow = BlockCheckOptions {
        check_pow: false,
        ..BlockCheckOptions::default()
    };
    let verdict = mining.check_block(&block, &no_pow).expect("check_block");
    assert_eq!(
        verdict,
        valid,
        "check_pow=false at height {}",
        tip.height + 1
    );
}

#[test]
fn template_provider_flow() {
    let node = start_node();
    let (_conn, mining) = connect(&node.socket());
    assert!(mining.is_test_chain().expect("is_test_chain"));
    let genesis = tip(&*mining);
    assert_eq!(genesis.height, 0);
    // Heights 1..=3: the BIP34 push is a single opcode (OP_1..OP_3), the extranonce makes
    // the scriptSig long enough.
    for round in 0..3 {
        provider_round(&*mining, round);
    }
    assert_eq!(tip(&*mining).height, 3);
}

/// The message of a `create_new_block` that must fail.
/// One node serves template providers written against Core v31 (`submitSolution @7 -> Bool`)
/// and v32 (`submitSolution @10 -> (reason, debug, result)`); bad input fails the call only.
#[test]
fn v31_and_v32_solutions_on_one_node() {
    let node = start_node();
    let (conn, mining) = connect(&node.socket());
    let old = tip(&*mining);
    let template = new_template(&*mining);
    let mut work = Work::new(&*template, 31);
    let version = u32::from_ne_bytes(work.header.version.to_consensus().to_ne_bytes());
    let coinbase = serialize(&work.coinbase);
    let submit_v31 = |work: &Work| {
        template
            .submit_solution_old7(version, work.header.time, work.header.nonce, &coinbase)
            .expect("submitSolution @7")
    };
    work.grind(false);
    assert!(
        !submit_v31(&work),
        "v31: a block without proof of work is refused"
    );
    assert_eq!(tip(&*mining), old);
    let error = template
        .submit_solution_old7(version, work.header.time, work.header.nonce, &[0xff, 0x00])
        .expect_err("an undecodable coinbase");
    assert!(error.to_string().contains("coinbase"), "{error}");
    work.grind(true);
    assert!(submit_v31(&work), "v31: the solved block is accepted");
    assert_eq!(tip(&*mining).hash, work.hash());
    assert!(
        submit_v31(&work),
        "v31: a known valid block is true (ProcessNewBlock)"
    );
    let v32 = work.submit(&*template);
    assert_eq!((v32.result, v32.reason.as_str()), (false, "duplicate"));
    assert_eq!(tip(&*mining).height, old.height + 1);
    drop(template);
    drop(mining);
    drop(conn);
}

fn create_error(mining: &dyn Mining, options: BlockCreateOptions) -> Error {
    match mining.create_new_block(&options, false) {
        Ok(_) => panic!("create_new_block({options:?}) succeeded"),
        Err(e) => e,
    }
}

#[test]
fn option_errors_are_cores() {
    let node = start_node();
    let (_conn, mining) = connect(&node.socket());
    let with = |block_reserved_weight, coinbase_output_max_additional_sigops| BlockCreateOptions {
        block_reserved_weight,
        coinbase_output_max_additional_sigops,
        ..BlockCreateOptions::default()
    };
    let cases = [
        (
            with(1999, 400),
            "block_reserved_weight (1999) is lower than minimum safety value of (2000)",
        ),
        (
            with(4_000_001, 400),
            "block_reserved_weight (4000001) exceeds consensus maximum block weight (4000000)",
        ),
        (
            with(8000, 80_001),
            "coinbase_output_max_additional_sigops (80001) exceeds consensus maximum block sigops cost (80000)",
        ),
    ];
    for (options, message) in cases {
        let error = create_error(&*mining, options);
        assert!(matches!(error, Error::Remote(_)), "{error:?}");
        assert_eq!(error.message(), message);
    }
    // The limits themselves are accepted.
    for options in [with(2000, 400), with(4_000_000, 400), with(8000, 80_000)] {
        let template = mining
            .create_new_block(&options, false)
            .unwrap_or_else(|e| panic!("create_new_block({options:?}): {e}"));
        assert!(template.is_some(), "{options:?}");
    }
}

/// Runs `wait` on this thread while another thread calls `interrupt` after 200 ms; checks
/// that `wait` returned `None` (here: what it returned, described) promptly after the
/// interrupt.
fn interrupted(wait: impl FnOnce() -> Option<String>, interrupt: impl FnOnce() + Send) {
    let start = Instant::now();
    let (result, returned, interrupted_at) = thread::scope(|s| {
        let interrupter = s.spawn(move || {
            thread::sleep(Duration::from_millis(200));
            interrupt();
            Instant::now()
        });
        let result = wait();
        let returned = Instant::now();
        (result, returned, interrupter.join().expect("interrupter"))
    });
    assert!(result.is_none(), "not interrupted: {result:?}");
    let waited = returned - start;
    assert!(
        waited >= Duration::from_millis(200),
        "returned after {waited:?}"
    );
    let late = returned.saturating_duration_since(interrupted_at);
    assert!(late < PROMPT, "returned {late:?} after the interrupt");
}

#[test]
fn waits_and_interrupts() {
    let node = start_node();
    let socket = node.socket();
    let (_conn, mining) = connect(&socket);
    // A recent tip: on a stale one (genesis) regtest's 20-minute rule makes wait_next
    // hand out a fresh template at once, as Core does.
    let current = mine_block(&*mining);

    interrupted(
        || {
            mining
                .wait_tip_changed(&current.hash, f64::MAX)
                .expect("wait_tip_changed")
                .map(|tip| format!("{tip:?}"))
        },
        || mining.interrupt().expect("interrupt"),
    );
    // The interrupt was consumed: the next wait times out with the tip.
    let after = mining
        .wait_tip_changed(&current.hash, 50.0)
        .expect("wait_tip_changed");
    assert_eq!(after, Some(current));

    let template = new_template(&*mining);
    let forever = BlockWaitOptions {
        timeout: f64::MAX,
        ..BlockWaitOptions::default()
    };
    interrupted(
        || {
            let next = template.wait_next(&forever).expect("wait_next");
            next.map(|_| "a template".to_string())
        },
        || template.interrupt_wait().expect("interrupt_wait"),
    );

    let short = BlockWaitOptions {
        timeout: 200.0,
        ..BlockWaitOptions::default()
    };
    let start = Instant::now();
    let next = template.wait_next(&short).expect("wait_next");
    let waited = start.elapsed();
    assert!(next.is_none(), "no new tip, no fee threshold: no template");
    assert!(
        waited >= Duration::from_millis(200),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(200) + Duration::from_secs(2),
        "{waited:?}"
    );

    wait_next_sees_new_tip(&*template, &socket, &current);
}

/// `wait_next` on `template` returns a template on the block another client mines meanwhile.
fn wait_next_sees_new_tip(template: &dyn BlockTemplate, socket: &Path, current: &BlockRef) {
    let options = BlockWaitOptions {
        timeout: 20_000.0,
        ..BlockWaitOptions::default()
    };
    let start = Instant::now();
    let (next, mined) = thread::scope(|s| {
        let miner = s.spawn(|| {
            thread::sleep(Duration::from_millis(200));
            let (_conn, other) = connect(socket);
            let mined = mine_block(&*other);
            (mined, Instant::now())
        });
        let next = template.wait_next(&options).expect("wait_next");
        (next, miner.join().expect("miner thread"))
    });
    let (mined, mined_at) = mined;
    let returned = start.elapsed();
    assert_eq!(mined.height, current.height + 1);
    let next = next.expect("wait_next returns a template on the new tip");
    let header: Header =
        deserialize(&next.get_block_header().expect("header")).expect("header decodes");
    assert_eq!(header.prev_blockhash.to_byte_array(), mined.hash);
    assert!(
        returned < Duration::from_secs(10),
        "returned after {returned:?}"
    );
    // The miner slept 200 ms before connecting; the wait ended soon after its block.
    assert!(
        returned >= Duration::from_millis(200),
        "returned after {returned:?}"
    );
    let late = (start + returned).saturating_duration_since(mined_at);
    assert!(late < PROMPT, "returned {late:?} after the block was mined");
    // The new template is a template in its own right.
    check_template(&*next, &mined);
}

/// `getipcinfo`'s (objects, block_templates).
fn ipc_info(rpc: &dyn Rpc) -> (u64, u64) {
    let request = json!({"id": 1, "method": "getipcinfo", "params": []}).to_string();
    let reply = rpc.execute_rpc(&request, "/", "").expect("execute_rpc");
    let reply: Value = serde_json::from_str(&reply).expect("reply is JSON");
    assert!(reply["error"].is_null(), "getipcinfo: {reply}");
    let result = &reply["result"];
    (
        result["objects"].as_u64().expect("objects"),
        result["block_templates"].as_u64().expect("block_templates"),
    )
}

#[test]
fn templates_live_until_dropped() {
    let node = start_node();
    let (_observer_conn, observer) =
        ipc::connect_init(&node.socket()).expect("connect to the node's socket");
    let rpc = observer.make_rpc().expect("make_rpc");
    let (baseline_objects, templates) = ipc_info(&*rpc);
    assert_eq!(templates, 0);

    let (conn, mining) = connect(&node.socket());
    let mut held: Vec<Box<dyn BlockTemplate>> = (0..3).map(|_| new_template(&*mining)).collect();
    assert_eq!(ipc_info(&*rpc).1, 3);

    // Mine on one of them; wait_next on another hands out a new, independent template.
    let mut work = Work::new(&*held[0], 1);
    work.grind(true);
    assert!(work.submit(&*held[0]).result);
    let next = held[1]
        .wait_next(&BlockWaitOptions {
            timeout: 10_000.0,
            ..BlockWaitOptions::default()
        })
        .expect("wait_next")
        .expect("a template on the new tip");
    held.push(next);
    assert_eq!(
        ipc_info(&*rpc).1,
        4,
        "mined-on and outdated templates stay alive"
    );

    drop(held.remove(0));
    assert_eq!(
        ipc_info(&*rpc).1,
        3,
        "dropping frees the template before it returns"
    );
    drop(held.remove(0));
    assert_eq!(ipc_info(&*rpc).1, 2);
    let (objects, _) = ipc_info(&*rpc);
    assert!(
        objects > baseline_objects,
        "{objects} <= {baseline_objects}"
    );

    // The client goes away while holding two templates and its Mining.
    drop(conn);
    assert!(
        eventually(DEADLINE, || ipc_info(&*rpc).1 == 0),
        "templates of a disconnected client still alive: {:?}",
        ipc_info(&*rpc)
    );
    assert!(
        eventually(DEADLINE, || ipc_info(&*rpc).0 == baseline_objects),
        "objects of a disconnected client still alive: {:?} (baseline {baseline_objects})",
        ipc_info(&*rpc)
    );
    // Dropping the proxies of a closed connection is harmless.
    drop(held);
    drop(mining);
    assert_eq!(ipc_info(&*rpc), (baseline_objects, 0));
}

#[test]
fn get_transactions_unknown() {
    let node = start_node();
    let (_conn, mining) = connect(&node.socket());
    let ids = [vec![0; 32], vec![1, 2, 3]];
    let empty: Vec<Vec<u8>> = vec![vec![], vec![]];
    assert_eq!(
        mining
            .get_transactions_by_tx_i_d(&ids)
            .expect("get_transactions_by_tx_i_d"),
        empty
    );
    assert_eq!(
        mining
            .get_transactions_by_witness_i_d(&ids)
            .expect("get_transactions_by_witness_i_d"),
        empty
    );
    assert_eq!(
        mining.get_transactions_by_tx_i_d(&[]).expect("empty list"),
        Vec::<Vec<u8>>::new()
    );
}

#[test]
fn mining_over_ipc_passes_the_conformance_suite() {
    let node = start_node();
    let (_conn, mining) = connect(&node.socket());
    // A block with the current time ends initial block download.
    mine_block(mining.as_ref());
    let (_conn2, miner) = connect(&node.socket());
    let advance = || {
        mine_block(miner.as_ref());
    };
    interfaces::mining_conformance::run(mining.as_ref(), &advance);
}

/// Threads of process `pid`.
fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| tasks.count())
        .unwrap_or(0)
}

#[test]
fn a_client_gone_mid_wait_next_costs_the_node_nothing() {
    let node = start_node();
    let (_conn, mining) = connect(&node.socket());
    mine_block(mining.as_ref());
    let (_observer_conn, observer) = ipc::connect_init(&node.socket()).expect("connect");
    let rpc = observer.make_rpc().expect("make_rpc");
    let baseline = (thread_count(node.process.pid()), ipc_info(&*rpc));

    let (conn, quitter) = connect(&node.socket());
    let template = new_template(quitter.as_ref());
    let waiting = thread::scope(|scope| {
        let waiter = scope.spawn(|| template.wait_next(&BlockWaitOptions::default()));
        thread::sleep(Duration::from_millis(300));
        assert!(
            thread_count(node.process.pid()) > baseline.0,
            "a server thread serves the wait"
        );
        conn.close();
        waiter.join().expect("the waiting thread ends")
    });
    assert!(
        waiting.as_ref().is_err_and(Error::is_disconnected),
        "the wait fails as disconnected: {:?}",
        waiting.as_ref().err()
    );
    // The node ends the abandoned wait within its one-second tick and frees everything.
    assert!(
        eventually(DEADLINE, || (
            thread_count(node.process.pid()),
            ipc_info(&*rpc)
        ) == baseline),
        "node threads and objects back to {baseline:?}: now {:?}",
        (thread_count(node.process.pid()), ipc_info(&*rpc))
    );
    drop(template);
    drop(quitter);
    // The node still serves everyone else.
    mine_block(mining.as_ref());
}
