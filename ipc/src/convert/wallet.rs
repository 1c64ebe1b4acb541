//! The wallet interfaces' values (wallet.capnp).

use interfaces::{
    AddressBookEntry, AddressPurpose, BlockRef, BumpFeeRequest, BumpedTransaction, FilledPsbt,
    Outpoint, Recipient, SendRequest, SentTransaction, WalletBalances, WalletCoin, WalletInfo,
    WalletTransaction,
};
use schemas::chain_capnp::outpoint;
use schemas::wallet_capnp::{
    address_book_entry, bump_fee_request, bumped_transaction, filled_psbt, send_request,
    sent_transaction, wallet_balances, wallet_coin, wallet_info, wallet_transaction,
};

use crate::proxy::{list_len, read_data, read_hash, read_text, WireStruct};

impl WireStruct for WalletBalances {
    type Wire = wallet_balances::Owned;

    fn read(r: wallet_balances::Reader<'_>) -> capnp::Result<WalletBalances> {
        Ok(WalletBalances {
            trusted: r.get_trusted(),
            untrusted_pending: r.get_untrusted_pending(),
            immature: r.get_immature(),
        })
    }

    fn write(&self, mut b: wallet_balances::Builder<'_>) {
        b.set_trusted(self.trusted);
        b.set_untrusted_pending(self.untrusted_pending);
        b.set_immature(self.immature);
    }
}

impl WireStruct for SendRequest {
    type Wire = send_request::Owned;

    fn read(r: send_request::Reader<'_>) -> capnp::Result<SendRequest> {
        let mut recipients = Vec::new();
        for w in r.get_recipients()? {
            recipients.push(Recipient {
                address: read_text(w.get_address())?,
                amount: w.get_amount(),
                subtract_fee: w.get_subtract_fee(),
            });
        }
        Ok(SendRequest {
            recipients,
            fee_per_kvb: r.get_has_fee_per_kvb().then(|| r.get_fee_per_kvb()),
            conf_target: r.get_has_conf_target().then(|| r.get_conf_target()),
            replaceable: r.get_replaceable(),
        })
    }

    fn write(&self, mut b: send_request::Builder<'_>) {
        if let Some(fee) = self.fee_per_kvb {
            b.set_fee_per_kvb(fee);
            b.set_has_fee_per_kvb(true);
        }
        if let Some(target) = self.conf_target {
            b.set_conf_target(target);
            b.set_has_conf_target(true);
        }
        b.set_replaceable(self.replaceable);
        let len = list_len(self.recipients.len()).unwrap_or(u32::MAX);
        let mut list = b.init_recipients(len);
        for (i, r) in (0u32..).zip(&self.recipients) {
            let mut w = list.reborrow().get(i);
            w.set_address(r.address.as_str());
            w.set_amount(r.amount);
            w.set_subtract_fee(r.subtract_fee);
        }
    }
}

impl WireStruct for SentTransaction {
    type Wire = sent_transaction::Owned;

    fn read(r: sent_transaction::Reader<'_>) -> capnp::Result<SentTransaction> {
        Ok(SentTransaction {
            txid: read_hash(r.get_txid())?,
            fee: r.get_fee(),
            tx: read_data(r.get_tx())?,
        })
    }

    fn write(&self, mut b: sent_transaction::Builder<'_>) {
        b.set_txid(&self.txid);
        b.set_fee(self.fee);
        b.set_tx(&self.tx);
    }
}

impl WireStruct for WalletTransaction {
    type Wire = wallet_transaction::Owned;

    fn read(r: wallet_transaction::Reader<'_>) -> capnp::Result<WalletTransaction> {
        Ok(WalletTransaction {
            txid: read_hash(r.get_txid())?,
            tx: read_data(r.get_tx())?,
            net: r.get_net(),
            fee: r.get_has_fee().then(|| r.get_fee()),
            confirmations: r.get_confirmations(),
            block: if r.has_block() {
                Some(BlockRef::read(r.get_block()?)?)
            } else {
                None
            },
            time: r.get_time(),
            coinbase: r.get_coinbase(),
            in_mempool: r.get_in_mempool(),
            trusted: r.get_trusted(),
            replaceable: r.get_replaceable(),
        })
    }

