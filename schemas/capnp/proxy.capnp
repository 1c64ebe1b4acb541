# Thread mapping vocabulary shared by every interface of the suite.
#
# Wire-compatible with libmultiprocess's mp/proxy.capnp: same file id, same
# declaration names (and therefore type ids), same ordinals. Loadable on its
# own by any Cap'n Proto implementation: no imports, no annotations.

@0xcc316e3f71a040fb;

interface ThreadMap {
    # Lets a peer create threads in this process that it can then name in a
    # Context to say where its calls should execute.

    makeThread @0 (name :Text) -> (result :Thread);
    # Start a dedicated OS thread. It lives while the returned capability is
    # referenced; calls naming it run on it one at a time, in arrival order.

    makePool @1 (count :UInt32) -> ();
    # Start `count` shared worker threads that serve calls whose Context names
    # no thread.
}

interface Thread {
    # Handle to one OS thread of the process that hosts the capability.

    getName @0 () -> (result :Text);
}

struct Context {
    # First parameter of every method that runs on a worker thread.

    thread @0 :Thread;
    # Thread of the callee's process that should execute the call.

    callbackThread @1 :Thread;
    # Thread of the caller's process that is waiting for the reply; calls the
    # callee makes back to the caller while serving this call run there.
}
