# JSON-RPC requests carried over IPC (wire-compatible with Bitcoin Core's
# rpc.capnp): the socket's permissions are the authentication.

@0x9c3505dc45e146ac;

using Proxy = import "proxy.capnp";

interface Rpc {
    executeRpc @0 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
    # Execute one JSON-RPC request (or batch) as if it had arrived over HTTP
    # at `uri` ("/" or "/wallet/<name>") from `user`; returns the JSON reply.
}
