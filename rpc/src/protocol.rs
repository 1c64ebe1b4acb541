//! JSON-RPC as Bitcoin Core speaks it (`src/rpc/protocol.h`, `src/rpc/request.cpp`): error
//! codes, the request object and the reply object of versions 1.0 (legacy) and 2.0.

use serde_json::{json, Map, Value};

/// Standard JSON-RPC 2.0 error: the request is not a valid request object (HTTP 400 in 1.0).
pub const RPC_INVALID_REQUEST: i32 = -32600;
/// Standard JSON-RPC 2.0 error: no such method (HTTP 404 in 1.0).
pub const RPC_METHOD_NOT_FOUND: i32 = -32601;
/// Standard JSON-RPC 2.0 error: invalid parameters.
pub const RPC_INVALID_PARAMS: i32 = -32602;
/// Standard JSON-RPC 2.0 error: a genuine error in the node.
pub const RPC_INTERNAL_ERROR: i32 = -32603;
/// Standard JSON-RPC 2.0 error: the body is not JSON.
pub const RPC_PARSE_ERROR: i32 = -32700;
/// An error thrown while handling a command.
pub const RPC_MISC_ERROR: i32 = -1;
/// Unexpected type passed as a parameter.
pub const RPC_TYPE_ERROR: i32 = -3;
/// Invalid address or key.
pub const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
/// Invalid, missing or duplicate parameter.
pub const RPC_INVALID_PARAMETER: i32 = -8;
/// Database error.
pub const RPC_DATABASE_ERROR: i32 = -20;
/// Error parsing or validating a structure in raw format.
pub const RPC_DESERIALIZATION_ERROR: i32 = -22;
/// General error during transaction or block submission.
pub const RPC_VERIFY_ERROR: i32 = -25;
/// Transaction or block rejected by network rules.
pub const RPC_VERIFY_REJECTED: i32 = -26;
/// Transaction already in the UTXO set.
pub const RPC_VERIFY_ALREADY_IN_UTXO_SET: i32 = -27;
/// The node is still starting.
pub const RPC_IN_WARMUP: i32 = -28;
/// The method is deprecated.
pub const RPC_METHOD_DEPRECATED: i32 = -32;
/// The node is not connected (also: shutting down).
pub const RPC_CLIENT_NOT_CONNECTED: i32 = -9;
/// Still downloading initial blocks.
pub const RPC_CLIENT_IN_INITIAL_DOWNLOAD: i32 = -10;
/// No mempool.
pub const RPC_CLIENT_MEMPOOL_DISABLED: i32 = -33;
/// Unspecified wallet problem.
pub const RPC_WALLET_ERROR: i32 = -4;
/// The wallet named by the endpoint does not exist or is not loaded.
pub const RPC_WALLET_NOT_FOUND: i32 = -18;
/// No wallet named although several are loaded.
pub const RPC_WALLET_NOT_SPECIFIED: i32 = -19;
/// Not enough funds in the wallet or account.
pub const RPC_WALLET_INSUFFICIENT_FUNDS: i32 = -6;
/// The keypool ran out.
pub const RPC_WALLET_KEYPOOL_RAN_OUT: i32 = -12;
/// Enter the wallet passphrase with `walletpassphrase` first.
pub const RPC_WALLET_UNLOCK_NEEDED: i32 = -13;
/// The wallet passphrase entered was incorrect.
pub const RPC_WALLET_PASSPHRASE_INCORRECT: i32 = -14;
/// A command was given in the wrong wallet encryption state.
pub const RPC_WALLET_WRONG_ENC_STATE: i32 = -15;
/// Failed to encrypt the wallet.
pub const RPC_WALLET_ENCRYPTION_FAILED: i32 = -16;
/// The wallet is already unlocked.
pub const RPC_WALLET_ALREADY_UNLOCKED: i32 = -17;
/// This same wallet is already loaded.
pub const RPC_WALLET_ALREADY_LOADED: i32 = -35;
/// There is already a wallet with the same name.
pub const RPC_WALLET_ALREADY_EXISTS: i32 = -36;

/// A JSON-RPC error: Core's code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    /// One of the `RPC_*` codes.
    pub code: i32,
    /// The message shown to the user.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// `RPC_INVALID_PARAMETER` (-8).
    pub fn invalid_parameter(message: impl Into<String>) -> RpcError {
        RpcError::new(RPC_INVALID_PARAMETER, message)
    }

    /// `RPC_TYPE_ERROR` (-3).
    pub fn type_error(message: impl Into<String>) -> RpcError {
        RpcError::new(RPC_TYPE_ERROR, message)
    }

    /// `RPC_MISC_ERROR` (-1), what Core reports for exceptions thrown by a handler.
    pub fn misc(message: impl Into<String>) -> RpcError {
        RpcError::new(RPC_MISC_ERROR, message)
    }

    /// A bug in the node (Core's `NonFatalCheckError`), reported as `RPC_MISC_ERROR`.
    pub fn internal_bug(what: impl std::fmt::Display) -> RpcError {
        RpcError::misc(format!(
            "Internal bug detected: {what}\n{} v{}\nPlease report this issue.",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        ))
    }

    /// The `{"code": .., "message": ..}` object.
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

/// Core's name of a JSON value's type (`uvTypeName`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
    }
}

/// Which reply format a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRpcVersion {
    /// No `"jsonrpc"` (or `"1.0"`): replies carry both `result` and `error`, and errors map
    /// to HTTP statuses.
    V1Legacy,
    /// `"jsonrpc": "2.0"`: replies carry one of `result`/`error`; notifications get none.
    V2,
}

