//! [`Chain`] for the test chain: lookups, a straightforward `scan`, a `broadcast_transaction`
//! that checks inputs and the fee limit and replaces conflicting transactions paying less
//! (full RBF), fixed fee settings, synchronous notifications.

use super::*;

fn matches(
    tx: &Transaction,
    scripts: &HashSet<Vec<u8>>,
    outpoints: &mut HashSet<OutPoint>,
) -> bool {
    let spends = tx
        .input
        .iter()
        .any(|i| outpoints.contains(&i.previous_output));
    let pays = tx
        .output
        .iter()
        .any(|o| scripts.contains(o.script_pubkey.as_bytes()));
    if spends || pays {
        let txid = tx.compute_txid();
        for (vout, out) in tx.output.iter().enumerate() {
            if scripts.contains(out.script_pubkey.as_bytes()) {
                outpoints.insert(OutPoint::new(txid, vout as u32));
            }
        }
    }
    spends || pays
}

impl Chain for TestChain {
    fn get_tip(&self) -> Result<Option<BlockRef>, Error> {
        let inner = lock(&self.inner);
        Ok(inner.blocks.last().map(|b| BlockRef {
            hash: b.block_hash().to_byte_array(),
            height: inner.blocks.len() as i32 - 1,
        }))
    }

    fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>, Error> {
        let inner = lock(&self.inner);
        Ok(usize::try_from(height)
            .ok()
            .and_then(|h| inner.blocks.get(h))
            .map(|b| b.block_hash().to_byte_array()))
    }

    fn find_block(&self, hash: [u8; 32]) -> Result<Option<BlockInfo>, Error> {
        let inner = lock(&self.inner);
        Ok(inner
            .known
            .get(&BlockHash::from_byte_array(hash))
            .map(|(h, b)| info(b, *h)))
    }

    fn find_fork(&self, locator: &[BlockRef]) -> Result<Option<BlockRef>, Error> {
        let inner = lock(&self.inner);
        let active = |r: &&BlockRef| {
            usize::try_from(r.height)
                .ok()
                .and_then(|h| inner.blocks.get(h))
                .is_some_and(|b| b.block_hash().to_byte_array() == r.hash)
        };
        Ok(locator
            .iter()
            .filter(active)
            .max_by_key(|r| r.height)
            .copied())
    }

    fn scan(&self, request: &ScanRequest) -> Result<ScanResult, Error> {
        self.scans.fetch_add(1, Ordering::Relaxed);
        let inner = lock(&self.inner);
        let scripts: HashSet<Vec<u8>> = request.scripts.iter().cloned().collect();
        let mut outpoints: HashSet<OutPoint> = request
            .outpoints
            .iter()
            .map(|o| OutPoint::new(Txid::from_byte_array(o.txid), o.vout))
            .collect();
        let tip = inner.blocks.len() as i32 - 1;
        let stop = request.stop_height.map_or(tip, |s| s.min(tip));
        let mut result = ScanResult::default();
        let start = request.start_height.max(0);
        for height in start..=stop {
            let block = &inner.blocks[height as usize];
            result.blocks_scanned += 1;
            for (position, tx) in block.txdata.iter().enumerate() {
                if matches(tx, &scripts, &mut outpoints) {
                    result.matches.push(ScanMatch {
                        block: info(block, height),
                        position: position as u32,
                        tx: serialize(tx),
                    });
                }
            }
        }
        let last = if start <= stop {
            stop
        } else {
            tip.min(start - 1)
        };
        let last_block = &inner.blocks[last.max(0) as usize];
        result.last_scanned = BlockRef {
            hash: last_block.block_hash().to_byte_array(),
            height: last,
        };
        if request.include_mempool {
            for tx in &inner.mempool {
                if matches(tx, &scripts, &mut outpoints) {
                    result.mempool.push(serialize(tx));
                }
            }
        }
        Ok(result)
    }

