//! `Chain::handle_rpc`: another process's RPC methods (a wallet's) join the node's server.
//! Each becomes a remote [`rpc::Method`] whose help and conversion rows are that process's and
//! whose handler forwards the request, parameters as sent, endpoint and user, to the process's
//! `Rpc` executor, returning its result or its error (code and message) as they are.

use std::sync::Arc;

use interfaces::{Error, Handler, Rpc, RpcMethodInfo};
use rpc::protocol::RPC_WALLET_ERROR;
use rpc::{Dispatcher, MergedMethods, Method, RemoteSpec, RpcError, RpcResult, RpcTable};
use serde_json::{json, Value};

struct Registration(std::sync::Mutex<Option<MergedMethods>>);

impl Handler for Registration {
    fn disconnect(&self) -> Result<(), Error> {
        let merged = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        drop(merged);
        Ok(())
    }
}

/// Merges `methods` into `dispatcher`, executed by `executor`, until the handler drops.
pub fn merge(
    dispatcher: &Dispatcher,
    methods: &[RpcMethodInfo],
    executor: Arc<dyn Rpc>,
) -> Box<dyn Handler> {
    let mut table = RpcTable::new();
    for info in methods {
        let spec = RemoteSpec {
            help: info.help.clone(),
            args: info
                .args
                .iter()
                .map(|a| (a.position, a.name.clone(), a.is_string))
                .collect(),
        };
        let (executor, name) = (executor.clone(), info.name.clone());
        table.register(Method::remote(
            info.name.clone(),
            info.category.clone(),
            spec,
            move |p| forward(&*executor, &name, p.raw(), p.uri(), p.user()),
        ));
    }
    tracing::info!(
        count = methods.len(),
        "RPC methods of another process registered"
    );
    Box::new(Registration(std::sync::Mutex::new(Some(
        dispatcher.merge(table),
    ))))
}

fn forward(executor: &dyn Rpc, method: &str, params: &Value, uri: &str, user: &str) -> RpcResult {
    let params = if params.is_null() {
        json!([])
    } else {
        params.clone()
    };
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let reply = executor
        .execute_rpc(&request.to_string(), uri, user)
        .map_err(|e| {
            RpcError::new(
                RPC_WALLET_ERROR,
                format!("Wallet process unavailable ({})", e.message()),
            )
        })?;
    let mut reply: Value = serde_json::from_str(&reply).map_err(|e| {
        RpcError::new(
            RPC_WALLET_ERROR,
            format!("Wallet process sent bad JSON: {e}"),
        )
    })?;
    match reply.get("error").filter(|e| !e.is_null()) {
        Some(error) => {
            let code = error["code"].as_i64().and_then(|c| i32::try_from(c).ok());
            let message = error["message"].as_str().unwrap_or_default().to_string();
            Err(RpcError::new(code.unwrap_or(RPC_WALLET_ERROR), message))
        }
        None => Ok(reply
            .get_mut("result")
            .map(Value::take)
            .unwrap_or(Value::Null)),
    }
}
