//! The wallet's typed errors: each carries Core's message and maps to Core's RPC error code
//! ([`WalletError::rpc_code`]), so the RPC layer picks the code without parsing text, and
//! the interface layer passes the message on as an [`interfaces::Error`].

use std::path::Path;

/// Core's `RPC_TYPE_ERROR`.
const TYPE_ERROR: i32 = -3;
/// Core's `RPC_WALLET_ERROR`.
const WALLET_ERROR: i32 = -4;
/// Core's `RPC_INVALID_ADDRESS_OR_KEY`.
const INVALID_ADDRESS_OR_KEY: i32 = -5;
/// Core's `RPC_WALLET_INSUFFICIENT_FUNDS`.
const INSUFFICIENT_FUNDS: i32 = -6;
/// Core's `RPC_WALLET_KEYPOOL_RAN_OUT`.
const KEYPOOL_RAN_OUT: i32 = -12;
/// Core's `RPC_WALLET_NOT_FOUND`.
const NOT_FOUND: i32 = -18;
/// Core's `RPC_WALLET_ALREADY_LOADED`.
const ALREADY_LOADED: i32 = -35;
/// Core's `RPC_MISC_ERROR`.
const MISC_ERROR: i32 = -1;
/// Core's `RPC_INVALID_PARAMETER`.
const INVALID_PARAMETER: i32 = -8;
/// Core's `RPC_WALLET_UNLOCK_NEEDED`.
const UNLOCK_NEEDED: i32 = -13;
/// Core's `RPC_WALLET_PASSPHRASE_INCORRECT`.
const PASSPHRASE_INCORRECT: i32 = -14;
/// Core's `RPC_WALLET_WRONG_ENC_STATE`.
const WRONG_ENC_STATE: i32 = -15;
const ENCRYPTION_FAILED: i32 = -16;

/// Why a wallet operation failed, in Core's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The wallet name cannot name a directory under `wallets/`.
    #[error("Wallet name contains invalid characters: '{0}'")]
    InvalidName(String),
    /// `createwallet` of a wallet whose files exist.
    #[error("Wallet file verification failed. Failed to create database path '{0}'. Database already exists.")]
    AlreadyExists(String),
    /// `loadwallet` of a wallet whose directory does not exist.
    #[error(
        "Wallet file verification failed. Failed to load database path '{0}'. Path does not exist."
    )]
    NotFound(String),
    /// `loadwallet` of a directory that holds no wallet database.
    #[error("Wallet file verification failed. Failed to load database path '{0}'. Data is not in recognized format.")]
    BadFormat(String),
    /// `loadwallet` of a wallet that is loaded.
    #[error("Wallet \"{0}\" is already loaded.")]
    AlreadyLoaded(String),
    /// A wallet that is not (or no longer) loaded.
    #[error("Requested wallet does not exist or is not loaded")]
    NotLoaded,
    /// A wallet file could not be read or is damaged.
    #[error("Error loading {name}: Wallet corrupted ({detail})")]
    Corrupt {
        /// The wallet.
        name: String,
        /// What was wrong.
        detail: String,
    },
    /// A feature the wallet does not have yet.
    #[error("{0}")]
    Unsupported(String),
    /// `address_type` is none of Core's names.
    #[error("Unknown address type '{0}'")]
    UnknownAddressType(String),
    /// The wallet has no descriptor for this address type.
    #[error("Error: No {0} addresses available.")]
    NoAddressesOfType(String),
    /// A wallet without descriptors was asked for an address (Core's `CanGetAddresses`).
    #[error("Error: This wallet has no available keys")]
    NoKeys,
    /// A wallet created with `disable_private_keys` was asked to sign.
    #[error("Error: Private keys are disabled for this wallet")]
    PrivateKeysDisabled,
    /// A recipient address that does not decode for the wallet's network.
    #[error("Invalid Bitcoin address: {0}")]
    InvalidAddress(String),
    /// A recipient amount of zero or less.
    #[error("Invalid amount for send")]
    InvalidAmount,
    /// Coin selection could not cover the amounts and the fee.
    #[error("Insufficient funds")]
    InsufficientFunds,
    /// Building the transaction failed (Core's `CreateTransaction` errors: fee estimation,
    /// fee rate too low, amount too small, fee too high).
    #[error("{0}")]
    CreateTransaction(String),
    /// The node refused the transaction (its reject reason).
    #[error("{0}")]
    Broadcast(String),
    /// The node could not be asked (the chain interface failed).
    #[error("{0}")]
    Chain(String),
    /// Reading or writing the wallet's files or database failed.
    #[error("{0}")]
    Storage(String),
    /// A request the wallet's state rules out (Core's `RPC_INVALID_PARAMETER` cases:
    /// unknown transaction, output already locked, ...).
    #[error("{0}")]
    InvalidParameter(String),
    /// A transaction the wallet does not hold (Core's `Invalid or non-wallet transaction id`).
    #[error("Invalid or non-wallet transaction id")]
    UnknownTransaction,
    /// A wallet transaction the operation does not apply to (Core's
    /// `Transaction not eligible for abandonment`).
    #[error("{0}")]
    NotEligible(String),
    /// An operation the wallet's state refuses (Core's `RPC_WALLET_ERROR` cases of
    /// `bumpfee`: already mined, already bumped, inputs not the wallet's).
    #[error("{0}")]
    Refused(String),
    /// The wallet holds no private key for the address (Core's `SigningResult::
    /// PRIVATE_KEY_NOT_AVAILABLE`).
    #[error("Private key not available")]
    PrivateKeyNotAvailable,
    /// Signing needs the keys of a locked wallet.
    #[error("Error: Please enter the wallet passphrase with walletpassphrase first.")]
    Locked,
    /// The passphrase does not decrypt the keys.
    #[error("Error: The wallet passphrase entered was incorrect.")]
    WrongPassphrase,
    /// An encryption operation the wallet's state rules out (encrypting an encrypted
    /// wallet, unlocking an unencrypted one); the text is Core's.
    #[error("{0}")]
    WrongEncryptionState(String),
    /// Encryption is impossible (Core's `RPC_WALLET_ENCRYPTION_FAILED`).
    #[error("{0}")]
    EncryptionFailed(String),
}

