# The bootstrap interface a process serves on every IPC connection
# (wire-compatible with Bitcoin Core's init.capnp; ordinals 5-7 follow Core's
# unmerged multiprocess branches).

@0xf2c5cfa319406aa6;

using Proxy = import "proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";

interface Init {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    # Exchange ThreadMaps: the caller's (optional, for callbacks) for ours.

    makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
    makeMiningOld2 @2 () -> ();
    # Retired; the server always fails it.
    makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
    makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
}
