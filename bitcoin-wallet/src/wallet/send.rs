//! Sending (Core's `CreateTransaction` + `CommitTransaction`): recipients checked, the fee
//! rate chosen as Core chooses it (explicit, else the node's estimate, else `-fallbackfee`,
//! never below the required rate), coins selected by BDK among the trusted mature ones, the
//! fee subtracted from recipients when asked, signed, checked against `-maxtxfee`,
//! broadcast by the node, then recorded as unconfirmed and persisted.

use std::sync::PoisonError;

use bdk_wallet::bitcoin::consensus::serialize;
use bdk_wallet::bitcoin::{
    Amount, FeeRate, OutPoint, Psbt, ScriptBuf, Sequence, Transaction, Txid, Weight,
};
use bdk_wallet::error::CreateTxError;
use bdk_wallet::SignOptions;
use interfaces::SendRequest;

use crate::wallet::error::WalletError;
use crate::wallet::history::Ledger;
use crate::wallet::local::{LocalWallet, State};
use crate::wallet::store::TxComments;
use crate::wallet::sync::now;
use crate::wallet::{common_chain, DEFAULT_MIN_TX_FEE};

/// Fee passes when the fee subtracted from recipients must settle.
const SFFO_ROUNDS: usize = 6;

/// Core's `estimate_mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FeeMode {
    /// Economical when the transaction is replaceable, conservative otherwise.
    #[default]
    Unset,
    /// The estimator's shorter horizon.
    Economical,
    /// The estimator's longer horizon.
    Conservative,
}

/// A transaction the wallet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// Its id.
    pub txid: Txid,
    /// The fee paid, satoshis.
    pub fee: u64,
    /// The transaction.
    pub tx: Transaction,
    /// Core's `fee_reason`.
    pub fee_reason: String,
}

/// Core's `CFeeRate::ToString(SAT_VB)`: `1.000 sat/vB`.
fn sat_per_vb(per_kvb: i64) -> String {
    format!("{}.{:03} sat/vB", per_kvb / 1000, per_kvb % 1000)
}

pub(crate) fn create_error(e: CreateTxError) -> WalletError {
    match e {
        CreateTxError::CoinSelection(_) => WalletError::InsufficientFunds,
        CreateTxError::OutputBelowDustLimit(_) => {
            WalletError::CreateTransaction("Transaction amount too small".into())
        }
        other => WalletError::CreateTransaction(other.to_string()),
    }
}

/// One attempt at a transaction: outputs, fee rate, and optionally the exact inputs.
struct Attempt<'a> {
    outputs: &'a [(ScriptBuf, u64)],
    rate: FeeRate,
    sequence: Sequence,
    unspendable: &'a [OutPoint],
    inputs: Option<&'a [OutPoint]>,
}

/// A coin of one of the wallet's other pairs, as a foreign input of the primary pair's
/// transaction builder.
pub(crate) struct PairCoin {
    pub(crate) outpoint: OutPoint,
    input: bdk_wallet::bitcoin::psbt::Input,
    weight: Weight,
}

/// The unspent coins of the other pairs (not in `unspendable`), largest first.
pub(crate) fn pair_coins(state: &State, unspendable: &[OutPoint]) -> Vec<PairCoin> {
    let mut coins = Vec::new();
    for pair in &state.store.extras {
        for utxo in pair.wallet.list_unspent() {
            if unspendable.contains(&utxo.outpoint) {
                continue;
            }
            let weight = pair
                .wallet
                .public_descriptor(utxo.keychain)
                .max_weight_to_satisfy();
            let (outpoint, value) = (utxo.outpoint, utxo.txout.value);
            let Ok(mut input) = pair.wallet.get_psbt_input(utxo, None, false) else {
                continue;
            };
            let Ok(weight) = weight else {
                continue;
            };
            if input.non_witness_utxo.is_none() {
                input.non_witness_utxo = pair
                    .wallet
                    .tx_graph()
                    .get_tx(outpoint.txid)
                    .map(|t| t.as_ref().clone());
            }
            coins.push((
                value,
                PairCoin {
                    outpoint,
                    input,
                    weight,
                },
            ));
        }
    }
    coins.sort_by_key(|(value, c)| (std::cmp::Reverse(*value), c.outpoint));
    coins.into_iter().map(|(_, c)| c).collect()
}

/// Adds `coins` to `builder` as foreign inputs.
pub(crate) fn add_pair_coins(
    builder: &mut bdk_wallet::TxBuilder<
        '_,
        bdk_wallet::coin_selection::DefaultCoinSelectionAlgorithm,
    >,
    coins: &[&PairCoin],
    sequence: Sequence,
) -> Result<(), WalletError> {
    for coin in coins {
        builder
            .add_foreign_utxo_with_sequence(
                coin.outpoint,
                coin.input.clone(),
                coin.weight,
                sequence,
            )
            .map_err(|e| WalletError::CreateTransaction(e.to_string()))?;
    }
    Ok(())
}

