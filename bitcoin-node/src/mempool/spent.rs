//! The coins a transaction spends as acceptance and the post-reorg re-check see them
//! (`Spent`, from the pool or the chain's coins view), and coinbase maturity
//! ([`COINBASE_MATURITY`]).

use bitcoin::{OutPoint, Transaction, TxOut, Txid};

use super::{Mempool, RejectKind, Rejected, State};

/// Core's `COINBASE_MATURITY`.
pub const COINBASE_MATURITY: u32 = 100;

/// One spent coin as acceptance sees it.
pub(crate) struct Spent {
    pub(crate) output: TxOut,
    /// `None` for an output of a pool transaction.
    pub(crate) height: Option<u32>,
    pub(crate) coinbase: bool,
}

impl Mempool {
    /// The coins `tx` spends, from the pool or the chain's coins view.
    pub(crate) fn spent_coins(
        &self,
        state: &State,
        tx: &Transaction,
        txid: Txid,
    ) -> Result<Vec<Spent>, Rejected> {
        let mut spent = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            let prevout = input.previous_output;
            if let Some(parent) = state.graph.entries.get(&prevout.txid) {
                match parent.tx.output.get(prevout.vout as usize) {
                    Some(out) => spent.push(Spent {
                        output: out.clone(),
                        height: None,
                        coinbase: false,
                    }),
                    None => return Err(missing()),
                }
                continue;
            }
            match self.chain.txout(&prevout) {
                Ok((Some(coin), _)) => spent.push(Spent {
                    output: coin.output,
                    height: Some(coin.height),
                    coinbase: coin.coinbase,
                }),
                Ok((None, _)) => {
                    let known = (0..tx.output.len()).any(|vout| {
                        let outpoint = OutPoint::new(txid, vout as u32);
                        matches!(self.chain.txout(&outpoint), Ok((Some(_), _)))
                    });
                    if known {
                        return Err(Rejected::new("txn-already-known").kind(RejectKind::Conflict));
                    }
                    return Err(missing());
                }
                Err(e) => return Err(Rejected::with_detail("coins-view-error", e.to_string())),
            }
        }
        Ok(spent)
    }
}

fn missing() -> Rejected {
    Rejected::new("bad-txns-inputs-missingorspent").kind(RejectKind::MissingInputs)
}
