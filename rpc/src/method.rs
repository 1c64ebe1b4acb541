//! One method (Core's `RPCMethod`): its name, category, parameters, help sections and
//! handler, built with a few chained calls.

use std::borrow::Cow;

use serde_json::Value;

use crate::param::{Param, ParamType};
use crate::params::Params;
use crate::protocol::RpcError;

/// What a handler returns.
pub type RpcResult = Result<Value, RpcError>;

/// A method's implementation; it may block (it runs on a worker thread).
pub type Handler = Box<dyn Fn(&Params<'_>) -> RpcResult + Send + Sync>;

/// A method defined in another process (a wallet's), served here by forwarding: its help
/// and its parameter rows come from there, and its parameters go there as sent (that process
/// converts and checks them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteSpec {
    /// The whole help text, in Core's layout.
    pub help: String,
    /// `help dump_all_command_conversions` rows: position, name, whether a string.
    pub args: Vec<(u32, String, bool)>,
}

/// One method (Core's `RPCMethod` plus its category).
pub struct Method {
    /// Its name.
    pub name: Cow<'static, str>,
    /// Its help category (`control`, `blockchain`, ...; `hidden` keeps it out of `help`).
    pub category: Cow<'static, str>,
    /// What it does (may span lines).
    pub description: String,
    /// Its parameters, in positional order.
    pub params: Vec<Param>,
    /// The help's result section(s), already formatted.
    pub results: String,
    /// The help's examples, already formatted.
    pub examples: String,
    /// Set for a method served by another process.
    pub remote: Option<RemoteSpec>,
    handler: Handler,
}

impl Method {
    /// A method without parameters; add them with [`Method::param`].
    pub fn new(name: &'static str, category: &'static str, description: impl Into<String>) -> Self {
        Method {
            name: Cow::Borrowed(name),
            category: Cow::Borrowed(category),
            description: description.into(),
            params: Vec::new(),
            results: String::new(),
            examples: String::new(),
            remote: None,
            handler: Box::new(move |_| Err(RpcError::internal_bug(format!("{name}: no handler")))),
        }
    }

    /// A method of another process, forwarded by `handler` (which reads the parameters as
    /// sent with [`Params::raw`]).
    pub fn remote(
        name: String,
        category: String,
        spec: RemoteSpec,
        handler: impl Fn(&Params<'_>) -> RpcResult + Send + Sync + 'static,
    ) -> Method {
        Method {
            name: Cow::Owned(name),
            category: Cow::Owned(category),
            description: String::new(),
            params: Vec::new(),
            results: String::new(),
            examples: String::new(),
            remote: Some(spec),
            handler: Box::new(handler),
        }
    }

    /// Adds a parameter.
    pub fn param(mut self, param: Param) -> Method {
        self.params.push(param);
        self
    }

    /// Adds a `Result:` section (`text` as Core prints it, e.g. `n    (numeric) ...`).
    pub fn result(mut self, text: &str) -> Method {
        self.results += &format!("\nResult:\n{}\n", text.trim_end());
        self
    }

    /// Adds a `Result (cond):` section.
    pub fn result_when(mut self, cond: &str, text: &str) -> Method {
        self.results += &format!("\nResult ({cond}):\n{}\n", text.trim_end());
        self
    }

    /// Sets the examples (see [`crate::help::example_cli`]).
    pub fn examples(mut self, text: impl Into<String>) -> Method {
        self.examples = text.into();
        self
    }

    /// Sets the handler.
    pub fn handler(
        mut self,
        handler: impl Fn(&Params<'_>) -> RpcResult + Send + Sync + 'static,
    ) -> Method {
        self.handler = Box::new(handler);
        self
    }

    /// Core's `IsValidNumArgs`: at least up to the last required one, at most all.
    pub fn valid_count(&self, count: usize) -> bool {
        let required = self
            .params
            .iter()
            .rposition(|p| !p.is_optional())
            .map_or(0, |i| i + 1);
        required <= count && count <= self.params.len()
    }

    /// Every accepted name, with whether it is named-only (Core's `GetArgNames`).
    pub(crate) fn arg_names(&self) -> Vec<(&'static str, bool)> {
        let mut names = Vec::new();
        for p in &self.params {
            if p.ty == ParamType::ObjNamedParams {
                names.extend(p.inner.iter().map(|i| (i.names, true)));
            }
            names.push((p.names, false));
        }
        names
    }

    /// Runs the handler (the table checked count and types first).
    pub(crate) fn call(&self, params: &Params<'_>) -> RpcResult {
        (self.handler)(params)
    }
}
