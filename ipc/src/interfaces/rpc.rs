//! `Rpc` over IPC (`rpc.capnp`, wire-compatible with Bitcoin Core).

crate::interface! {
    /// An [`interfaces::Rpc`] served by another process.
    RpcProxy, RpcServer: dyn interfaces::Rpc, schemas::rpc_capnp::rpc;
    methods {
        fn execute_rpc(request: &str => [text], uri: &str => [text], user: &str => [text]) -> String => [text];
    }
}