/// One build with the primary pair's coins and `extra` coins of the other pairs (all of
/// them spent, BDK's rule for foreign inputs).
fn build_with(
    state: &mut State,
    attempt: &Attempt<'_>,
    extra: &[&PairCoin],
) -> Result<Psbt, WalletError> {
    let mut builder = state.store.wallet.build_tx();
    for (script, amount) in attempt.outputs {
        builder.add_recipient(script.clone(), Amount::from_sat(*amount));
    }
    builder
        .fee_rate(attempt.rate)
        .set_exact_sequence(attempt.sequence)
        .unspendable(attempt.unspendable.to_vec());
    add_pair_coins(&mut builder, extra, attempt.sequence)?;
    if let Some(inputs) = attempt.inputs {
        let own: Vec<OutPoint> = inputs
            .iter()
            .filter(|o| !extra.iter().any(|c| c.outpoint == **o))
            .copied()
            .collect();
        builder
            .add_utxos(&own)
            .map_err(|e| WalletError::CreateTransaction(e.to_string()))?;
        builder.manually_selected_only();
    }
    builder.finish().map_err(create_error)
}

/// Builds the transaction over the coins of every pair: the primary pair's coins first
/// (BDK's selection); when they do not suffice, the other pairs' coins, largest first, in
/// growing numbers. Change goes to the primary pair (`wpkh` in a new wallet, Core's
/// default `-changetype` for its default `bech32` addresses).
fn build(state: &mut State, attempt: &Attempt<'_>) -> Result<Psbt, WalletError> {
    let coins = pair_coins(state, attempt.unspendable);
    if let Some(inputs) = attempt.inputs {
        let chosen: Vec<&PairCoin> = coins
            .iter()
            .filter(|c| inputs.contains(&c.outpoint))
            .collect();
        return build_with(state, attempt, &chosen);
    }
    let mut count = 0;
    loop {
        let chosen: Vec<&PairCoin> = coins.iter().take(count).collect();
        match build_with(state, attempt, &chosen) {
            Err(WalletError::InsufficientFunds) if count < coins.len() => {
                count = (count * 2).max(1).min(coins.len());
            }
            other => return other,
        }
    }
}

fn psbt_fee(psbt: &Psbt) -> Result<u64, WalletError> {
    psbt.fee()
        .map(Amount::to_sat)
        .map_err(|e| WalletError::CreateTransaction(e.to_string()))
}

/// The outputs with `fee` taken out of the `sffo` ones (equal shares, the first pays the
/// remainder, as Core does).
fn subtract_fee(
    outputs: &[(ScriptBuf, u64)],
    sffo: &[usize],
    fee: u64,
) -> Result<Vec<(ScriptBuf, u64)>, WalletError> {
    let count = sffo.len() as u64;
    let mut out = outputs.to_vec();
    for (n, &i) in sffo.iter().enumerate() {
        let share = fee / count + if n == 0 { fee % count } else { 0 };
        let (script, amount) = &mut out[i];
        let left = amount.checked_sub(share).filter(|v| *v > 0);
        let too_small = || {
            WalletError::CreateTransaction(
                "The transaction amount is too small to pay the fee".into(),
            )
        };
        let left = left.ok_or_else(too_small)?;
        if Amount::from_sat(left) < script.minimal_non_dust() {
            return Err(too_small());
        }
        *amount = left;
    }
    Ok(out)
}

/// Gives every input without its previous transaction the one a pair holds (BDK's signers
/// want it on every input unless all are taproot).
pub(crate) fn fill_prev_txs(state: &State, psbt: &mut Psbt) {
    let inputs = psbt.inputs.iter_mut().zip(&psbt.unsigned_tx.input);
    for (input, txin) in inputs {
        if input.non_witness_utxo.is_some() {
            continue;
        }
        let prev = txin.previous_output.txid;
        input.non_witness_utxo = state
            .store
            .wallets()
            .find_map(|w| w.tx_graph().get_tx(prev))
            .map(|t| t.as_ref().clone());
    }
}

