//! A tiny wallet for tests (Core's `MiniWallet`): in [`MiniWallet::op_true`] mode it mines to
//! the P2WSH address of the script `OP_TRUE` and spends such outputs with the witness
//! `[OP_TRUE]` (standard, no signature); in [`MiniWallet::p2wpkh`] mode it holds one key and
//! signs P2WPKH spends (SIGHASH_ALL). It keeps the outputs it knows of and builds
//! transactions, chains and fan-outs with chosen fees.

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Address, Amount, Block, CompressedPublicKey, Network, OutPoint,
    ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use serde_json::{json, Value};

use crate::RpcNode;

/// The witness script `OP_TRUE`.
pub fn op_true_script() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

/// The regtest P2WSH address of `OP_TRUE` (Core's `ADDRESS_BCRT1_P2WSH_OP_TRUE`).
pub fn op_true_address() -> Address {
    Address::p2wsh(&op_true_script(), Network::Regtest)
}

/// An output the wallet can spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    /// Where it is.
    pub outpoint: OutPoint,
    /// Its value.
    pub value: Amount,
    /// Whether a coinbase created it (spendable after 100 confirmations).
    pub coinbase: bool,
    /// The height of the block that created it (`None` while unconfirmed).
    pub height: Option<u32>,
}

/// How the wallet's outputs are locked.
#[derive(Debug, Clone)]
enum Mode {
    OpTrue,
    P2wpkh(SecretKey, CompressedPublicKey),
}

/// The wallet.
#[derive(Debug, Clone)]
pub struct MiniWallet {
    mode: Mode,
    utxos: Vec<Utxo>,
}

impl MiniWallet {
    /// A wallet of `OP_TRUE` P2WSH outputs.
    pub fn op_true() -> MiniWallet {
        MiniWallet {
            mode: Mode::OpTrue,
            utxos: Vec::new(),
        }
    }

    /// A wallet with one P2WPKH key made from `seed` (any byte but 0).
    pub fn p2wpkh(seed: u8) -> MiniWallet {
        let secret = SecretKey::from_slice(&[seed.max(1); 32]).expect("valid key");
        let public = CompressedPublicKey(secret.public_key(&Secp256k1::signing_only()));
        MiniWallet {
            mode: Mode::P2wpkh(secret, public),
            utxos: Vec::new(),
        }
    }

    /// The script outputs to this wallet pay to.
    pub fn script_pubkey(&self) -> ScriptBuf {
        match &self.mode {
            Mode::OpTrue => op_true_address().script_pubkey(),
            Mode::P2wpkh(_, public) => ScriptBuf::new_p2wpkh(&public.wpubkey_hash()),
        }
    }

    /// The wallet's regtest address.
    pub fn address(&self) -> String {
        Address::from_script(&self.script_pubkey(), Network::Regtest)
            .expect("standard script")
            .to_string()
    }

    /// Mines `blocks` blocks to the wallet and records their coinbase outputs.
    pub fn generate(&mut self, node: &RpcNode, blocks: u64) -> Vec<String> {
        let hashes = node.call("generatetoaddress", json!([blocks, self.address()]));
        let hashes: Vec<String> = hashes
            .as_array()
            .expect("array")
            .iter()
            .map(|h| h.as_str().expect("hash").to_string())
            .collect();
        for hash in &hashes {
            self.scan_block(node, hash);
        }
        hashes
    }

