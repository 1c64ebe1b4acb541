//! From a request body to a reply (Core's `ExecuteHTTPRPC`, `JSONRPCExec` and
//! `CRPCTable::execute`): single requests and batches, JSON-RPC 1.0 and 2.0, notifications,
//! and the HTTP status of each outcome. Shared by the HTTP server and the IPC `Rpc` interface.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use crate::method::RpcResult;
use crate::protocol::{
    JsonRequest, JsonRpcVersion, RpcError, RPC_INVALID_REQUEST, RPC_IN_WARMUP,
    RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR, RPC_WALLET_NOT_FOUND,
};
use crate::table::{MergedMethods, RpcTable};

/// HTTP 200.
pub const HTTP_OK: u16 = 200;
/// HTTP 204: a notification, or a batch of them.
pub const HTTP_NO_CONTENT: u16 = 204;
/// HTTP 400: an invalid request object in JSON-RPC 1.0.
pub const HTTP_BAD_REQUEST: u16 = 400;
/// HTTP 404: an unknown method in JSON-RPC 1.0, or an unknown path.
pub const HTTP_NOT_FOUND: u16 = 404;
/// HTTP 500: any other error in JSON-RPC 1.0.
pub const HTTP_INTERNAL_SERVER_ERROR: u16 = 500;

/// What the HTTP server sends back: a status and, unless there is nothing to say, a JSON
/// body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (`None` for 204).
    pub body: Option<Value>,
}

/// Where a request is executed, and by whom.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The endpoint: `/` or `/wallet/<name>`.
    pub uri: &'a str,
    /// The authenticated user.
    pub user: &'a str,
}

