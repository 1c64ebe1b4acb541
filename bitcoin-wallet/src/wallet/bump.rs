//! Fee bumping (Core's `feebumper`): a BIP125 replacement of an unconfirmed wallet
//! transaction paying a higher fee rate, built by BDK's `build_fee_bump` (same inputs,
//! change output reduced), signed through the wallet's one signing helper, checked as Core
//! checks it (not mined, replaceable, no descendants, inputs the wallet's, enough extra fee),
//! broadcast, recorded and persisted before it is reported.

use std::sync::PoisonError;

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::{FeeRate, Transaction, Txid};
use bdk_wallet::error::{BuildFeeBumpError, CreateTxError};
use bdk_wallet::SignOptions;
use interfaces::SendRequest;

use crate::wallet::error::WalletError;
use crate::wallet::local::{LocalWallet, State};
use crate::wallet::send::FeeMode;

/// Satoshis per bitcoin.
const COIN: i64 = 100_000_000;

/// What `bumpfee` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BumpRequest {
    /// Explicit fee rate, satoshis per 1000 vbytes; `None`: estimate for `conf_target`.
    pub fee_per_kvb: Option<i64>,
    /// Confirmation target for the estimate.
    pub conf_target: Option<u32>,
    /// Estimate mode.
    pub mode: FeeMode,
    /// Whether the replacement signals BIP125 again (Core's default: yes).
    pub replaceable: bool,
}

/// A replacement the wallet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpOutcome {
    /// The replacement's id.
    pub txid: Txid,
    /// The fee the original paid, satoshis.
    pub orig_fee: u64,
    /// The fee the replacement pays, satoshis.
    pub fee: u64,
    /// The replacement.
    pub tx: Transaction,
}

/// Core's `FormatMoney`: at least two decimals, trailing zeros trimmed.
pub(crate) fn format_money(sats: i64) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let coin = COIN.unsigned_abs();
    let mut text = format!("{sign}{}.{:08}", abs / coin, abs % coin);
    while text.ends_with('0') && text.len() - text.find('.').unwrap_or(0) > 3 {
        text.pop();
    }
    text
}

fn invalid(message: impl Into<String>) -> WalletError {
    WalletError::InvalidParameter(message.into())
}

/// Core's `PreconditionChecks` of a bump; the original's fee.
fn preconditions(wallet: &LocalWallet, state: &State, txid: &Txid) -> Result<u64, WalletError> {
    let w = &state.store.wallet;
    let Some(wtx) = w.get_tx(*txid) else {
        return Err(match w.tx_graph().get_tx(*txid) {
            Some(tx) => replaced_error(state, txid, &tx),
            None => WalletError::UnknownTransaction,
        });
    };
    let tx = wtx.tx_node.tx.clone();
    let has_children = w.transactions().any(|t| {
        t.tx_node
            .tx
            .input
            .iter()
            .any(|i| i.previous_output.txid == *txid)
    });
    if has_children {
        return Err(invalid("Transaction has descendants in the wallet"));
    }
    if wallet
        .chain
        .has_descendants_in_mempool(txid.to_byte_array())?
    {
        return Err(invalid("Transaction has descendants in the mempool"));
    }
    if wtx.chain_position.is_confirmed() {
        return Err(WalletError::Refused(
            "Transaction has been mined, or is conflicted with a mined transaction".into(),
        ));
    }
    if !tx.is_explicitly_rbf() {
        return Err(invalid("Transaction is not BIP 125 replaceable"));
    }
    let mut spent = 0u64;
    for input in &tx.input {
        let Some(prev) = state.store.owned_txout(input.previous_output) else {
            return Err(WalletError::Refused(
                "Transaction contains inputs that don't belong to this wallet.".into(),
            ));
        };
        spent += prev.value.to_sat();
    }
    let paid: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    spent
        .checked_sub(paid)
        .ok_or_else(|| WalletError::Refused(format!("cannot compute the fee of {txid}")))
}

/// Core's error for bumping a transaction that a wallet transaction already replaced.
fn replaced_error(state: &State, txid: &Txid, tx: &Transaction) -> WalletError {
    let replacement = state.store.wallet.transactions().find(|t| {
        t.tx_node.txid != *txid
            && t.tx_node.tx.input.iter().any(|i| {
                tx.input
                    .iter()
                    .any(|o| o.previous_output == i.previous_output)
            })
    });
    match replacement {
        Some(r) => WalletError::Refused(format!(
            "Cannot bump transaction {txid} which was already bumped by transaction {}",
            r.tx_node.txid
        )),
        None => WalletError::UnknownTransaction,
    }
}

fn bump_error(e: CreateTxError, old_fee: u64, incremental: u64) -> WalletError {
    match e {
        CreateTxError::FeeTooLow { required } => {
            let required = i64::try_from(required.to_sat()).unwrap_or(i64::MAX);
            let old = i64::try_from(old_fee).unwrap_or(i64::MAX);
            invalid(format!(
                "Insufficient total fee, must be at least {} (oldFee {} + incrementalFee {})",
                format_money(required),
                format_money(old),
                format_money(i64::try_from(incremental).unwrap_or(i64::MAX)),
            ))
        }
        CreateTxError::FeeRateTooLow { required } => invalid(format!(
            "Insufficient total fee: the fee rate must be at least {} sat/vB",
            required.to_sat_per_vb_ceil()
        )),
        CreateTxError::CoinSelection(_) => WalletError::InsufficientFunds,
        other => WalletError::CreateTransaction(other.to_string()),
    }
}

