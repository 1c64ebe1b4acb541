//! The node's `Init`: what a process connecting to the node can ask for.

use std::sync::Arc;

use common::logging::{LogHandle, LogSettings};
use common::Settings;
use interfaces::{Chain, Echo, Error, Init, LocalEcho, Mining, Node, Rpc};

use crate::mining::{LocalMining, MiningContext};

use rpc::{Dispatcher, LocalRpc};

/// The `Init` the node serves on `-ipcbind` sockets and `-ipcfd`.
pub struct NodeInit {
    process: &'static str,
    log: Option<Arc<LogHandle>>,
    rpc: Option<Arc<Dispatcher>>,
    node: Option<Arc<crate::node::LocalNode>>,
    mining: Option<Arc<MiningContext>>,
    chain: Option<crate::chain_interface::LocalChain>,
}

impl NodeInit {
    /// A new `Init` for the process named `process`; `log` lets a spawning parent's
    /// `configure` switch this process's logging; `rpc` executes `Rpc.executeRpc` calls.
    pub fn new(
        process: &'static str,
        log: Option<Arc<LogHandle>>,
        rpc: Option<Arc<Dispatcher>>,
    ) -> NodeInit {
        NodeInit {
            process,
            log,
            rpc,
            node: None,
            mining: None,
            chain: None,
        }
    }

    /// Also serves `node` to `Init.makeNode` callers (front ends).
    pub fn with_node(mut self, node: Arc<crate::node::LocalNode>) -> NodeInit {
        self.node = Some(node);
        self
    }
}

impl NodeInit {
    /// Also serves `Init.makeChain` callers (wallet processes).
    pub fn with_chain(mut self, chain: crate::chain_interface::LocalChain) -> NodeInit {
        self.chain = Some(chain);
        self
    }

    /// Also serves `Init.makeMining` callers (external miners, template providers).
    pub fn with_mining(mut self, mining: Arc<MiningContext>) -> NodeInit {
        self.mining = Some(mining);
        self
    }
}

impl Init for NodeInit {
    fn make_mining(&self) -> Result<Box<dyn Mining>, Error> {
        match &self.mining {
            Some(ctx) => Ok(Box::new(LocalMining::new(ctx.clone()))),
            None => Err(Error::failed(
                "mining interface not available in this process",
            )),
        }
    }

    fn make_chain(&self) -> Result<Box<dyn Chain>, Error> {
        match &self.chain {
            Some(chain) => Ok(Box::new(chain.clone())),
            None => Err(Error::failed(
                "chain interface not available in this process",
            )),
        }
    }

    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        Ok(Box::new(LocalEcho))
    }

    fn make_rpc(&self) -> Result<Box<dyn Rpc>, Error> {
        match &self.rpc {
            Some(dispatcher) => Ok(Box::new(LocalRpc(dispatcher.clone()))),
            None => Err(Error::failed("rpc interface not available in this process")),
        }
    }

    fn make_node(&self) -> Result<Box<dyn Node>, Error> {
        match &self.node {
            Some(node) => Ok(Box::new(node.clone())),
            None => Err(Error::failed(
                "node interface not available in this process",
            )),
        }
    }

    fn configure(&self, args: &[String]) -> Result<(), Error> {
        let settings = Settings::from_args(common::args::COMMON_OPTIONS, args)
            .map_err(|e| Error::failed(format!("configure: {e}")))?;
        let log = LogSettings::from_settings(self.process, &settings, &settings.net_dir(), false)
            .map_err(|e| Error::failed(format!("configure: {e}")))?;
        if let Some(handle) = &self.log {
            handle
                .apply(&log)
                .map_err(|e| Error::failed(format!("configure: {e}")))?;
        }
        tracing::info!(?args, "configured by parent");
        Ok(())
    }
}