impl LocalWallet {
    /// Core's fee rate for a send (satoshis per 1000 vbytes) and its `fee_reason`.
    pub(crate) fn fee_rate_for(
        &self,
        request: &SendRequest,
        mode: FeeMode,
    ) -> Result<(i64, String), WalletError> {
        let relay = self.chain.relay_fees()?;
        let required = relay.min_relay.max(DEFAULT_MIN_TX_FEE);
        if let Some(rate) = request.fee_per_kvb {
            if rate < required {
                return Err(WalletError::CreateTransaction(format!(
                    "Fee rate ({}) is lower than the minimum fee rate setting ({})",
                    sat_per_vb(rate),
                    sat_per_vb(required)
                )));
            }
            return Ok((rate, "PayTxFee set".into()));
        }
        let target = request
            .conf_target
            .unwrap_or(self.options.tx_confirm_target);
        let conservative = match mode {
            FeeMode::Unset => !request.replaceable,
            FeeMode::Economical => false,
            FeeMode::Conservative => true,
        };
        let estimate = self.chain.estimate_smart_fee(target, conservative)?;
        let (mut rate, mut reason) = if estimate.fee_per_kvb > 0 {
            let reason = if conservative {
                "Conservative Double Target longer horizon"
            } else {
                "Target 85% Threshold"
            };
            (estimate.fee_per_kvb, reason)
        } else if self.options.fallback_fee_per_kvb > 0 {
            (self.options.fallback_fee_per_kvb, "Fallback fee")
        } else {
            return Err(WalletError::CreateTransaction(
                "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.".into(),
            ));
        };
        if rate < relay.mempool_min {
            (rate, reason) = (relay.mempool_min, "Mempool Min Fee");
        }
        if rate < required {
            (rate, reason) = (required, "Minimum Required Fee");
        }
        Ok((rate, reason.into()))
    }

    /// The recipients as output scripts and amounts, checked.
    fn outputs_of(&self, request: &SendRequest) -> Result<Vec<(ScriptBuf, u64)>, WalletError> {
        if request.recipients.is_empty() {
            return Err(WalletError::CreateTransaction(
                "Transaction must have at least one recipient".into(),
            ));
        }
        let chain = common_chain(self.options.network);
        request
            .recipients
            .iter()
            .map(|r| {
                let destination = rpc::address::decode_destination(&r.address, chain)
                    .map_err(|_| WalletError::InvalidAddress(r.address.clone()))?;
                let amount = u64::try_from(r.amount).ok().filter(|a| *a > 0);
                let amount = amount.ok_or(WalletError::InvalidAmount)?;
                Ok((destination.script_pubkey(), amount))
            })
            .collect()
    }