    /// Records the outputs of block `hash` paying to the wallet (and forgets the ones it
    /// spends).
    pub fn scan_block(&mut self, node: &RpcNode, hash: &str) {
        let block = node_block(node, hash);
        let height = node.call("getblockheader", json!([hash]))["height"]
            .as_u64()
            .expect("height") as u32;
        let script = self.script_pubkey();
        for tx in &block.txdata {
            for input in &tx.input {
                self.utxos.retain(|u| u.outpoint != input.previous_output);
            }
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                if out.script_pubkey == script {
                    let outpoint = OutPoint::new(txid, vout as u32);
                    self.utxos.retain(|u| u.outpoint != outpoint);
                    self.utxos.push(Utxo {
                        outpoint,
                        value: out.value,
                        coinbase: tx.is_coinbase(),
                        height: Some(height),
                    });
                }
            }
        }
    }

    /// The outputs the wallet knows of.
    pub fn utxos(&self) -> &[Utxo] {
        &self.utxos
    }

    /// Removes and returns the oldest output (the first mined coinbase: mature first).
    pub fn take_utxo(&mut self) -> Utxo {
        assert!(!self.utxos.is_empty(), "the mini wallet has no outputs");
        self.utxos.remove(0)
    }

    /// Adds an output the wallet can spend (e.g. one of a transaction it built).
    pub fn add_utxo(&mut self, utxo: Utxo) {
        self.utxos.push(utxo);
    }

    /// An unsigned version-2 transaction spending `inputs` (sequence `0xfffffffd`) to
    /// `outputs`.
    pub fn build(&self, inputs: &[Utxo], outputs: Vec<TxOut>) -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: inputs
                .iter()
                .map(|u| TxIn {
                    previous_output: u.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::new(),
                })
                .collect(),
            output: outputs,
        }
    }

    /// Fills the witnesses of `tx`, whose inputs spend `inputs` (in order).
    pub fn sign(&self, tx: &mut Transaction, inputs: &[Utxo]) {
        match &self.mode {
            Mode::OpTrue => {
                for input in &mut tx.input {
                    input.witness = Witness::from_slice(&[op_true_script().into_bytes()]);
                }
            }
            Mode::P2wpkh(secret, public) => {
                let secp = Secp256k1::signing_only();
                let script = self.script_pubkey();
                let mut signatures = Vec::with_capacity(inputs.len());
                {
                    let mut cache = SighashCache::new(&*tx);
                    for (index, utxo) in inputs.iter().enumerate() {
                        let sighash = cache
                            .p2wpkh_signature_hash(
                                index,
                                &script,
                                utxo.value,
                                EcdsaSighashType::All,
                            )
                            .expect("sighash");
                        let message = Message::from(sighash);
                        signatures.push(bitcoin::ecdsa::Signature::sighash_all(
                            secp.sign_ecdsa(&message, secret),
                        ));
                    }
                }
                for (input, signature) in tx.input.iter_mut().zip(signatures) {
                    input.witness = Witness::p2wpkh(&signature, &public.0);
                }
            }
        }
    }

    /// A signed transaction spending `inputs` to `outputs`.
    pub fn spend(&self, inputs: &[Utxo], outputs: Vec<TxOut>) -> Transaction {
        let mut tx = self.build(inputs, outputs);
        self.sign(&mut tx, inputs);
        tx
    }

    /// A transaction spending `utxo` back to the wallet paying `fee`, and its output.
    pub fn self_transfer(&self, utxo: &Utxo, fee: Amount) -> (Transaction, Utxo) {
        let (tx, mut outs) = self.fan_out(utxo, 1, fee);
        (tx, outs.remove(0))
    }

    /// A transaction splitting `utxo` into `count` equal outputs to the wallet, paying `fee`.
    pub fn fan_out(&self, utxo: &Utxo, count: usize, fee: Amount) -> (Transaction, Vec<Utxo>) {
        let each = (utxo.value - fee) / count as u64;
        let outputs = (0..count)
            .map(|_| TxOut {
                value: each,
                script_pubkey: self.script_pubkey(),
            })
            .collect();
        let tx = self.spend(std::slice::from_ref(utxo), outputs);
        let txid = tx.compute_txid();
        let utxos = (0..count)
            .map(|vout| Utxo {
                outpoint: OutPoint::new(txid, vout as u32),
                value: each,
                coinbase: false,
                height: None,
            })
            .collect();
        (tx, utxos)
    }

    /// A chain of `length` transactions, each spending the previous one's output and paying
    /// `fee`, starting from `utxo`; returns them and the last output.
    pub fn chain(&self, utxo: &Utxo, length: usize, fee: Amount) -> (Vec<Transaction>, Utxo) {
        let mut txs = Vec::with_capacity(length);
        let mut last = utxo.clone();
        for _ in 0..length {
            let (tx, out) = self.self_transfer(&last, fee);
            txs.push(tx);
            last = out;
        }
        (txs, last)
    }
}

/// The hex of `tx`.
pub fn tx_hex(tx: &Transaction) -> String {
    serialize_hex(tx)
}

/// `sendrawtransaction` of `tx`; returns the txid.
pub fn send(node: &RpcNode, tx: &Transaction) -> Txid {
    let txid = node.call("sendrawtransaction", json!([tx_hex(tx)]));
    txid.as_str().expect("txid").parse().expect("txid parses")
}

/// Block `hash` of `node`, decoded.
pub fn node_block(node: &RpcNode, hash: &str) -> Block {
    let hex: Value = node.call("getblock", json!([hash, 0]));
    deserialize_hex(hex.as_str().expect("hex")).expect("block decodes")
}
