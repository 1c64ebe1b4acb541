//! The `Chain` interface's values (chain.capnp). Malformed input (a hash of the wrong length,
//! invalid UTF-8) fails the read with an error naming the field, never a panic.

use interfaces::{
    BlockInfo, BlockRef, FeeEstimate, Outpoint, RelayFees, RpcArgInfo, RpcMethodInfo, ScanMatch,
    ScanRequest, ScanResult,
};
use schemas::chain_capnp::{
    block_info, fee_estimate, outpoint, relay_fees, rpc_method_info, scan_match, scan_request,
    scan_result,
};

use crate::proxy::{list_len, read_data, read_hash, read_list_data, read_text, WireStruct};

impl WireStruct for BlockInfo {
    type Wire = block_info::Owned;

    fn read(r: block_info::Reader<'_>) -> capnp::Result<BlockInfo> {
        Ok(BlockInfo {
            hash: read_hash(r.get_hash())?,
            prev_hash: read_hash(r.get_prev_hash())?,
            height: r.get_height(),
            time: r.get_time(),
        })
    }

    fn write(&self, mut b: block_info::Builder<'_>) {
        b.set_hash(&self.hash);
        b.set_prev_hash(&self.prev_hash);
        b.set_height(self.height);
        b.set_time(self.time);
    }
}

fn read_outpoint(r: outpoint::Reader<'_>) -> capnp::Result<Outpoint> {
    Ok(Outpoint {
        txid: read_hash(r.get_txid())?,
        vout: r.get_vout(),
    })
}

impl WireStruct for ScanRequest {
    type Wire = scan_request::Owned;

    fn read(r: scan_request::Reader<'_>) -> capnp::Result<ScanRequest> {
        Ok(ScanRequest {
            start_height: r.get_start_height(),
            stop_height: r.get_has_stop_height().then(|| r.get_stop_height()),
            scripts: read_list_data(r.get_scripts())?,
            outpoints: r
                .get_outpoints()?
                .iter()
                .map(read_outpoint)
                .collect::<capnp::Result<_>>()?,
            include_mempool: r.get_include_mempool(),
        })
    }

    fn write(&self, mut b: scan_request::Builder<'_>) {
        b.set_start_height(self.start_height);
        if let Some(stop) = self.stop_height {
            b.set_stop_height(stop);
            b.set_has_stop_height(true);
        }
        b.set_include_mempool(self.include_mempool);
        // Lists longer than capnp allows cannot be built in memory in the first place.
        let mut scripts = b
            .reborrow()
            .init_scripts(list_len(self.scripts.len()).unwrap_or(u32::MAX));
        for (i, script) in (0u32..).zip(&self.scripts) {
            scripts.set(i, script);
        }
        let mut outpoints = b
            .reborrow()
            .init_outpoints(list_len(self.outpoints.len()).unwrap_or(u32::MAX));
        for (i, o) in (0u32..).zip(&self.outpoints) {
            let mut w = outpoints.reborrow().get(i);
            w.set_txid(&o.txid);
            w.set_vout(o.vout);
        }
    }
}

fn read_match(r: scan_match::Reader<'_>) -> capnp::Result<ScanMatch> {
    Ok(ScanMatch {
        block: BlockInfo::read(r.get_block()?)?,
        position: r.get_position(),
        tx: read_data(r.get_tx())?,
    })
}

impl WireStruct for ScanResult {
    type Wire = scan_result::Owned;

    fn read(r: scan_result::Reader<'_>) -> capnp::Result<ScanResult> {
        Ok(ScanResult {
            matches: r
                .get_matches()?
                .iter()
                .map(read_match)
                .collect::<capnp::Result<_>>()?,
            last_scanned: BlockRef::read(r.get_last_scanned()?)?,
            mempool: read_list_data(r.get_mempool())?,
            blocks_scanned: r.get_blocks_scanned(),
        })
    }