fn fee_bump_error(e: BuildFeeBumpError) -> WalletError {
    match e {
        BuildFeeBumpError::TransactionNotFound(_) => WalletError::UnknownTransaction,
        BuildFeeBumpError::TransactionConfirmed(_) => WalletError::Refused(
            "Transaction has been mined, or is conflicted with a mined transaction".into(),
        ),
        BuildFeeBumpError::IrreplaceableTransaction(_) => {
            invalid("Transaction is not BIP 125 replaceable")
        }
        other => WalletError::Refused(other.to_string()),
    }
}

impl LocalWallet {
    /// The fee rate of a bump (sat/kvB): the explicit one, else the estimate raised to the
    /// original's rate plus the incremental relay fee (Core's `EstimateFeeRate`).
    fn bump_rate(
        &self,
        request: &BumpRequest,
        old_fee: u64,
        old_weight: u64,
    ) -> Result<i64, WalletError> {
        let relay = self.chain.relay_fees()?;
        if let Some(rate) = request.fee_per_kvb {
            let floor = relay.min_relay.max(relay.mempool_min);
            if rate < floor {
                return Err(invalid(format!(
                    "New fee rate ({}.{:03} sat/vB) is lower than the minimum fee rate ({}.{:03} sat/vB) to get into the mempool -- ",
                    rate / 1000, rate % 1000, floor / 1000, floor % 1000
                )));
            }
            return Ok(rate);
        }
        let estimate = SendRequest {
            recipients: Vec::new(),
            fee_per_kvb: None,
            conf_target: request.conf_target,
            replaceable: true,
        };
        let (estimated, _) = self.fee_rate_for(&estimate, request.mode)?;
        let old_rate = i64::try_from(old_fee.saturating_mul(4000).div_ceil(old_weight.max(1)))
            .unwrap_or(i64::MAX);
        // BDK asks for at least 1 sat/vB more than the original, whatever the node's setting.
        Ok(estimated.max(old_rate + relay.incremental.max(1000)))
    }

    /// Core's `bumpfee`: replaces the unconfirmed, replaceable wallet transaction `txid` with
    /// one paying a higher fee rate, broadcasts it and records it (persisted before this
    /// returns).
    pub fn bump_fee(&self, txid: &Txid, request: &BumpRequest) -> Result<BumpOutcome, WalletError> {
        let _guard = self
            .sync_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (old_fee, old_weight, old_seen) = {
            let state = self.lock()?;
            let fee = preconditions(self, &state, txid)?;
            let wtx = state.store.wallet.get_tx(*txid);
            let weight = wtx.as_ref().map_or(1, |t| t.tx_node.tx.weight().to_wu());
            let seen = wtx.and_then(|t| t.tx_node.last_seen).unwrap_or(0);
            (fee, weight, seen)
        };
        let rate_kvb = self.bump_rate(request, old_fee, old_weight)?;
        let incremental = u64::try_from(self.chain.relay_fees()?.incremental).unwrap_or(0);
        let (tx, fee) = {
            let mut state = self.lock()?;
            let built = self.build_bump(&mut state, txid, request, rate_kvb, old_fee, incremental);
            state.store.persist()?;
            built?
        };
        let max = u64::try_from(self.options.max_tx_fee).unwrap_or(0);
        if max > 0 && fee > max {
            return Err(WalletError::Refused(format!(
                "Specified or calculated fee {} is too high (cannot be higher than -maxtxfee {})",
                format_money(i64::try_from(fee).unwrap_or(i64::MAX)),
                format_money(self.options.max_tx_fee)
            )));
        }
        // Seen after the original, so that the replacement wins BDK's canonical choice.
        let (new_txid, mut state) = self.broadcast_and_record(&tx, old_seen)?;
        state.in_mempool.remove(txid);
        drop(state);
        self.publish_changes();
        tracing::info!(wallet = %self.name, %txid, replacement = %new_txid, old_fee, fee, "bumped fee");
        Ok(BumpOutcome {
            txid: new_txid,
            orig_fee: old_fee,
            fee,
            tx,
        })
    }

    /// Builds and signs the replacement (under the state lock).
    fn build_bump(
        &self,
        state: &mut State,
        txid: &Txid,
        request: &BumpRequest,
        rate_kvb: i64,
        old_fee: u64,
        incremental: u64,
    ) -> Result<(Transaction, u64), WalletError> {
        let rate = FeeRate::from_sat_per_kwu(u64::try_from(rate_kvb).unwrap_or(0).div_ceil(4));
        let mut builder = state
            .store
            .wallet
            .build_fee_bump(*txid)
            .map_err(fee_bump_error)?;
        builder.fee_rate(rate);
        if !request.replaceable {
            builder.set_exact_sequence(bdk_wallet::bitcoin::Sequence::ENABLE_LOCKTIME_NO_RBF);
        }
        let mut psbt = builder
            .finish()
            .map_err(|e| bump_error(e, old_fee, incremental))?;
        let fee = psbt
            .fee()
            .map(|a| a.to_sat())
            .map_err(|e| WalletError::CreateTransaction(e.to_string()))?;
        if !self.sign_psbt(state, &mut psbt, SignOptions::default())? {
            return Err(WalletError::CreateTransaction(
                "Can't sign transaction.".into(),
            ));
        }
        Ok((psbt.extract_tx_unchecked_fee_rate(), fee))
    }
}

#[cfg(test)]
mod tests {
    use super::format_money;

    #[test]
    fn money_is_formatted_as_core_does() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(141), "0.00000141");
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(150_000_000), "1.50");
        assert_eq!(format_money(-2_000), "-0.00002");
    }
}
