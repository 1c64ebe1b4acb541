//! The wallet interfaces' values (wallet.capnp).

use interfaces::{
    BlockRef, Recipient, SendRequest, SentTransaction, WalletBalances, WalletInfo,
    WalletTransaction,
};
use schemas::wallet_capnp::{
    send_request, sent_transaction, wallet_balances, wallet_info, wallet_transaction,
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
    }
}