    fn write(&self, mut b: scan_result::Builder<'_>) {
        let mut matches = b
            .reborrow()
            .init_matches(list_len(self.matches.len()).unwrap_or(u32::MAX));
        for (i, m) in (0u32..).zip(&self.matches) {
            let mut w = matches.reborrow().get(i);
            m.block.write(w.reborrow().init_block());
            w.set_position(m.position);
            w.set_tx(&m.tx);
        }
        self.last_scanned.write(b.reborrow().init_last_scanned());
        let mut mempool = b
            .reborrow()
            .init_mempool(list_len(self.mempool.len()).unwrap_or(u32::MAX));
        for (i, tx) in (0u32..).zip(&self.mempool) {
            mempool.set(i, tx);
        }
        b.set_blocks_scanned(self.blocks_scanned);
    }
}

impl WireStruct for FeeEstimate {
    type Wire = fee_estimate::Owned;

    fn read(r: fee_estimate::Reader<'_>) -> capnp::Result<FeeEstimate> {
        Ok(FeeEstimate {
            fee_per_kvb: r.get_fee_per_kvb(),
            returned_target: r.get_returned_target(),
        })
    }

    fn write(&self, mut b: fee_estimate::Builder<'_>) {
        b.set_fee_per_kvb(self.fee_per_kvb);
        b.set_returned_target(self.returned_target);
    }
}

impl WireStruct for RelayFees {
    type Wire = relay_fees::Owned;

    fn read(r: relay_fees::Reader<'_>) -> capnp::Result<RelayFees> {
        Ok(RelayFees {
            min_relay: r.get_min_relay(),
            incremental: r.get_incremental(),
            dust_relay: r.get_dust_relay(),
            mempool_min: r.get_mempool_min(),
        })
    }

    fn write(&self, mut b: relay_fees::Builder<'_>) {
        b.set_min_relay(self.min_relay);
        b.set_incremental(self.incremental);
        b.set_dust_relay(self.dust_relay);
        b.set_mempool_min(self.mempool_min);
    }
}

impl WireStruct for RpcMethodInfo {
    type Wire = rpc_method_info::Owned;

    fn read(r: rpc_method_info::Reader<'_>) -> capnp::Result<RpcMethodInfo> {
        let mut args = Vec::new();
        for a in r.get_args()? {
            args.push(RpcArgInfo {
                position: a.get_position(),
                name: read_text(a.get_name())?,
                is_string: a.get_is_string(),
            });
        }
        Ok(RpcMethodInfo {
            name: read_text(r.get_name())?,
            category: read_text(r.get_category())?,
            help: read_text(r.get_help())?,
            args,
        })
    }

    fn write(&self, mut b: rpc_method_info::Builder<'_>) {
        b.set_name(self.name.as_str());
        b.set_category(self.category.as_str());
        b.set_help(self.help.as_str());
        let mut args = b.init_args(list_len(self.args.len()).unwrap_or(u32::MAX));
        for (i, a) in (0u32..).zip(&self.args) {
            let mut w = args.reborrow().get(i);
            w.set_position(a.position);
            w.set_name(a.name.as_str());
            w.set_is_string(a.is_string);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::round_trip;

    #[test]
    fn values_survive_the_wire() {
        let block = BlockInfo {
            hash: [1; 32],
            prev_hash: [2; 32],
            height: 7,
            time: 1_700_000_000,
        };
        let request = ScanRequest {
            start_height: 3,
            stop_height: Some(9),
            scripts: vec![vec![0x51], vec![]],
            outpoints: vec![Outpoint {
                txid: [3; 32],
                vout: 4,
            }],
            include_mempool: true,
        };
        assert_eq!(round_trip(&request), request);
        let open = ScanRequest {
            stop_height: None,
            ..request
        };
        assert_eq!(round_trip(&open), open);
        let result = ScanResult {
            matches: vec![ScanMatch {
                block,
                position: 2,
                tx: vec![1, 2, 3],
            }],
            last_scanned: BlockRef {
                hash: [5; 32],
                height: 9,
            },
            mempool: vec![vec![9]],
            blocks_scanned: 7,
        };
        assert_eq!(round_trip(&result), result);
        let info = RpcMethodInfo {
            name: "getbalance".into(),
            category: "wallet".into(),
            help: "getbalance\n".into(),
            args: vec![RpcArgInfo {
                position: 1,
                name: "minconf".into(),
                is_string: false,
            }],
        };
        assert_eq!(round_trip(&info), info);
        let fees = RelayFees {
            min_relay: 100,
            incremental: 100,
            dust_relay: 3000,
            mempool_min: 0,
        };
        assert_eq!(round_trip(&fees), fees);
    }
}
