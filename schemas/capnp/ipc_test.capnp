# Test-only interfaces used by the ipc crate's own tests and benchmarks. Not
# served by any production process.

@0xa7ef56952393bba2;

using Proxy = import "proxy.capnp";

interface TestSuite {
    destroy @0 (context :Proxy.Context) -> ();
    threadId @1 (context :Proxy.Context) -> (result :UInt64);
    # Identity of the OS thread that ran this call.
    sleep @2 (context :Proxy.Context, millis :UInt32) -> (result :UInt64);
    # Block the serving thread, then return its identity.
    echoData @3 (context :Proxy.Context, data :Data) -> (result :Data);
    record @4 (context :Proxy.Context, value :Int64) -> (result :List(Int64));
    # Append to a log kept by this object and return the whole log.
    callBack @5 (context :Proxy.Context, callback :TestCallback, depth :UInt32) -> (result :List(UInt64));
    # Call `callback.call(depth)` and return the thread identities it reports,
    # preceded by this call's own thread identity.
    liveObjects @6 (context :Proxy.Context) -> (result :UInt64);
    # How many TestSuite implementation objects exist in the serving process.
    makeChild @7 (context :Proxy.Context) -> (result :TestSuite);
    ping @8 () -> (result :UInt64);
    # No Context: answered on the event loop.
}

interface TestCallback {
    call @0 (context :Proxy.Context, depth :UInt32) -> (result :List(UInt64));
    # Report the identity of the thread running the callback, recursing into
    # the server while depth > 0.
}

interface TestInit {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    # Same shape and ordinal as Init.construct, so the runtime's ThreadMap exchange works.
    makeSuite @1 (context :Proxy.Context) -> (result :TestSuite);
}
