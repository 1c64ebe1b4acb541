# The Node interface: what a GUI (or any front end) needs from a node, served from
# Init.makeNode @6. This suite's own interface, modelled on Bitcoin Core's interfaces::Node
# but shaped for IPC: one call returns the whole status summary.

@0xfc98b28df3783f40;

using Proxy = import "proxy.capnp";
using Wallet = import "wallet.capnp";

struct NodeStatus {
    blockCount @0 :Int32;               # height of the active tip
    bestBlockHash @1 :Data;             # 32 bytes, internal byte order
    headerTipHeight @2 :Int32;
    lastBlockTime @3 :Int64;            # seconds since the epoch
    verificationProgress @4 :Float64;   # 0 to 1
    initialBlockDownload @5 :Bool;
    mempoolSize @6 :UInt64;             # transactions
    mempoolUsage @7 :UInt64;            # bytes
    numConnections @8 :UInt32;
    networkActive @9 :Bool;
    totalBytesRecv @10 :UInt64;
    totalBytesSent @11 :UInt64;
    headerTipTime @12 :Int64;           # time of the best header, seconds since the epoch
}

struct IpcMethodStats {
    name @0 :Text;
    calls @1 :UInt64;
    p50Us @2 :UInt64;                   # latency percentiles of the recent calls, microseconds
    p90Us @3 :UInt64;
    p99Us @4 :UInt64;
    maxUs @5 :UInt64;
}

struct IpcObjectCount {
    interface @0 :Text;
    count @1 :UInt64;
}

struct IpcConnection {
    id @0 :UInt64;
    origin @1 :Text;                    # "listener <path>", "spawned <exe> (pid N)", ...
    peerPid @2 :Int64;                  # SO_PEERCRED; -1 when unknown
    peerUid @3 :Int64;
    connectedSince @4 :Int64;           # seconds since the epoch
    serverThreads @5 :UInt32;
    objects @6 :List(IpcObjectCount);
    callsInFlight @7 :UInt32;
    methods @8 :List(IpcMethodStats);
}

struct BlockTip {
    height @0 :Int32;
    hash @1 :Data;                      # 32 bytes, internal byte order
    time @2 :Int64;
    verificationProgress @3 :Float64;
}

interface Node {
    destroy @0 (context :Proxy.Context) -> ();
    getStatus @1 (context :Proxy.Context) -> (result :NodeStatus);
    executeRpc @2 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
    startShutdown @3 (context :Proxy.Context) -> ();
    handleNotifyBlockTip @4 (context :Proxy.Context, callback :NotifyBlockTipCallback) -> (result :Handler);
    handleNotifyHeaderTip @5 (context :Proxy.Context, callback :NotifyHeaderTipCallback) -> (result :Handler);
    handleShowProgress @6 (context :Proxy.Context, callback :ShowProgressCallback) -> (result :Handler);
    handleInitMessage @7 (context :Proxy.Context, callback :InitMessageCallback) -> (result :Handler);
    handleNotifyNumConnectionsChanged @8 (context :Proxy.Context, callback :NumConnectionsChangedCallback) -> (result :Handler);
    walletLoader @9 (context :Proxy.Context) -> (result :Wallet.WalletLoader);
    # The loader of the wallets the node runs (in the wallet process it spawned); fails when
    # the node runs without a wallet.
    getIpcInfo @10 (context :Proxy.Context) -> (result :List(IpcConnection));
    # The node's IPC connections with their figures (what the getipcinfo RPC shows).
}

interface Handler {
    # A registered callback; destroying or disconnecting it unsubscribes.
    destroy @0 (context :Proxy.Context) -> ();
    disconnect @1 (context :Proxy.Context) -> ();
}

interface NotifyBlockTipCallback {
    call @0 (context :Proxy.Context, initialDownload :Bool, tip :BlockTip) -> ();
}

interface NotifyHeaderTipCallback {
    call @0 (context :Proxy.Context, initialDownload :Bool, tip :BlockTip, presync :Bool) -> ();
}

interface ShowProgressCallback {
    call @0 (context :Proxy.Context, title :Text, progress :Int32, resumePossible :Bool) -> ();
}

interface InitMessageCallback {
    call @0 (context :Proxy.Context, message :Text) -> ();
}

interface NumConnectionsChangedCallback {
    call @0 (context :Proxy.Context, numConnections :UInt32) -> ();
}
