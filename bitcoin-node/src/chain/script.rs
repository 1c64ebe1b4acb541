//! Script verification with the kernel's interpreter (Bitcoin Core's own), under every
//! consensus rule: what block checks and mempool acceptance run on each input.

use bitcoin::consensus::encode::serialize;
use bitcoin::{Transaction, TxOut};

/// Why a transaction's scripts failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptFailure {
    /// An input's script did not verify.
    #[error("input {index}: {detail}")]
    Input {
        /// The input.
        index: usize,
        /// The kernel's error.
        detail: String,
    },
    /// The kernel could not take the transaction or an output (it should always).
    #[error("script check not possible: {0}")]
    Kernel(String),
}

/// Verifies every input of `tx`, which spends `spent` (in input order), with the kernel's
/// interpreter under all consensus flags.
pub fn verify(tx: &Transaction, spent: &[TxOut]) -> Result<(), ScriptFailure> {
    let kernel = |e: bitcoinkernel::KernelError| ScriptFailure::Kernel(e.to_string());
    let kernel_tx = bitcoinkernel::Transaction::new(&serialize(tx)).map_err(kernel)?;
    let amount = |o: &TxOut| i64::try_from(o.value.to_sat()).unwrap_or(i64::MAX);
    let scripts = spent
        .iter()
        .map(|o| bitcoinkernel::ScriptPubkey::new(o.script_pubkey.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(kernel)?;
    let outputs: Vec<bitcoinkernel::TxOut> = scripts
        .iter()
        .zip(spent)
        .map(|(script, o)| bitcoinkernel::TxOut::new(script, amount(o)))
        .collect();
    let precomputed =
        bitcoinkernel::PrecomputedTransactionData::new(&kernel_tx, &outputs).map_err(kernel)?;
    for (index, (script, output)) in scripts.iter().zip(spent).enumerate() {
        bitcoinkernel::verify(
            script,
            Some(amount(output)),
            &kernel_tx,
            index,
            Some(bitcoinkernel::VERIFY_ALL),
            &precomputed,
        )
        .map_err(|e| ScriptFailure::Input {
            index,
            detail: e.to_string(),
        })?;
    }
    Ok(())
}
