# Echo: the smallest useful interface, for testing a connection end to end
# (wire-compatible with Bitcoin Core's echo.capnp).

@0x888b4f7f51e691f7;

using Proxy = import "proxy.capnp";

interface Echo {
    destroy @0 (context :Proxy.Context) -> ();
    # Free the server object now, before replying.

    echo @1 (context :Proxy.Context, echo :Text) -> (result :Text);
    # Return the text unchanged.
}
