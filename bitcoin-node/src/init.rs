//! The node's `Init`: what a process connecting to the node can ask for.

use interfaces::{Echo, Error, Init, LocalEcho};

/// The `Init` the node serves on `-ipcbind` sockets and `-ipcfd`.
#[derive(Debug, Default)]
pub struct NodeInit;

impl NodeInit {
    /// A new `Init`.
    pub fn new() -> NodeInit {
        NodeInit
    }
}

impl Init for NodeInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        Ok(Box::new(LocalEcho))
    }
}
