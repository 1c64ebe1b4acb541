//! What a handler sees of its request: the parameters (by name, with defaults, converted
//! with Core's error messages), the endpoint and the user.

use std::time::Instant;

use serde_json::{Map, Value};

use crate::param::{Fallback, Param};
use crate::protocol::{type_name, RpcError};

/// A command being executed, for `getrpcinfo`.
#[derive(Debug, Clone)]
pub struct ActiveCommand {
    /// The method.
    pub method: String,
    /// When it started.
    pub started: Instant,
}

/// What a handler may ask of the server it runs in (for `help` and `getrpcinfo`): the
/// server's whole method set, which other processes may add to at run time.
pub trait ServerInfo: Send + Sync {
    /// Core's `help` text for `command` (every method when empty).
    fn help(&self, command: &str) -> String;
    /// `help dump_all_command_conversions`: `[method, position, name, is_string]` rows.
    fn arg_map(&self) -> Value;
    /// The commands running now, oldest first.
    fn active_commands(&self) -> Vec<ActiveCommand>;
}

/// The parameters of one call, positional after named ones were converted, already checked
/// for count and type against the method's [`crate::Param`]s.
pub struct Params<'a> {
    server: &'a dyn ServerInfo,
    method: &'a str,
    declared: &'a [Param],
    values: &'a [Value],
    uri: &'a str,
    user: &'a str,
    raw: &'a Value,
}

static NULL: Value = Value::Null;

impl<'a> Params<'a> {
    /// Parameters `values` of a call of `method`, which declares `declared`, on `server`.
    pub fn new(
        server: &'a dyn ServerInfo,
        method: &'a str,
        declared: &'a [Param],
        values: &'a [Value],
        uri: &'a str,
        user: &'a str,
    ) -> Params<'a> {
        Params {
            server,
            method,
            declared,
            values,
            uri,
            user,
            raw: &NULL,
        }
    }

    /// With the parameters as the request sent them (array, object or absent).
    pub fn with_raw(mut self, raw: &'a Value) -> Params<'a> {
        self.raw = raw;
        self
    }

    /// The parameters as the request sent them, before any conversion (for forwarding).
    pub fn raw(&self) -> &'a Value {
        self.raw
    }

    /// The values as passed (after named-to-positional conversion), without defaults.
    pub fn positional(&self) -> &'a [Value] {
        self.values
    }

    /// The value at `index` as passed, null when not given.
    pub fn at(&self, index: usize) -> &'a Value {
        self.values.get(index).unwrap_or(&NULL)
    }

    /// The endpoint the request came to (`/` or `/wallet/<name>`).
    pub fn uri(&self) -> &'a str {
        self.uri
    }

    /// The authenticated user (empty over IPC unless the client said otherwise).
    pub fn user(&self) -> &'a str {
        self.user
    }

    /// The server the method runs in (for `help`, `getrpcinfo`).
    pub fn server(&self) -> &'a dyn ServerInfo {
        self.server
    }

    /// The name of the method being called.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The parameter `name` if given and not null, else its default, else `None`.
    pub fn value(&self, name: &str) -> Result<Option<&'a Value>, RpcError> {
        let index = self
            .declared
            .iter()
            .position(|p| p.first_name() == name)
            .ok_or_else(|| {
                RpcError::internal_bug(format!("{}: no parameter {name}", self.method))
            })?;
        let value = self.at(index);
        if !value.is_null() {
            return Ok(Some(value));
        }
        match &self.declared[index].fallback {
            Fallback::Default(default) => Ok(Some(default)),
            _ => Ok(None),
        }
    }

    /// A required parameter, or one with a default, converted to `T` (Core's `Arg<T>`).
    pub fn arg<T: FromParam<'a>>(&self, name: &str) -> Result<T, RpcError> {
        let value = self.value(name)?.ok_or_else(|| {
            RpcError::internal_bug(format!(
                "{}: parameter {name} has neither a value nor a default",
                self.method
            ))
        })?;
        T::from_param(value)
    }

    /// An optional parameter converted to `T`, `None` when absent or null without a default
    /// (Core's `MaybeArg<T>`).
    pub fn maybe_arg<T: FromParam<'a>>(&self, name: &str) -> Result<Option<T>, RpcError> {
        self.value(name)?.map(T::from_param).transpose()
    }
}