    /// Builds the transaction and signs it when `sign` (under the state lock).
    fn build_signed(
        &self,
        state: &mut State,
        request: &SendRequest,
        outputs: &[(ScriptBuf, u64)],
        rate_kvb: i64,
        sign: bool,
    ) -> Result<Psbt, WalletError> {
        let unspendable: Vec<OutPoint> = {
            let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
            ledger
                .unspent()
                .into_iter()
                .filter(|u| u.immature || !u.safe || u.locked)
                .map(|u| u.outpoint)
                .collect()
        };
        let rate = FeeRate::from_sat_per_kwu(u64::try_from(rate_kvb).unwrap_or(0).div_ceil(4));
        let sequence = if request.replaceable {
            Sequence::ENABLE_RBF_NO_LOCKTIME
        } else {
            Sequence::ENABLE_LOCKTIME_NO_RBF
        };
        let sffo: Vec<usize> = request
            .recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.subtract_fee)
            .map(|(i, _)| i)
            .collect();
        let mut attempt = Attempt {
            outputs,
            rate,
            sequence,
            unspendable: &unspendable,
            inputs: None,
        };
        let mut psbt = if sffo.is_empty() {
            build(state, &attempt)?
        } else {
            let probe = build(
                state,
                &Attempt {
                    rate: FeeRate::ZERO,
                    ..attempt
                },
            )?;
            let inputs: Vec<OutPoint> = probe
                .unsigned_tx
                .input
                .iter()
                .map(|i| i.previous_output)
                .collect();
            let vbytes = probe.unsigned_tx.vsize() as u64 + 27 * inputs.len() as u64 + 1;
            let mut fee = (u64::try_from(rate_kvb).unwrap_or(0) * vbytes).div_ceil(1000);
            attempt.inputs = Some(&inputs);
            let mut last = None;
            for _ in 0..SFFO_ROUNDS {
                let reduced = subtract_fee(outputs, &sffo, fee)?;
                let psbt = build(
                    state,
                    &Attempt {
                        outputs: &reduced,
                        ..attempt
                    },
                )?;
                let paid = psbt_fee(&psbt)?;
                last = Some(psbt);
                if paid == fee {
                    break;
                }
                fee = paid;
            }
            last.ok_or(WalletError::InsufficientFunds)?
        };
        if !sign {
            return Ok(psbt);
        }
        let finalized = self.sign_psbt(state, &mut psbt, SignOptions::default())?;
        if !finalized {
            return Err(WalletError::CreateTransaction(
                "Signing transaction failed".into(),
            ));
        }
        Ok(psbt)
    }

    /// Signs `psbt` with the wallet's keys (the one place every signer goes through:
    /// `send`, `bumpfee`, `walletprocesspsbt`); whether it is now finalized.
    pub(crate) fn sign_psbt(
        &self,
        state: &State,
        psbt: &mut Psbt,
        options: SignOptions,
    ) -> Result<bool, WalletError> {
        let signers = self.vault.signers()?;
        fill_prev_txs(state, psbt);
        let mut each = options.clone();
        each.try_finalize = false;
        let failed = |e| WalletError::CreateTransaction(format!("Signing transaction failed: {e}"));
        for (wallet, pair) in state.store.wallets().zip(signers.iter()) {
            wallet
                .sign_with_signers(psbt, &[&pair[0], &pair[1]], each.clone())
                .map_err(failed)?;
        }
        if !options.try_finalize {
            return Ok(false);
        }
        let mut finalized = false;
        for wallet in state.store.wallets() {
            finalized = wallet
                .finalize_psbt(psbt, options.clone())
                .map_err(failed)?;
            if finalized {
                break;
            }
        }
        Ok(finalized)
    }

    /// Hands `tx` to the node (with `-maxtxfee`) and records it as unconfirmed, seen now or at
    /// `seen_after + 1` if later, persisted; returns its id and the wallet's state, still
    /// locked, for the caller's own bookkeeping.
    pub(crate) fn broadcast_and_record(
        &self,
        tx: &Transaction,
        seen_after: u64,
    ) -> Result<(Txid, std::sync::MutexGuard<'_, State>), WalletError> {
        let txid = tx.compute_txid();
        self.chain
            .broadcast_transaction(&serialize(tx), self.options.max_tx_fee)
            .map_err(|e| WalletError::Broadcast(e.message().to_string()))?;
        let seen = now().max(seen_after.saturating_add(1));
        let mut state = self.lock()?;
        state.store.apply_unconfirmed_all(tx, seen);
        state.store.persist()?;
        state.store.note_order([txid])?;
        state.in_mempool.insert(txid, seen);
        Ok((txid, state))
    }

    /// Core's `CreateTransaction` (the caller holds the sync lock): builds a transaction
    /// paying `request`'s recipients, signed when `sign`, checked against `-maxtxfee`;
    /// neither broadcast nor recorded. Returns it with its fee and Core's `fee_reason`.
    fn create_locked(
        &self,
        request: &SendRequest,
        mode: FeeMode,
        sign: bool,
    ) -> Result<(Transaction, u64, String), WalletError> {
        let outputs = self.outputs_of(request)?;
        let (rate_kvb, fee_reason) = self.fee_rate_for(request, mode)?;
        let mut state = self.lock()?;
        let built = self.build_signed(&mut state, request, &outputs, rate_kvb, sign);
        state.store.persist()?;
        let psbt = built?;
        let fee = psbt_fee(&psbt)?;
        let max = u64::try_from(self.options.max_tx_fee).unwrap_or(0);
        if max > 0 && fee > max {
            return Err(WalletError::CreateTransaction(
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into(),
            ));
        }
        Ok((psbt.extract_tx_unchecked_fee_rate(), fee, fee_reason))
    }

    /// Core's `CreateTransaction`: the transaction a send of `request` would broadcast
    /// (signed when `sign`) and its fee, without broadcasting or recording it (the change
    /// address it uses stays revealed).
    pub fn create_transaction_with(
        &self,
        request: &SendRequest,
        mode: FeeMode,
        sign: bool,
    ) -> Result<(Transaction, u64), WalletError> {
        let _guard = self
            .sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (tx, fee, _) = self.create_locked(request, mode, sign)?;
        Ok((tx, fee))
    }

    /// Builds, signs, broadcasts and records a transaction paying `request`'s recipients
    /// (Core's `sendtoaddress`/`sendmany`), with `mode` for the fee estimate and the user's
    /// `comments` kept with it.
    pub fn send_with(
        &self,
        request: &SendRequest,
        mode: FeeMode,
        comments: TxComments,
    ) -> Result<SendOutcome, WalletError> {
        let _guard = self
            .sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (tx, fee, fee_reason) = self.create_locked(request, mode, true)?;
        let (txid, mut state) = self.broadcast_and_record(&tx, 0)?;
        state.store.set_comments(txid, comments)?;
        drop(state);
        self.publish_changes();
        tracing::info!(wallet = %self.name, %txid, fee, "sent transaction");
        Ok(SendOutcome {
            txid,
            fee,
            tx,
            fee_reason,
        })
    }
}