    fn broadcast_transaction(&self, tx: &[u8], max_fee: i64) -> Result<(), Error> {
        let tx: Transaction =
            deserialize(tx).map_err(|e| Error::failed(format!("TX decode failed: {e}")))?;
        let replaced = {
            let mut inner = lock(&self.inner);
            if let Some(reason) = &inner.reject {
                return Err(Error::failed(reason.clone()));
            }
            let replaced = TestChain::conflicts(&inner, &tx);
            let utxos = TestChain::unspent(&inner, &replaced);
            let mut input_value = 0;
            for input in &tx.input {
                let prev = utxos
                    .get(&input.previous_output)
                    .ok_or_else(|| Error::failed("bad-txns-inputs-missingorspent"))?;
                // P2WPKH (also nested in P2SH): signature and key in the witness; P2TR key
                // path: one signature; P2PKH: all in the scriptSig (the tests verify the
                // signatures themselves).
                let script = &prev.script_pubkey;
                let expected = match (script.is_p2tr(), script.is_p2pkh()) {
                    (true, _) => 1,
                    (_, true) => 0,
                    _ => 2,
                };
                let needs_script_sig = script.is_p2pkh() || script.is_p2sh();
                if input.witness.len() != expected
                    || input.script_sig.is_empty() == needs_script_sig
                {
                    return Err(Error::failed("mandatory-script-verify-flag-failed"));
                }
                input_value += prev.value.to_sat();
            }
            let out: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
            let fee = input_value
                .checked_sub(out)
                .ok_or_else(|| Error::failed("bad-txns-in-belowout"))?;
            if max_fee > 0 && fee > max_fee as u64 {
                return Err(Error::failed("max-fee-exceeded"));
            }
            let fee_of = |t: &Transaction| -> u64 {
                let spent: u64 = t
                    .input
                    .iter()
                    .filter_map(|i| utxos.get(&i.previous_output))
                    .map(|o| o.value.to_sat())
                    .sum();
                let paid: u64 = t.output.iter().map(|o| o.value.to_sat()).sum();
                spent.saturating_sub(paid)
            };
            let old_fee: u64 = inner
                .mempool
                .iter()
                .filter(|t| replaced.contains(&t.compute_txid()))
                .map(fee_of)
                .sum();
            if !replaced.is_empty() && fee <= old_fee {
                return Err(Error::failed("insufficient fee"));
            }
            inner
                .mempool
                .retain(|t| !replaced.contains(&t.compute_txid()));
            inner.mempool.push(tx.clone());
            replaced
        };
        for txid in &replaced {
            self.notify(|s| {
                let _ = s.transaction_removed_from_mempool(txid.to_byte_array(), "replaced");
            });
        }
        let raw = serialize(&tx);
        self.notify(|s| {
            let _ = s.transaction_added_to_mempool(&raw);
        });
        Ok(())
    }

    fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error> {
        let txid = Txid::from_byte_array(txid);
        Ok(lock(&self.inner)
            .mempool
            .iter()
            .any(|t| t.compute_txid() == txid))
    }

    fn has_descendants_in_mempool(&self, txid: [u8; 32]) -> Result<bool, Error> {
        let txid = Txid::from_byte_array(txid);
        Ok(lock(&self.inner)
            .mempool
            .iter()
            .any(|t| t.input.iter().any(|i| i.previous_output.txid == txid)))
    }

    fn estimate_smart_fee(&self, target: u32, _conservative: bool) -> Result<FeeEstimate, Error> {
        Ok(FeeEstimate {
            fee_per_kvb: lock(&self.inner).fee_estimate,
            returned_target: target,
        })
    }

    fn relay_fees(&self) -> Result<RelayFees, Error> {
        Ok(RelayFees {
            min_relay: 1000,
            incremental: 1000,
            dust_relay: 3000,
            mempool_min: 0,
        })
    }

    fn is_initial_block_download(&self) -> Result<bool, Error> {
        Ok(false)
    }

    fn shutdown_requested(&self) -> Result<bool, Error> {
        Ok(false)
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.subscribers).push((id, notifications));
        Ok(Box::new(Subscription {
            chain: self.me.clone(),
            id,
        }))
    }

    fn wait_for_notifications(&self) -> Result<(), Error> {
        Ok(())
    }

    fn handle_rpc(
        &self,
        _methods: &[RpcMethodInfo],
        _executor: Arc<dyn Rpc>,
    ) -> Result<Box<dyn Handler>, Error> {
        Err(Error::failed("not supported by the test chain"))
    }
}
