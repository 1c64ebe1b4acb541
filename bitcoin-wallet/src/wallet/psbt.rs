//! PSBTs (Core's `walletcreatefundedpsbt`, `walletprocesspsbt`, the interface's
//! `fillPsbt`): a funded, unsigned PSBT built by BDK from the wallet's spendable coins (the
//! change address it reveals is persisted), and filling in what the wallet knows (previous
//! outputs, derivation paths), signing or finalizing a PSBT through the wallet's one
//! signing helper.

use bdk_wallet::bitcoin::absolute::LockTime;
use bdk_wallet::bitcoin::Transaction;
use bdk_wallet::bitcoin::{Amount, FeeRate, OutPoint, Psbt, ScriptBuf, Sequence};
use bdk_wallet::miniscript::psbt::PsbtExt as _;
use bdk_wallet::SignOptions;

use crate::wallet::error::WalletError;
use crate::wallet::history::Ledger;
use crate::wallet::local::{LocalWallet, State};
use crate::wallet::send::{add_pair_coins, pair_coins, PairCoin};

/// Core's `FillPSBT` before signing: the previous output and derivation path of each input
/// that spends an unspent output of the wallet and has neither yet, and the derivation path
/// of each output that pays the wallet.
fn fill_from_wallet(state: &State, psbt: &mut Psbt) {
    let inputs = psbt.inputs.iter_mut().zip(&psbt.unsigned_tx.input);
    for (input, txin) in inputs {
        if input.witness_utxo.is_some() || input.non_witness_utxo.is_some() {
            continue;
        }
        let found = state
            .store
            .wallets()
            .find_map(|w| Some((w, w.get_utxo(txin.previous_output)?)));
        let Some((wallet, utxo)) = found else {
            continue;
        };
        if let Ok(known) = wallet.get_psbt_input(utxo, None, false) {
            input.witness_utxo = known.witness_utxo;
            input.non_witness_utxo = known.non_witness_utxo;
            input.bip32_derivation.extend(known.bip32_derivation);
        }
    }
    for index in 0..psbt.outputs.len() {
        let script = psbt.unsigned_tx.output[index].script_pubkey.clone();
        let Some((pair, keychain, child)) = state.store.locate(&script) else {
            continue;
        };
        let Some(wallet) = state.store.pair(pair) else {
            continue;
        };
        let descriptor = wallet
            .public_descriptor(keychain)
            .at_derivation_index(child);
        if let Ok(descriptor) = descriptor {
            if let Err(e) = psbt.update_output_with_descriptor(index, &descriptor) {
                tracing::debug!(index, "psbt output not updated: {e}");
            }
        }
    }
}

/// Removes the BIP32 derivation paths of every input and output (Core's `bip32derivs`
/// false).
fn strip_derivations(psbt: &mut Psbt) {
    for input in &mut psbt.inputs {
        input.bip32_derivation.clear();
        input.tap_key_origins.clear();
    }
    for output in &mut psbt.outputs {
        output.bip32_derivation.clear();
        output.tap_key_origins.clear();
    }
}

/// What `walletcreatefundedpsbt` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsbtRequest {
    /// Output scripts and amounts, in order.
    pub outputs: Vec<(ScriptBuf, u64)>,
    /// Inputs that must be spent.
    pub inputs: Vec<OutPoint>,
    /// Whether coin selection may add inputs beyond `inputs`.
    pub add_inputs: bool,
    /// Fee rate, satoshis per 1000 vbytes.
    pub rate_kvb: i64,
    /// Signal BIP125.
    pub replaceable: bool,
    /// The lock time (0: none).
    pub locktime: u32,
    /// Lock the selected inputs (in memory) so later sends leave them alone.
    pub lock_unspents: bool,
}

/// A funded PSBT.
#[derive(Debug, Clone, PartialEq)]
pub struct FundedPsbt {
    /// The PSBT (unsigned, with the wallet's UTXO and derivation data).
    pub psbt: Psbt,
    /// The fee it pays, satoshis.
    pub fee: u64,
    /// The index of its change output, if it has one.
    pub change_pos: Option<usize>,
}

/// One funding attempt of `request` with the primary pair's coins and `extra` coins of
/// the other pairs.
fn fund(
    state: &mut State,
    request: &PsbtRequest,
    unspendable: &[OutPoint],
    rate: FeeRate,
    sequence: Sequence,
    extra: &[&PairCoin],
) -> Result<Psbt, WalletError> {
    let mut builder = state.store.wallet.build_tx();
    for (script, amount) in &request.outputs {
        builder.add_recipient(script.clone(), Amount::from_sat(*amount));
    }
    builder
        .fee_rate(rate)
        .set_exact_sequence(sequence)
        .unspendable(unspendable.to_vec())
        .ordering(bdk_wallet::TxOrdering::Untouched)
        .nlocktime(LockTime::from_consensus(request.locktime));
    add_pair_coins(&mut builder, extra, sequence)?;
    if !request.inputs.is_empty() {
        let own: Vec<OutPoint> = request
            .inputs
            .iter()
            .filter(|o| !extra.iter().any(|c| c.outpoint == **o))
            .copied()
            .collect();
        builder
            .add_utxos(&own)
            .map_err(|e| WalletError::InvalidParameter(format!("Invalid parameter, {e}")))?;
        if !request.add_inputs {
            builder.manually_selected_only();
        }
    }
    builder.finish().map_err(crate::wallet::send::create_error)
}