/// A parsed request (Core's `JSONRPCRequest`).
#[derive(Debug, Clone)]
pub struct JsonRequest {
    /// The `id`; `None` when the member is absent (a notification in 2.0), `Some(null)` by
    /// default so that errors before parsing carry `"id": null`.
    pub id: Option<Value>,
    /// The method name.
    pub method: String,
    /// `params`: an array (positional) or an object (named).
    pub params: Value,
    /// The reply format.
    pub version: JsonRpcVersion,
}

impl Default for JsonRequest {
    fn default() -> JsonRequest {
        JsonRequest {
            id: Some(Value::Null),
            method: String::new(),
            params: Value::Array(Vec::new()),
            version: JsonRpcVersion::V1Legacy,
        }
    }
}

impl JsonRequest {
    /// Reads `value` into `self` as Core's `JSONRPCRequest::parse` does, field by field, so that
    /// an error carries the id (and version) read before it.
    pub fn parse(&mut self, value: &Value) -> Result<(), RpcError> {
        let invalid = |m: &str| RpcError::new(RPC_INVALID_REQUEST, m);
        let Value::Object(request) = value else {
            return Err(invalid("Invalid Request object"));
        };
        self.id = request.get("id").cloned();
        self.version = JsonRpcVersion::V1Legacy;
        match request.get("jsonrpc") {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v == "1.0" => {}
            Some(Value::String(v)) if v == "2.0" => self.version = JsonRpcVersion::V2,
            Some(Value::String(_)) => return Err(invalid("JSON-RPC version not supported")),
            Some(_) => return Err(invalid("jsonrpc field must be a string")),
        }
        self.method = match request.get("method") {
            None | Some(Value::Null) => return Err(invalid("Missing method")),
            Some(Value::String(m)) => m.clone(),
            Some(_) => return Err(invalid("Method must be a string")),
        };
        self.params = match request.get("params") {
            Some(p @ (Value::Array(_) | Value::Object(_))) => p.clone(),
            None | Some(Value::Null) => Value::Array(Vec::new()),
            Some(_) => return Err(invalid("Params must be an array or object")),
        };
        Ok(())
    }

    /// A 2.0 request without `id`: executed, but not answered.
    pub fn is_notification(&self) -> bool {
        self.id.is_none() && self.version == JsonRpcVersion::V2
    }

    /// The reply to this request (Core's `JSONRPCReplyObj`).
    pub fn reply(&self, outcome: Result<Value, RpcError>) -> Value {
        reply_object(outcome, self.id.clone(), self.version)
    }
}

/// Core's `JSONRPCReplyObj`: 2.0 adds `"jsonrpc"` and omits the null member, 1.0 has both
/// `result` and `error`; `id` is omitted only when absent.
pub fn reply_object(
    outcome: Result<Value, RpcError>,
    id: Option<Value>,
    version: JsonRpcVersion,
) -> Value {
    let mut reply = Map::new();
    let legacy = version == JsonRpcVersion::V1Legacy;
    if !legacy {
        reply.insert("jsonrpc".into(), json!("2.0"));
    }
    match outcome {
        Ok(result) => {
            reply.insert("result".into(), result);
            if legacy {
                reply.insert("error".into(), Value::Null);
            }
        }
        Err(error) => {
            if legacy {
                reply.insert("result".into(), Value::Null);
            }
            reply.insert("error".into(), error.to_json());
        }
    }
    if let Some(id) = id {
        reply.insert("id".into(), id);
    }
    Value::Object(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> (JsonRequest, Result<(), RpcError>) {
        let mut r = JsonRequest::default();
        let outcome = r.parse(&v);
        (r, outcome)
    }

    #[test]
    fn request_fields_and_errors_in_cores_order() {
        let (r, ok) = parse(json!({"method": "x", "id": 7, "jsonrpc": "2.0"}));
        assert!(ok.is_ok());
        assert_eq!((r.id, r.version), (Some(json!(7)), JsonRpcVersion::V2));
        assert_eq!(r.params, json!([]));
        let (r, err) = parse(json!({"id": "a", "jsonrpc": "2.0"}));
        assert_eq!(err.expect_err("no method").message, "Missing method");
        assert_eq!((r.id, r.version), (Some(json!("a")), JsonRpcVersion::V2));
        for (v, m) in [
            (json!([]), "Invalid Request object"),
            (json!({"method": 1}), "Method must be a string"),
            (
                json!({"method": "m", "jsonrpc": 2}),
                "jsonrpc field must be a string",
            ),
            (
                json!({"method": "m", "jsonrpc": "3"}),
                "JSON-RPC version not supported",
            ),
            (
                json!({"method": "m", "params": 1}),
                "Params must be an array or object",
            ),
        ] {
            let e = parse(v).1.expect_err(m);
            assert_eq!((e.code, e.message.as_str()), (RPC_INVALID_REQUEST, m));
        }
        let (r, _) = parse(json!({"method": "m", "jsonrpc": "2.0"}));
        assert!(r.is_notification());
    }

    #[test]
    fn reply_shapes() {
        let v1 = reply_object(Ok(json!(1)), Some(json!(2)), JsonRpcVersion::V1Legacy);
        assert_eq!(v1.to_string(), r#"{"result":1,"error":null,"id":2}"#);
        let e = RpcError::misc("bad");
        let v2 = reply_object(Err(e), None, JsonRpcVersion::V2);
        assert_eq!(
            v2.to_string(),
            r#"{"jsonrpc":"2.0","error":{"code":-1,"message":"bad"}}"#
        );
    }
}
