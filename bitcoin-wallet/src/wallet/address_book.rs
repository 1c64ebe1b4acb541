//! The address book (Core's `getAddresses`, `setAddressBook`): the labelled addresses of
//! the wallet's store, each with its purpose as Core's `setlabel` assigns it — `receive` for
//! the wallet's own addresses, `send` for others'.

use bdk_wallet::bitcoin::{Address, ScriptBuf};
use interfaces::{AddressBookEntry, AddressPurpose};

use crate::wallet::common_chain;
use crate::wallet::error::WalletError;
use crate::wallet::local::LocalWallet;

fn purpose_of(is_mine: bool) -> AddressPurpose {
    if is_mine {
        AddressPurpose::Receive
    } else {
        AddressPurpose::Send
    }
}

impl LocalWallet {
    /// The output script of `address`, if it is an address of the wallet's network.
    fn script_of(&self, address: &str) -> Result<ScriptBuf, WalletError> {
        rpc::address::decode_destination(address, common_chain(self.options.network))
            .map(|d| d.script_pubkey())
            .map_err(|_| WalletError::InvalidAddress(address.to_string()))
    }

    /// Every labelled address, sorted by address.
    pub fn address_book(&self) -> Result<Vec<AddressBookEntry>, WalletError> {
        let state = self.lock()?;
        let mut entries: Vec<AddressBookEntry> = state
            .store
            .labels()
            .map(|(address, label)| {
                let is_mine = self
                    .script_of(address)
                    .is_ok_and(|s| state.store.is_mine(&s));
                AddressBookEntry {
                    address: address.to_string(),
                    label: label.to_string(),
                    purpose: purpose_of(is_mine),
                    is_mine,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.address.cmp(&b.address));
        Ok(entries)
    }

    /// Labels `address` `label` (written before this returns); `purpose` must be the one
    /// the address has: [`AddressPurpose::Receive`] exactly when it is the wallet's.
    pub fn set_address_book(
        &self,
        address: &str,
        label: &str,
        purpose: AddressPurpose,
    ) -> Result<(), WalletError> {
        let script = self.script_of(address)?;
        let canonical = Address::from_script(&script, self.options.network)
            .map_or_else(|_| address.to_string(), |a| a.to_string());
        let mut state = self.lock()?;
        let is_mine = state.store.is_mine(&script);
        if purpose != purpose_of(is_mine) {
            let whose = if is_mine {
                "the wallet's own"
            } else {
                "not the wallet's"
            };
            return Err(WalletError::InvalidParameter(format!(
                "Invalid parameter, address {address} is {whose}: its purpose is {}",
                if is_mine { "receive" } else { "send" }
            )));
        }
        state.store.set_label(&canonical, label)?;
        tracing::debug!(wallet = %self.name, address = %canonical, "address book entry set");
        Ok(())
    }
}