impl LocalWallet {
    /// Core's `walletcreatefundedpsbt`: funds `request`'s outputs from the wallet's
    /// spendable coins (never locked, immature or unsafe ones) without signing.
    pub fn create_funded_psbt(&self, request: &PsbtRequest) -> Result<FundedPsbt, WalletError> {
        let mut state = self.lock()?;
        let unspendable: Vec<OutPoint> = {
            let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
            ledger
                .unspent()
                .into_iter()
                .filter(|u| u.immature || !u.safe || u.locked)
                .filter(|u| !request.inputs.contains(&u.outpoint))
                .map(|u| u.outpoint)
                .collect()
        };
        let rate =
            FeeRate::from_sat_per_kwu(u64::try_from(request.rate_kvb).unwrap_or(0).div_ceil(4));
        let sequence = if request.replaceable {
            Sequence::ENABLE_RBF_NO_LOCKTIME
        } else {
            Sequence::ENABLE_LOCKTIME_NO_RBF
        };
        let coins = pair_coins(&state, &unspendable);
        let (chosen, mut count): (Vec<&PairCoin>, usize) = if request.inputs.is_empty() {
            (coins.iter().collect(), 0)
        } else {
            let chosen: Vec<&PairCoin> = coins
                .iter()
                .filter(|c| request.inputs.contains(&c.outpoint))
                .collect();
            let all = chosen.len();
            (chosen, all)
        };
        let built = loop {
            let extra = &chosen[..count.min(chosen.len())];
            let built = fund(&mut state, request, &unspendable, rate, sequence, extra);
            match built {
                Err(WalletError::InsufficientFunds)
                    if count < chosen.len()
                        && (request.inputs.is_empty() || request.add_inputs) =>
                {
                    count = (count * 2).max(1).min(chosen.len());
                }
                other => break other,
            }
        };
        state.store.persist()?;
        let psbt = built?;
        let fee = psbt
            .fee()
            .map(|a| a.to_sat())
            .map_err(|e| WalletError::CreateTransaction(e.to_string()))?;
        let change_pos = psbt.unsigned_tx.output.iter().position(|o| {
            state
                .store
                .wallet
                .spk_index()
                .index_of_spk(o.script_pubkey.clone())
                .is_some_and(|(k, _)| *k == bdk_wallet::KeychainKind::Internal)
        });
        if request.lock_unspents {
            for input in &psbt.unsigned_tx.input {
                state.store.lock_coin(input.previous_output, false)?;
            }
        }
        Ok(FundedPsbt {
            psbt,
            fee,
            change_pos,
        })
    }

    /// Core's `walletprocesspsbt`: signs the inputs the wallet can sign (when `sign`) and
    /// finalizes what it can (when `finalize`); whether the PSBT is complete.
    pub fn process_psbt(
        &self,
        psbt: &mut Psbt,
        sign: bool,
        finalize: bool,
    ) -> Result<bool, WalletError> {
        let state = self.lock()?;
        fill_from_wallet(&state, psbt);
        let options = SignOptions {
            trust_witness_utxo: true,
            try_finalize: finalize,
            ..SignOptions::default()
        };
        if sign && !self.keys.watch_only {
            return self.sign_psbt(&state, psbt, options);
        }
        if !finalize {
            return Ok(false);
        }
        state
            .store
            .wallet
            .finalize_psbt(psbt, options)
            .map_err(|e| WalletError::CreateTransaction(format!("Finalizing failed: {e}")))
    }
}

impl LocalWallet {
    /// Core's `FillPSBT` (the interface's `fillPsbt`): [`LocalWallet::process_psbt`],
    /// finalizing what it can, then without derivation paths unless `bip32derivs`.
    pub fn fill_psbt_with(
        &self,
        psbt: &mut Psbt,
        sign: bool,
        bip32derivs: bool,
    ) -> Result<bool, WalletError> {
        let complete = self.process_psbt(psbt, sign, true)?;
        if !bip32derivs {
            strip_derivations(psbt);
        }
        Ok(complete)
    }

    /// Core's `CommitTransaction` of a signed transaction built here (`send`): checked
    /// against `-maxtxfee`, broadcast by the node, then recorded and persisted.
    pub fn commit_transaction(&self, tx: &Transaction, fee: u64) -> Result<(), WalletError> {
        let max = u64::try_from(self.options.max_tx_fee).unwrap_or(0);
        if max > 0 && fee > max {
            return Err(WalletError::CreateTransaction(
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into(),
            ));
        }
        let (txid, mut state) = self.broadcast_and_record(tx, 0)?;
        // Core: manually selected (locked) coins are unlocked once spent.
        for input in &tx.input {
            state.store.unlock_coin(&input.previous_output)?;
        }
        drop(state);
        self.publish_changes();
        tracing::info!(wallet = %self.name, %txid, fee, "sent transaction");
        Ok(())
    }
}