/// A Rust type a JSON parameter converts to, with Core's error for the wrong JSON type.
pub trait FromParam<'a>: Sized {
    /// Converts `value`.
    fn from_param(value: &'a Value) -> Result<Self, RpcError>;
}

fn expected(value: &Value, expected: &str) -> RpcError {
    RpcError::type_error(format!(
        "JSON value of type {} is not of expected type {expected}",
        type_name(value)
    ))
}

impl<'a> FromParam<'a> for &'a Value {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        Ok(value)
    }
}

impl<'a> FromParam<'a> for &'a str {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        value.as_str().ok_or_else(|| expected(value, "string"))
    }
}

impl<'a> FromParam<'a> for String {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        <&str>::from_param(value).map(str::to_string)
    }
}

impl<'a> FromParam<'a> for bool {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        value.as_bool().ok_or_else(|| expected(value, "bool"))
    }
}

impl<'a> FromParam<'a> for f64 {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        value.as_f64().ok_or_else(|| expected(value, "number"))
    }
}

impl<'a> FromParam<'a> for &'a Vec<Value> {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        value.as_array().ok_or_else(|| expected(value, "array"))
    }
}

impl<'a> FromParam<'a> for &'a Map<String, Value> {
    fn from_param(value: &'a Value) -> Result<Self, RpcError> {
        value.as_object().ok_or_else(|| expected(value, "object"))
    }
}

macro_rules! integer_param {
    ($($t:ty),*) => {$(
        impl<'a> FromParam<'a> for $t {
            fn from_param(value: &'a Value) -> Result<Self, RpcError> {
                let Value::Number(n) = value else {
                    return Err(expected(value, "number"));
                };
                let parsed = n.as_i64().and_then(|i| <$t>::try_from(i).ok());
                let parsed = parsed.or_else(|| n.as_u64().and_then(|u| <$t>::try_from(u).ok()));
                parsed.ok_or_else(|| RpcError::misc("JSON integer out of range"))
            }
        }
    )*};
}

integer_param!(i64, u64, i32, u32, u16, u8, usize);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamType;
    use serde_json::json;

    fn declared() -> Vec<Param> {
        vec![
            Param::required("s", ParamType::Str, ""),
            Param::default("n", ParamType::Num, 5, ""),
            Param::optional("b", ParamType::Bool, ""),
        ]
    }

    struct NoServer;

    impl ServerInfo for NoServer {
        fn help(&self, _: &str) -> String {
            String::new()
        }
        fn arg_map(&self) -> Value {
            Value::Null
        }
        fn active_commands(&self) -> Vec<ActiveCommand> {
            Vec::new()
        }
    }

    #[test]
    fn values_defaults_and_conversions() {
        let m = declared();
        let values = [json!("x"), Value::Null];
        let p = Params::new(&NoServer, "m", &m, &values, "/", "u");
        assert_eq!(p.arg::<&str>("s").expect("s"), "x");
        assert_eq!(p.arg::<i64>("n").expect("default"), 5);
        assert_eq!(p.maybe_arg::<bool>("b").expect("b"), None);
        let e = p.arg::<bool>("s").expect_err("type");
        assert_eq!(e.code, crate::protocol::RPC_TYPE_ERROR);
        assert_eq!(
            e.message,
            "JSON value of type string is not of expected type bool"
        );
        assert!(p.arg::<i64>("nope").is_err());
        let values = [json!("x"), json!(1.5)];
        let p = Params::new(&NoServer, "m", &m, &values, "/", "u");
        assert_eq!(
            p.arg::<i64>("n").expect_err("float").message,
            "JSON integer out of range"
        );
        let values = [json!("x"), json!(-1)];
        let p = Params::new(&NoServer, "m", &m, &values, "/", "u");
        assert!(p.arg::<u32>("n").is_err());
        assert_eq!(p.arg::<i32>("n").expect("i32"), -1);
    }
}
