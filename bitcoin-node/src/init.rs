//! The node's `Init`: what a process connecting to the node can ask for.

use std::sync::Arc;

use common::logging::{LogHandle, LogSettings};
use common::Settings;
use interfaces::{Echo, Error, Init, LocalEcho, Rpc};

use crate::rpc::{Dispatcher, LocalRpc};

/// The `Init` the node serves on `-ipcbind` sockets and `-ipcfd`.
pub struct NodeInit {
    process: &'static str,
    log: Option<Arc<LogHandle>>,
    rpc: Option<Arc<Dispatcher>>,
}

impl NodeInit {
    /// A new `Init` for the process named `process`; `log` lets a spawning parent's
    /// `configure` switch this process's logging; `rpc` executes `Rpc.executeRpc` calls.
    pub fn new(
        process: &'static str,
        log: Option<Arc<LogHandle>>,
        rpc: Option<Arc<Dispatcher>>,
    ) -> NodeInit {
        NodeInit { process, log, rpc }
    }
}

impl Init for NodeInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        Ok(Box::new(LocalEcho))
    }

    fn make_rpc(&self) -> Result<Box<dyn Rpc>, Error> {
        match &self.rpc {
            Some(dispatcher) => Ok(Box::new(LocalRpc(dispatcher.clone()))),
            None => Err(Error::failed("rpc interface not available in this process")),
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
