# The bootstrap interface a process serves on every IPC connection
# (wire-compatible with Bitcoin Core's init.capnp; ordinals 5-7 follow Core's
# unmerged multiprocess branches).

@0xf2c5cfa319406aa6;

using Proxy = import "proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";
using Node = import "node.capnp";
using Chain = import "chain.capnp";
using Wallet = import "wallet.capnp";

interface Init {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    # Exchange ThreadMaps: the caller's (optional, for callbacks) for ours.

    makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
    makeMiningOld2 @2 () -> ();
    # Retired; the server always fails it.
    makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
    makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);

    # Ordinals 5-7 are makeChain, makeNode and makeWalletLoader, as on Core's multiprocess
    # branches. makeWalletLoader is served by a wallet process: its parent node passes the
    # Chain the wallets reach the node through.
    makeChain @5 (context :Proxy.Context) -> (result :Chain.Chain);
    makeNode @6 (context :Proxy.Context) -> (result :Node.Node);
    makeWalletLoader @7 (context :Proxy.Context, chain :Chain.Chain) -> (result :Wallet.WalletLoader);

    # What follows is this suite's own extension; Core neither sends nor serves it.

    configure @8 (context :Proxy.Context, args :List(Text)) -> ();
    # Sent by a parent right after spawning this process (`-ipcfd N`): the parent's settings
    # that the child should share (logging: -debuglogfile, -printtoconsole, -debug; chain
    # and data directory), as Core-style arguments. The child's argv stays `-ipcfd N`.
}