impl WalletError {
    /// Core's RPC error code for this error (as Core's wallet RPCs report it; `sendtoaddress`
    /// reports every transaction-building failure as `RPC_WALLET_INSUFFICIENT_FUNDS`).
    pub fn rpc_code(&self) -> i32 {
        match self {
            WalletError::InvalidAmount => TYPE_ERROR,
            WalletError::InvalidAddress(_) | WalletError::UnknownAddressType(_) => {
                INVALID_ADDRESS_OR_KEY
            }
            WalletError::InsufficientFunds | WalletError::CreateTransaction(_) => {
                INSUFFICIENT_FUNDS
            }
            WalletError::NoAddressesOfType(_) => KEYPOOL_RAN_OUT,
            WalletError::NotFound(_) | WalletError::BadFormat(_) | WalletError::NotLoaded => {
                NOT_FOUND
            }
            WalletError::AlreadyLoaded(_) => ALREADY_LOADED,
            WalletError::Chain(_) => MISC_ERROR,
            WalletError::InvalidParameter(_) => INVALID_PARAMETER,
            WalletError::UnknownTransaction | WalletError::NotEligible(_) => INVALID_ADDRESS_OR_KEY,
            WalletError::Refused(_) => WALLET_ERROR,
            WalletError::Locked => UNLOCK_NEEDED,
            WalletError::WrongPassphrase => PASSPHRASE_INCORRECT,
            WalletError::WrongEncryptionState(_) => WRONG_ENC_STATE,
            WalletError::EncryptionFailed(_) => ENCRYPTION_FAILED,
            WalletError::InvalidName(_)
            | WalletError::AlreadyExists(_)
            | WalletError::Corrupt { .. }
            | WalletError::Unsupported(_)
            | WalletError::NoKeys
            | WalletError::PrivateKeysDisabled
            | WalletError::PrivateKeyNotAvailable
            | WalletError::Broadcast(_)
            | WalletError::Storage(_) => WALLET_ERROR,
        }
    }

    /// A storage failure while doing `what` with `path`.
    pub(crate) fn storage(what: &str, path: &Path, error: impl std::fmt::Display) -> WalletError {
        WalletError::Storage(format!("{what} {}: {error}", path.display()))
    }

    /// A damaged wallet file.
    pub(crate) fn corrupt(name: &str, detail: impl Into<String>) -> WalletError {
        WalletError::Corrupt {
            name: name.to_string(),
            detail: detail.into(),
        }
    }
}

impl From<interfaces::Error> for WalletError {
    fn from(error: interfaces::Error) -> WalletError {
        WalletError::Chain(error.message().to_string())
    }
}

impl From<WalletError> for interfaces::Error {
    fn from(error: WalletError) -> interfaces::Error {
        interfaces::Error::failed(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_are_cores() {
        let e = WalletError::AlreadyLoaded("w".into());
        assert_eq!(
            (e.rpc_code(), e.to_string()),
            (-35, "Wallet \"w\" is already loaded.".into())
        );
        assert_eq!(WalletError::InsufficientFunds.rpc_code(), -6);
        assert_eq!(WalletError::InvalidAmount.rpc_code(), -3);
        assert_eq!(WalletError::NotFound("/x".into()).rpc_code(), -18);
        let e: interfaces::Error = WalletError::InsufficientFunds.into();
        assert_eq!(e.message(), "Insufficient funds");
    }
}
