//! `Handler` over IPC (`node.capnp`): a subscription to notifications that lives in another
//! process, returned by `Node`, `Chain` and `Wallet` alike (its own module so that those
//! interfaces need not import each other).

use interfaces::Handler;

crate::interface! {
    /// A notification subscription held in another process.
    HandlerProxy, HandlerServer: dyn Handler, schemas::node_capnp::handler;
    [destroy]
    methods {
        fn disconnect() -> () => [unit];
    }
}