/// The wallet named by a `/wallet/<name>` endpoint (percent-decoded), if any.
pub fn wallet_name(uri: &str) -> Option<String> {
    let encoded = uri.strip_prefix("/wallet/")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Core's `JSONErrorReply`: the error in the request's format, with HTTP 400 for an invalid
/// request, 404 for an unknown method and 500 for anything else.
fn error_reply(error: RpcError, request: &JsonRequest) -> Reply {
    let status = match error.code {
        RPC_INVALID_REQUEST => HTTP_BAD_REQUEST,
        RPC_METHOD_NOT_FOUND => HTTP_NOT_FOUND,
        _ => HTTP_INTERNAL_SERVER_ERROR,
    };
    Reply {
        status,
        body: Some(request.reply(Err(error))),
    }
}

/// Executes JSON-RPC requests against a method table.
pub struct Dispatcher {
    table: Arc<RpcTable>,
    warmup: Mutex<Option<String>>,
    wallet_endpoints: bool,
}

impl Dispatcher {
    /// A dispatcher for `table`, out of warm-up.
    pub fn new(table: RpcTable) -> Dispatcher {
        Dispatcher {
            table: Arc::new(table),
            warmup: Mutex::new(None),
            wallet_endpoints: false,
        }
    }

    /// A dispatcher for a wallet process's own methods, which read `/wallet/<name>`
    /// endpoints themselves.
    pub fn for_wallet_methods(table: RpcTable) -> Dispatcher {
        Dispatcher {
            wallet_endpoints: true,
            ..Dispatcher::new(table)
        }
    }

    /// The methods.
    pub fn table(&self) -> &RpcTable {
        &self.table
    }

    /// Adds the methods of `table` (defined elsewhere, e.g. by a wallet process) to those
    /// served, with their help and their errors, until the returned handle is dropped.
    pub fn merge(&self, table: RpcTable) -> MergedMethods {
        self.table.merge(table)
    }

    /// Adds the methods of `table` beneath those of the same name (see
    /// [`RpcTable::merge_beneath`]).
    pub fn merge_beneath(&self, table: RpcTable) -> MergedMethods {
        self.table.merge_beneath(table)
    }

    /// While `Some(status)`, every call fails with `RPC_IN_WARMUP` and that status (Core's
    /// `SetRPCWarmupStatus`); `None` ends the warm-up.
    pub fn set_warmup(&self, status: Option<String>) {
        *self.warmup.lock().unwrap_or_else(PoisonError::into_inner) = status;
    }

    /// Executes an HTTP body (Core's `HTTPReq_JSONRPC` after authentication).
    pub fn execute_body(&self, body: &[u8], caller: Caller<'_>) -> Reply {
        match serde_json::from_slice::<Value>(body) {
            Ok(request) => self.execute(&request, caller),
            Err(_) => error_reply(
                RpcError::new(RPC_PARSE_ERROR, "Parse error"),
                &JsonRequest::default(),
            ),
        }
    }

    /// Executes a parsed request object or batch (Core's `ExecuteHTTPRPC`).
    pub fn execute(&self, request: &Value, caller: Caller<'_>) -> Reply {
        let mut jreq = JsonRequest::default();
        match request {
            Value::Object(_) => {
                if let Err(e) = jreq.parse(request) {
                    return error_reply(e, &jreq);
                }
                let outcome = self.execute_request(&jreq, caller);
                if jreq.is_notification() {
                    return Reply {
                        status: HTTP_NO_CONTENT,
                        body: None,
                    };
                }
                match (outcome, jreq.version) {
                    // JSON-RPC 1.0 turns errors into HTTP errors; 2.0 answers 200.
                    (Err(e), JsonRpcVersion::V1Legacy) => error_reply(e, &jreq),
                    (outcome, _) => Reply {
                        status: HTTP_OK,
                        body: Some(jreq.reply(outcome)),
                    },
                }
            }
            Value::Array(batch) => {
                // As in Core, one request object is reused for the batch: an element that is
                // not an object is answered with the id and version of the element before.
                let mut replies = Vec::new();
                for element in batch {
                    let reply = match jreq.parse(element) {
                        Ok(()) => jreq.reply(self.execute_request(&jreq, caller)),
                        Err(e) => jreq.reply(Err(e)),
                    };
                    if !jreq.is_notification() {
                        replies.push(reply);
                    }
                }
                if replies.is_empty() && !batch.is_empty() {
                    return Reply {
                        status: HTTP_NO_CONTENT,
                        body: None,
                    };
                }
                Reply {
                    status: HTTP_OK,
                    body: Some(Value::Array(replies)),
                }
            }
            _ => error_reply(
                RpcError::new(RPC_PARSE_ERROR, "Top-level object parse error"),
                &jreq,
            ),
        }
    }

    /// Runs one parsed request (Core's `CRPCTable::execute`).
    fn execute_request(&self, request: &JsonRequest, caller: Caller<'_>) -> RpcResult {
        tracing::debug!(
            target: "rpc",
            "ThreadRPCServer method={} user={}",
            request.method.escape_debug(),
            caller.user
        );
        if let Some(status) = self
            .warmup
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Err(RpcError::new(RPC_IN_WARMUP, status));
        }
        let method = self
            .table
            .get(&request.method)
            .ok_or_else(|| RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found"))?;
        if wallet_name(caller.uri).is_some()
            && !self.wallet_endpoints
            && method.remote.is_none()
            && !self.table.has_remote()
        {
            // No wallet process serves methods: every wallet endpoint names a missing wallet.
            // (With one, the node's own methods run at any endpoint, as in Core.)
            return Err(RpcError::new(
                RPC_WALLET_NOT_FOUND,
                "Requested wallet does not exist or is not loaded",
            ));
        }
        self.table
            .execute(&method, &request.params, caller.uri, caller.user)
    }
}

/// The node's [`interfaces::Rpc`]: requests from trusted IPC clients, executed by the same
/// dispatcher as HTTP requests, without authentication.
pub struct LocalRpc(pub Arc<Dispatcher>);

impl interfaces::Rpc for LocalRpc {
    fn execute_rpc(
        &self,
        request: &str,
        uri: &str,
        user: &str,
    ) -> Result<String, interfaces::Error> {
        let reply = self
            .0
            .execute_body(request.as_bytes(), Caller { uri, user });
        Ok(reply.body.unwrap_or(Value::Null).to_string())
    }
}