    fn write(&self, mut b: wallet_transaction::Builder<'_>) {
        b.set_txid(&self.txid);
        b.set_tx(&self.tx);
        b.set_net(self.net);
        if let Some(fee) = self.fee {
            b.set_fee(fee);
            b.set_has_fee(true);
        }
        b.set_confirmations(self.confirmations);
        if let Some(block) = &self.block {
            block.write(b.reborrow().init_block());
        }
        b.set_time(self.time);
        b.set_coinbase(self.coinbase);
        b.set_in_mempool(self.in_mempool);
        b.set_trusted(self.trusted);
        b.set_replaceable(self.replaceable);
    }
}

impl WireStruct for WalletInfo {
    type Wire = wallet_info::Owned;

    fn read(r: wallet_info::Reader<'_>) -> capnp::Result<WalletInfo> {
        Ok(WalletInfo {
            name: read_text(r.get_name())?,
            tx_count: r.get_tx_count(),
            balances: WalletBalances::read(r.get_balances()?)?,
            last_processed: BlockRef::read(r.get_last_processed()?)?,
            encrypted: r.get_encrypted(),
            unlocked_until: r.get_unlocked_until(),
            private_keys_enabled: r.get_private_keys_enabled(),
        })
    }

    fn write(&self, mut b: wallet_info::Builder<'_>) {
        b.set_name(self.name.as_str());
        b.set_tx_count(self.tx_count);
        self.balances.write(b.reborrow().init_balances());
        self.last_processed
            .write(b.reborrow().init_last_processed());
        b.set_encrypted(self.encrypted);
        b.set_unlocked_until(self.unlocked_until);
        b.set_private_keys_enabled(self.private_keys_enabled);
    }
}

impl WireStruct for Outpoint {
    type Wire = outpoint::Owned;

    fn read(r: outpoint::Reader<'_>) -> capnp::Result<Outpoint> {
        Ok(Outpoint {
            txid: read_hash(r.get_txid())?,
            vout: r.get_vout(),
        })
    }

    fn write(&self, mut b: outpoint::Builder<'_>) {
        b.set_txid(&self.txid);
        b.set_vout(self.vout);
    }
}

impl WireStruct for AddressBookEntry {
    type Wire = address_book_entry::Owned;

    fn read(r: address_book_entry::Reader<'_>) -> capnp::Result<AddressBookEntry> {
        let purpose = match r.get_purpose()? {
            schemas::wallet_capnp::AddressPurpose::Receive => AddressPurpose::Receive,
            schemas::wallet_capnp::AddressPurpose::Send => AddressPurpose::Send,
        };
        Ok(AddressBookEntry {
            address: read_text(r.get_address())?,
            label: read_text(r.get_label())?,
            purpose,
            is_mine: r.get_is_mine(),
        })
    }

    fn write(&self, mut b: address_book_entry::Builder<'_>) {
        b.set_address(self.address.as_str());
        b.set_label(self.label.as_str());
        b.set_purpose(match self.purpose {
            AddressPurpose::Receive => schemas::wallet_capnp::AddressPurpose::Receive,
            AddressPurpose::Send => schemas::wallet_capnp::AddressPurpose::Send,
        });
        b.set_is_mine(self.is_mine);
    }
}

impl WireStruct for BumpFeeRequest {
    type Wire = bump_fee_request::Owned;

    fn read(r: bump_fee_request::Reader<'_>) -> capnp::Result<BumpFeeRequest> {
        Ok(BumpFeeRequest {
            fee_per_kvb: r.get_has_fee_per_kvb().then(|| r.get_fee_per_kvb()),
            conf_target: r.get_has_conf_target().then(|| r.get_conf_target()),
        })
    }

    fn write(&self, mut b: bump_fee_request::Builder<'_>) {
        if let Some(fee) = self.fee_per_kvb {
            b.set_fee_per_kvb(fee);
            b.set_has_fee_per_kvb(true);
        }
        if let Some(target) = self.conf_target {
            b.set_conf_target(target);
            b.set_has_conf_target(true);
        }
    }
}

impl WireStruct for BumpedTransaction {
    type Wire = bumped_transaction::Owned;

