//! `BlockRef` (common.capnp) and the option and coinbase structs of `mining.capnp`.

use interfaces::{BlockCheckOptions, BlockCreateOptions, BlockRef, BlockWaitOptions, CoinbaseTx};
use schemas::common_capnp::block_ref;
use schemas::mining_capnp::{
    block_check_options, block_create_options, block_wait_options, coinbase_tx,
};

use crate::proxy::{list_len, read_data, read_hash, read_list_data, WireStruct};

impl WireStruct for BlockRef {
    type Wire = block_ref::Owned;

    fn read(r: block_ref::Reader<'_>) -> capnp::Result<BlockRef> {
        Ok(BlockRef {
            hash: read_hash(r.get_hash())?,
            height: r.get_height(),
        })
    }

    fn write(&self, mut b: block_ref::Builder<'_>) {
        b.set_hash(&self.hash);
        b.set_height(self.height);
    }
}

impl WireStruct for BlockCreateOptions {
    type Wire = block_create_options::Owned;

    fn read(r: block_create_options::Reader<'_>) -> capnp::Result<BlockCreateOptions> {
        Ok(BlockCreateOptions {
            use_mempool: r.get_use_mempool(),
            block_reserved_weight: r.get_block_reserved_weight(),
            coinbase_output_max_additional_sigops: r.get_coinbase_output_max_additional_sigops(),
        })
    }

    fn write(&self, mut b: block_create_options::Builder<'_>) {
        b.set_use_mempool(self.use_mempool);
        b.set_block_reserved_weight(self.block_reserved_weight);
        b.set_coinbase_output_max_additional_sigops(self.coinbase_output_max_additional_sigops);
    }
}

impl WireStruct for BlockWaitOptions {
    type Wire = block_wait_options::Owned;

    fn read(r: block_wait_options::Reader<'_>) -> capnp::Result<BlockWaitOptions> {
        Ok(BlockWaitOptions {
            timeout: r.get_timeout(),
            fee_threshold: r.get_fee_threshold(),
        })
    }

    fn write(&self, mut b: block_wait_options::Builder<'_>) {
        b.set_timeout(self.timeout);
        b.set_fee_threshold(self.fee_threshold);
    }
}

impl WireStruct for BlockCheckOptions {
    type Wire = block_check_options::Owned;

    fn read(r: block_check_options::Reader<'_>) -> capnp::Result<BlockCheckOptions> {
        Ok(BlockCheckOptions {
            check_merkle_root: r.get_check_merkle_root(),
            check_pow: r.get_check_pow(),
        })
    }

    fn write(&self, mut b: block_check_options::Builder<'_>) {
        b.set_check_merkle_root(self.check_merkle_root);
        b.set_check_pow(self.check_pow);
    }
}

impl WireStruct for CoinbaseTx {
    type Wire = coinbase_tx::Owned;

    fn read(r: coinbase_tx::Reader<'_>) -> capnp::Result<CoinbaseTx> {
        Ok(CoinbaseTx {
            version: r.get_version(),
            sequence: r.get_sequence(),
            script_sig_prefix: read_data(r.get_script_sig_prefix())?,
            witness: if r.has_witness() {
                Some(read_data(r.get_witness())?)
            } else {
                None
            },
            block_reward_remaining: r.get_block_reward_remaining(),
            required_outputs: read_list_data(r.get_required_outputs())?,
            lock_time: r.get_lock_time(),
        })
    }

    fn write(&self, mut b: coinbase_tx::Builder<'_>) {
        b.set_version(self.version);
        b.set_sequence(self.sequence);
        b.set_script_sig_prefix(&self.script_sig_prefix);
        if let Some(witness) = &self.witness {
            b.set_witness(witness);
        }
        b.set_block_reward_remaining(self.block_reward_remaining);
        b.set_lock_time(self.lock_time);
        // A list longer than u32::MAX items cannot come from a block template.
        let len = list_len(self.required_outputs.len()).unwrap_or(0);
        let mut list = b.init_required_outputs(len);
        for (i, output) in (0u32..).zip(self.required_outputs.iter()) {
            list.set(i, output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::convert::round_trip;

    #[test]
    fn structs_round_trip() {
        let tip = BlockRef {
            hash: [7; 32],
            height: 12,
        };
        assert_eq!(round_trip(&tip), tip);
        let create = BlockCreateOptions {
            use_mempool: false,
            block_reserved_weight: 2000,
            coinbase_output_max_additional_sigops: 7,
        };
        assert_eq!(round_trip(&create), create);
        let wait = BlockWaitOptions {
            timeout: 1.5,
            fee_threshold: 10,
        };
        assert_eq!(round_trip(&wait), wait);
        let check = BlockCheckOptions {
            check_merkle_root: false,
            check_pow: true,
        };
        assert_eq!(round_trip(&check), check);
        let coinbase = CoinbaseTx {
            version: 2,
            sequence: 0xffff_fffe,
            script_sig_prefix: vec![1, 101],
            witness: Some(vec![0; 32]),
            block_reward_remaining: 5_000_000_000,
            required_outputs: vec![vec![0, 1, 2], vec![]],
            lock_time: 100,
        };
        assert_eq!(round_trip(&coinbase), coinbase);
        let no_witness = CoinbaseTx {
            witness: None,
            ..coinbase
        };
        assert_eq!(round_trip(&no_witness), no_witness);
    }

    #[test]
    fn defaults_of_absent_options_are_cores() {
        let message = capnp::message::Builder::new_default();
        let mut message = message;
        let root: block_create_options::Builder<'_> = message.init_root();
        let read = BlockCreateOptions::read(root.into_reader()).expect("read");
        assert_eq!(read, BlockCreateOptions::default());
        let mut message = capnp::message::Builder::new_default();
        let root: block_wait_options::Builder<'_> = message.init_root();
        assert_eq!(
            BlockWaitOptions::read(root.into_reader()).expect("read"),
            BlockWaitOptions::default()
        );
        let mut message = capnp::message::Builder::new_default();
        let root: block_check_options::Builder<'_> = message.init_root();
        assert_eq!(
            BlockCheckOptions::read(root.into_reader()).expect("read"),
            BlockCheckOptions::default()
        );
    }

    #[test]
    fn a_short_hash_is_an_error() {
        let mut message = capnp::message::Builder::new_default();
        let mut b: block_ref::Builder<'_> = message.init_root();
        b.set_hash(&[1, 2, 3]);
        assert!(BlockRef::read(b.into_reader()).is_err());
    }
}
