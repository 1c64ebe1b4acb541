# The Chain interface: what a wallet needs from the node, served from Init.makeChain @5.
# This suite's own interface, modelled on Bitcoin Core's interfaces::Chain but shaped for IPC:
# the node filters (scan returns only the transactions touching the caller's scripts or
# outpoints, never whole blocks), and notifications arrive in chain order.

@0xaeabc8b7dadf5dbe;

using Proxy = import "proxy.capnp";
using Common = import "common.capnp";
using Node = import "node.capnp";
using Rpc = import "rpc.capnp";

struct BlockInfo {
    hash @0 :Data;          # 32 bytes, internal byte order
    prevHash @1 :Data;      # 32 bytes; all zero for the genesis block
    height @2 :Int32;
    time @3 :Int64;         # seconds since the epoch
}

struct Outpoint {
    txid @0 :Data;          # 32 bytes, internal byte order
    vout @1 :UInt32;
}

struct ScanRequest {
    startHeight @0 :Int32;
    stopHeight @1 :Int32;
    hasStopHeight @2 :Bool; # false: scan up to the tip
    scripts @3 :List(Data); # output scripts, raw bytes
    outpoints @4 :List(Outpoint);
    includeMempool @5 :Bool;
}

struct ScanMatch {
    block @0 :BlockInfo;
    position @1 :UInt32;    # index in the block, 0 is the coinbase
    tx @2 :Data;            # consensus-serialized with witness
}

struct ScanResult {
    matches @0 :List(ScanMatch);
    lastScanned @1 :Common.BlockRef;
    mempool @2 :List(Data);
    blocksScanned @3 :UInt32;
}

struct FeeEstimate {
    feePerKvb @0 :Int64;    # satoshis per 1000 virtual bytes; 0: no estimate
    returnedTarget @1 :UInt32;
}

struct RelayFees {
    minRelay @0 :Int64;     # satoshis per 1000 virtual bytes
    incremental @1 :Int64;
    dustRelay @2 :Int64;
    mempoolMin @3 :Int64;
}

struct RpcArgInfo {
    position @0 :UInt32;
    name @1 :Text;
    isString @2 :Bool;
}

struct RpcMethodInfo {
    name @0 :Text;
    category @1 :Text;
    help @2 :Text;          # whole help text in Bitcoin Core's layout
    args @3 :List(RpcArgInfo);
}

interface Chain {
    destroy @0 (context :Proxy.Context) -> ();
    getTip @1 (context :Proxy.Context) -> (result :Common.BlockRef, hasResult :Bool);
    getBlockHash @2 (context :Proxy.Context, height :Int32) -> (result :Data, hasResult :Bool);
    findBlock @3 (context :Proxy.Context, hash :Data) -> (result :BlockInfo, hasResult :Bool);
    findFork @4 (context :Proxy.Context, locator :List(Common.BlockRef)) -> (result :Common.BlockRef, hasResult :Bool);
    scan @5 (context :Proxy.Context, request :ScanRequest) -> (result :ScanResult);
    broadcastTransaction @6 (context :Proxy.Context, tx :Data, maxFee :Int64) -> ();
    isInMempool @7 (context :Proxy.Context, txid :Data) -> (result :Bool);
    hasDescendantsInMempool @8 (context :Proxy.Context, txid :Data) -> (result :Bool);
    estimateSmartFee @9 (context :Proxy.Context, target :UInt32, conservative :Bool) -> (result :FeeEstimate);
    relayFees @10 (context :Proxy.Context) -> (result :RelayFees);
    isInitialBlockDownload @11 (context :Proxy.Context) -> (result :Bool);
    shutdownRequested @12 (context :Proxy.Context) -> (result :Bool);
    handleNotifications @13 (context :Proxy.Context, notifications :ChainNotifications) -> (result :Node.Handler);
    waitForNotifications @14 (context :Proxy.Context) -> ();
    handleRpc @15 (context :Proxy.Context, methods :List(RpcMethodInfo), executor :Rpc.Rpc) -> (result :Node.Handler);
}

interface ChainNotifications {
    # Served by the subscriber; the node calls it, in chain order.
    blockConnected @0 (context :Proxy.Context, block :BlockInfo) -> ();
    blockDisconnected @1 (context :Proxy.Context, block :BlockInfo) -> ();
    transactionAddedToMempool @2 (context :Proxy.Context, tx :Data) -> ();
    transactionRemovedFromMempool @3 (context :Proxy.Context, txid :Data, reason :Text) -> ();
    updatedBlockTip @4 (context :Proxy.Context) -> ();
}