    fn read(r: bumped_transaction::Reader<'_>) -> capnp::Result<BumpedTransaction> {
        Ok(BumpedTransaction {
            txid: read_hash(r.get_txid())?,
            old_fee: r.get_old_fee(),
            new_fee: r.get_new_fee(),
        })
    }

    fn write(&self, mut b: bumped_transaction::Builder<'_>) {
        b.set_txid(&self.txid);
        b.set_old_fee(self.old_fee);
        b.set_new_fee(self.new_fee);
    }
}

impl WireStruct for WalletCoin {
    type Wire = wallet_coin::Owned;

    fn read(r: wallet_coin::Reader<'_>) -> capnp::Result<WalletCoin> {
        Ok(WalletCoin {
            outpoint: Outpoint::read(r.get_outpoint()?)?,
            value: r.get_value(),
            script: read_data(r.get_script())?,
            address: read_text(r.get_address())?,
            confirmations: r.get_confirmations(),
            immature: r.get_immature(),
            locked: r.get_locked(),
        })
    }

    fn write(&self, mut b: wallet_coin::Builder<'_>) {
        self.outpoint.write(b.reborrow().init_outpoint());
        b.set_value(self.value);
        b.set_script(&self.script);
        b.set_address(self.address.as_str());
        b.set_confirmations(self.confirmations);
        b.set_immature(self.immature);
        b.set_locked(self.locked);
    }
}

impl WireStruct for FilledPsbt {
    type Wire = filled_psbt::Owned;

    fn read(r: filled_psbt::Reader<'_>) -> capnp::Result<FilledPsbt> {
        Ok(FilledPsbt {
            psbt: read_data(r.get_psbt())?,
            complete: r.get_complete(),
        })
    }

    fn write(&self, mut b: filled_psbt::Builder<'_>) {
        b.set_psbt(&self.psbt);
        b.set_complete(self.complete);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::round_trip;

    #[test]
    fn values_survive_the_wire() {
        let request = SendRequest {
            recipients: vec![Recipient {
                address: "bcrt1q".into(),
                amount: 5,
                subtract_fee: true,
            }],
            fee_per_kvb: Some(1000),
            conf_target: None,
            replaceable: true,
        };
        assert_eq!(round_trip(&request), request);
        let tx = WalletTransaction {
            txid: [1; 32],
            tx: vec![1],
            net: -5,
            fee: Some(2),
            confirmations: 3,
            block: Some(BlockRef {
                hash: [2; 32],
                height: 4,
            }),
            time: 5,
            coinbase: false,
            in_mempool: true,
            trusted: true,
            replaceable: true,
        };
        assert_eq!(round_trip(&tx), tx);
        let unconfirmed = WalletTransaction {
            fee: None,
            block: None,
            ..tx
        };
        assert_eq!(round_trip(&unconfirmed), unconfirmed);
        let info = WalletInfo {
            name: "w".into(),
            tx_count: 2,
            balances: WalletBalances {
                trusted: 1,
                untrusted_pending: 2,
                immature: 3,
            },
            ..WalletInfo::default()
        };
        assert_eq!(round_trip(&info), info);
        let entry = AddressBookEntry {
            address: "bcrt1q".into(),
            label: "shop".into(),
            purpose: AddressPurpose::Send,
            is_mine: false,
        };
        assert_eq!(round_trip(&entry), entry);
        let bump = BumpFeeRequest {
            fee_per_kvb: None,
            conf_target: Some(3),
        };
        assert_eq!(round_trip(&bump), bump);
        let bumped = BumpedTransaction {
            txid: [3; 32],
            old_fee: 1,
            new_fee: 2,
        };
        assert_eq!(round_trip(&bumped), bumped);
        let coin = WalletCoin {
            outpoint: Outpoint {
                txid: [4; 32],
                vout: 1,
            },
            value: 7,
            script: vec![0, 20],
            address: "bcrt1q".into(),
            confirmations: 2,
            immature: true,
            locked: true,
        };
        assert_eq!(round_trip(&coin), coin);
        let filled = FilledPsbt {
            psbt: vec![0x70, 0x73],
            complete: true,
        };
        assert_eq!(round_trip(&filled), filled);
    }
}
