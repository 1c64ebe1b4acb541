# The wallet process's interfaces: WalletLoader (served from Init.makeWalletLoader @7, given the
# node's Chain) and Wallet (one loaded wallet). This suite's own, modelled on Bitcoin Core's
# interfaces::WalletLoader and interfaces::Wallet but shaped for IPC: balances in one call, a
# send in one call.

@0x923c0ba250dd70dc;

using Proxy = import "proxy.capnp";
using Common = import "common.capnp";
using Node = import "node.capnp";
using Chain = import "chain.capnp";

struct WalletBalances {
    trusted @0 :Int64;          # satoshis
    untrustedPending @1 :Int64;
    immature @2 :Int64;
}

struct Recipient {
    address @0 :Text;
    amount @1 :Int64;           # satoshis
    subtractFee @2 :Bool;
}

struct SendRequest {
    recipients @0 :List(Recipient);
    feePerKvb @1 :Int64;        # satoshis per 1000 virtual bytes
    hasFeePerKvb @2 :Bool;      # false: estimate for confTarget
    confTarget @3 :UInt32;
    hasConfTarget @4 :Bool;
    replaceable @5 :Bool;
}

struct SentTransaction {
    txid @0 :Data;              # 32 bytes, internal byte order
    fee @1 :Int64;
    tx @2 :Data;
}

struct WalletTransaction {
    txid @0 :Data;
    tx @1 :Data;
    net @2 :Int64;
    fee @3 :Int64;
    hasFee @4 :Bool;
    confirmations @5 :Int32;
    block @6 :Common.BlockRef;  # set when confirmed
    time @7 :Int64;
    coinbase @8 :Bool;
    inMempool @9 :Bool;
    trusted @10 :Bool;          # confirmed, or in the mempool spending trusted own outputs
    replaceable @11 :Bool;      # signals BIP125
}

enum AddressPurpose {
    receive @0;                 # the wallet's own address, handed out to be paid
    send @1;                    # someone else's address the user pays
}

struct AddressBookEntry {
    address @0 :Text;
    label @1 :Text;
    purpose @2 :AddressPurpose;
    isMine @3 :Bool;            # ignored by setAddressBook
}

struct BumpFeeRequest {
    feePerKvb @0 :Int64;        # satoshis per 1000 virtual bytes
    hasFeePerKvb @1 :Bool;      # false: estimate for confTarget
    confTarget @2 :UInt32;
    hasConfTarget @3 :Bool;
}

struct BumpedTransaction {
    txid @0 :Data;              # the replacement, 32 bytes, internal byte order
    oldFee @1 :Int64;
    newFee @2 :Int64;
}

struct WalletCoin {
    outpoint @0 :Chain.Outpoint;
    value @1 :Int64;            # satoshis
    script @2 :Data;
    address @3 :Text;           # empty when the script has none
    confirmations @4 :Int32;
    immature @5 :Bool;
    locked @6 :Bool;
}

struct FilledPsbt {
    psbt @0 :Data;              # BIP174 binary
    complete @1 :Bool;
}

struct WalletInfo {
    name @0 :Text;
    txCount @1 :UInt64;
    balances @2 :WalletBalances;
    lastProcessed @3 :Common.BlockRef;
    encrypted @4 :Bool;
    unlockedUntil @5 :Int64;
    privateKeysEnabled @6 :Bool;
}

interface Wallet {
    destroy @0 (context :Proxy.Context) -> ();
    getName @1 (context :Proxy.Context) -> (result :Text);
    getNewAddress @2 (context :Proxy.Context, label :Text, addressType :Text) -> (result :Text);
    getChangeAddress @3 (context :Proxy.Context, addressType :Text) -> (result :Text);
    getBalances @4 (context :Proxy.Context) -> (result :WalletBalances);
    send @5 (context :Proxy.Context, request :SendRequest) -> (result :SentTransaction);
    listTransactions @6 (context :Proxy.Context, count :UInt32, skip :UInt32) -> (result :List(WalletTransaction));
    getInfo @7 (context :Proxy.Context) -> (result :WalletInfo);
    handleNotifications @8 (context :Proxy.Context, notifications :WalletNotifications) -> (result :Node.Handler);
    encrypt @9 (context :Proxy.Context, passphrase :Text) -> ();
    lock @10 (context :Proxy.Context) -> ();
    unlock @11 (context :Proxy.Context, passphrase :Text, timeoutSecs :UInt64) -> ();
    changePassphrase @12 (context :Proxy.Context, old :Text, new :Text) -> ();
    getAddresses @13 (context :Proxy.Context) -> (result :List(AddressBookEntry));
    setAddressBook @14 (context :Proxy.Context, entry :AddressBookEntry) -> ();
    getTransaction @15 (context :Proxy.Context, txid :Data) -> (result :WalletTransaction);
    # Built (and signed when sign), neither broadcast nor recorded: result.tx, txid and fee.
    createTransaction @16 (context :Proxy.Context, request :SendRequest, sign :Bool) -> (result :SentTransaction);
    # Broadcast through the node and recorded; the txid.
    commitTransaction @17 (context :Proxy.Context, tx :Data) -> (result :Data);
    bumpFee @18 (context :Proxy.Context, txid :Data, request :BumpFeeRequest) -> (result :BumpedTransaction);
    listCoins @19 (context :Proxy.Context) -> (result :List(WalletCoin));
    lockCoin @20 (context :Proxy.Context, outpoint :Chain.Outpoint, persistent :Bool) -> ();
    unlockCoin @21 (context :Proxy.Context, outpoint :Chain.Outpoint) -> ();
    listLockedCoins @22 (context :Proxy.Context) -> (result :List(Chain.Outpoint));
    # destination: a file, or a directory for <name>.bak; the file written.
    backupWallet @23 (context :Proxy.Context, destination :Text) -> (result :Text);
    fillPsbt @24 (context :Proxy.Context, psbt :Data, sign :Bool, bip32derivs :Bool) -> (result :FilledPsbt);
}

interface WalletLoader {
    destroy @0 (context :Proxy.Context) -> ();
    # flags: Core's WALLET_FLAG_* bits (BLANK_WALLET 1<<28, DISABLE_PRIVATE_KEYS 1<<32,
    # DESCRIPTORS 1<<34), as Core's createWallet's wallet_creation_flags.
    createWallet @1 (context :Proxy.Context, name :Text, passphrase :Text, flags :UInt64) -> (result :Wallet);
    loadWallet @2 (context :Proxy.Context, name :Text) -> (result :Wallet);
    unloadWallet @3 (context :Proxy.Context, name :Text) -> ();
    listWalletDir @4 (context :Proxy.Context) -> (result :List(Text));
    listWallets @5 (context :Proxy.Context) -> (result :List(Text));
    getWallet @6 (context :Proxy.Context, name :Text) -> (result :Wallet);
    handleLoadWallet @7 (context :Proxy.Context, callback :LoadWalletCallback) -> (result :Node.Handler);
}

interface WalletNotifications {
    # Served by the subscriber; the wallet calls it, in order, from a thread of its own.
    transactionChanged @0 (context :Proxy.Context, txid :Data) -> ();
    balanceChanged @1 (context :Proxy.Context, balances :WalletBalances) -> ();
    statusChanged @2 (context :Proxy.Context) -> ();
    showProgress @3 (context :Proxy.Context, title :Text, progress :Int32) -> ();
    unloaded @4 (context :Proxy.Context) -> ();
}

interface LoadWalletCallback {
    # Served by the subscriber; called with each wallet loaded or created.
    call @0 (context :Proxy.Context, wallet :Wallet) -> ();
}
