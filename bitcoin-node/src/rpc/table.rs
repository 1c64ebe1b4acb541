//! The method table (Core's `CRPCTable` and `RPCMethod`): each method's name, category,
//! parameters, help text and handler; named-to-positional conversion and Core's count and
//! type checks before a handler runs.
//!
//! Registering a method:
//! ```
//! use bitcoin_node::rpc::{Method, Param, ParamType, RpcTable};
//! let mut table = RpcTable::new();
//! table.register(
//!     Method::new("double", "util", "Returns twice the number.")
//!         .param(Param::required("n", ParamType::Num, "The number"))
//!         .result("n    (numeric) twice n")
//!         .handler(|p| Ok((2 * p.arg::<i64>("n")?).into())),
//! );
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde_json::{Map, Value};

use crate::rpc::params::Params;
use crate::rpc::protocol::{type_name, RpcError};

/// What a handler returns.
pub type RpcResult = Result<Value, RpcError>;

/// A method's implementation; it may block (it runs on a worker thread).
pub type Handler = Box<dyn Fn(&Params<'_>) -> RpcResult + Send + Sync>;

/// A parameter's type (Core's `RPCArg::Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A string.
    Str,
    /// A hex string.
    StrHex,
    /// A number.
    Num,
    /// A number or a string (checked by the handler).
    Amount,
    /// A number or an `[begin, end]` array (checked by the handler).
    Range,
    /// A boolean.
    Bool,
    /// An object with the listed keys.
    Obj,
    /// An object with keys chosen by the user.
    ObjUserKeys,
    /// An options object whose members may also be passed as top-level named parameters.
    ObjNamedParams,
    /// An array.
    Arr,
}

/// What happens when a parameter is not given (Core's `RPCArg::Fallback`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// It must be given.
    Required,
    /// It may be left out and has no default.
    Omitted,
    /// It may be left out; the handler decides, the help shows this hint.
    Hint(&'static str),
    /// It may be left out and then has this value.
    Default(Value),
}

/// One parameter (Core's `RPCArg`).
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name, or names separated by `|` (the first is shown in help).
    pub names: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// When it is not given.
    pub fallback: Fallback,
    /// Help text.
    pub description: &'static str,
    /// Members of an object or elements of an array, for the help text (and the named
    /// members of an [`ParamType::ObjNamedParams`]).
    pub inner: Vec<Param>,
    /// Left out of the help (this and every later parameter).
    pub hidden: bool,
    /// Accept any JSON type.
    pub skip_type_check: bool,
    /// For a member of an [`ParamType::ObjNamedParams`]: also a positional parameter.
    pub also_positional: bool,
    /// What the one-line summary shows instead of the name.
    pub oneline: Option<&'static str>,
}

impl Param {
    fn new(names: &'static str, ty: ParamType, fallback: Fallback, desc: &'static str) -> Param {
        Param {
            names,
            ty,
            fallback,
            description: desc,
            inner: Vec::new(),
            hidden: false,
            skip_type_check: false,
            also_positional: false,
            oneline: None,
        }
    }

    /// A parameter that must be given.
    pub fn required(names: &'static str, ty: ParamType, description: &'static str) -> Param {
        Param::new(names, ty, Fallback::Required, description)
    }

    /// An optional parameter without a default.
    pub fn optional(names: &'static str, ty: ParamType, description: &'static str) -> Param {
        Param::new(names, ty, Fallback::Omitted, description)
    }

    /// An optional parameter whose default the handler computes; `hint` describes it.
    pub fn hint(
        names: &'static str,
        ty: ParamType,
        hint: &'static str,
        description: &'static str,
    ) -> Param {
        Param::new(names, ty, Fallback::Hint(hint), description)
    }

    /// An optional parameter with a default value.
    pub fn default(
        names: &'static str,
        ty: ParamType,
        default: impl Into<Value>,
        description: &'static str,
    ) -> Param {
        Param::new(names, ty, Fallback::Default(default.into()), description)
    }

    /// With these members (objects) or element descriptions (arrays).
    pub fn inner(mut self, inner: Vec<Param>) -> Param {
        self.inner = inner;
        self
    }

    /// Hidden from help (with every later parameter).
    pub fn hidden(mut self) -> Param {
        self.hidden = true;
        self
    }

    /// Accepting any JSON type.
    pub fn skip_type_check(mut self) -> Param {
        self.skip_type_check = true;
        self
    }

    /// Shown as `text` in the one-line summary.
    pub fn oneline(mut self, text: &'static str) -> Param {
        self.oneline = Some(text);
        self
    }

    /// The first of its names.
    pub fn first_name(&self) -> &'static str {
        self.names.split('|').next().unwrap_or(self.names)
    }

    /// Whether it may be left out.
    pub fn is_optional(&self) -> bool {
        self.fallback != Fallback::Required
    }

    /// Core's `RPCArg::MatchesType`: `None` when `value` is acceptable, else why not.
    pub fn mismatch(&self, value: &Value) -> Option<String> {
        if self.skip_type_check || (self.is_optional() && value.is_null()) {
            return None;
        }
        let expected = match self.ty {
            ParamType::Str | ParamType::StrHex => "string",
            ParamType::Num => "number",
            ParamType::Bool => "bool",
            ParamType::Obj | ParamType::ObjUserKeys | ParamType::ObjNamedParams => "object",
            ParamType::Arr => "array",
            ParamType::Amount | ParamType::Range => return None,
        };
        let actual = type_name(value);
        (actual != expected)
            .then(|| format!("JSON value of type {actual} is not of expected type {expected}"))
    }
}

/// One method (Core's `RPCMethod` plus its category).
pub struct Method {
    /// Its name.
    pub name: &'static str,
    /// Its help category (`control`, `blockchain`, ...; `hidden` keeps it out of `help`).
    pub category: &'static str,
    /// What it does (may span lines).
    pub description: String,
    /// Its parameters, in positional order.
    pub params: Vec<Param>,
    /// The help's result section(s), already formatted.
    pub results: String,
    /// The help's examples, already formatted.
    pub examples: String,
    handler: Handler,
}

impl Method {
    /// A method without parameters; add them with [`Method::param`].
    pub fn new(name: &'static str, category: &'static str, description: impl Into<String>) -> Self {
        Method {
            name,
            category,
            description: description.into(),
            params: Vec::new(),
            results: String::new(),
            examples: String::new(),
            handler: Box::new(move |_| Err(RpcError::internal_bug(format!("{name}: no handler")))),
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

    /// Sets the examples (see [`crate::rpc::help::example_cli`]).
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
    fn arg_names(&self) -> Vec<(&'static str, bool)> {
        let mut names = Vec::new();
        for p in &self.params {
            if p.ty == ParamType::ObjNamedParams {
                names.extend(p.inner.iter().map(|i| (i.names, true)));
            }
            names.push((p.names, false));
        }
        names
    }

    /// Checks count and types, then runs the handler.
    fn execute(&self, params: &Params<'_>) -> RpcResult {
        let values = params.positional();
        if !self.valid_count(values.len()) {
            return Err(RpcError::misc(crate::rpc::help::method_help(self)));
        }
        let mut mismatches = Map::new();
        for (i, param) in self.params.iter().enumerate() {
            if let Some(why) = param.mismatch(values.get(i).unwrap_or(&Value::Null)) {
                mismatches.insert(format!("Position {} ({})", i + 1, param.names), why.into());
            }
        }
        if !mismatches.is_empty() {
            return Err(RpcError::type_error(format!(
                "Wrong type passed:\n{}",
                crate::rpc::help::write_pretty(&Value::Object(mismatches))
            )));
        }
        (self.handler)(params)
    }
}

/// Core's `transformNamedArguments`: named parameters to positional ones, holes filled with
/// null (not at the end), `args` for leading positional ones.
pub fn named_to_positional(
    named: &Map<String, Value>,
    names: &[(&'static str, bool)],
) -> Result<Vec<Value>, RpcError> {
    let mut left: HashMap<&str, &Value> = named.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out: Vec<Value> = Vec::new();
    let (mut hole, mut initial_hole, mut initial_param) = (0usize, 0usize, None);
    let mut options = Map::new();
    for &(pattern, named_only) in names {
        let found = pattern
            .split('|')
            .find_map(|n| left.get_key_value(n).map(|(k, v)| (*k, *v)));
        if named_only {
            if let Some((key, value)) = found {
                options.insert(key.to_string(), value.clone());
                left.remove(key);
            }
            continue;
        }
        if !options.is_empty() || found.is_some() {
            out.extend(std::iter::repeat_n(Value::Null, hole));
            hole = 0;
            initial_param.get_or_insert(pattern);
        } else {
            hole += 1;
            if out.is_empty() {
                initial_hole = hole;
            }
        }
        if let Some((key, value)) = found {
            if let Some(first) = options.keys().next() {
                return Err(RpcError::invalid_parameter(format!(
                    "Parameter {key} conflicts with parameter {first}"
                )));
            }
            out.push(value.clone());
            left.remove(key);
        }
        if !options.is_empty() {
            out.push(Value::Object(std::mem::take(&mut options)));
        }
    }
    if let Some(Value::Array(positional)) = left.remove("args") {
        if let Some(first) = initial_param.filter(|_| initial_hole < positional.len()) {
            return Err(RpcError::invalid_parameter(format!(
                "Parameter {first} specified twice both as positional and named argument"
            )));
        }
        let named_args = out;
        out = positional.clone();
        out.extend(named_args.into_iter().skip(positional.len()));
    }
    let mut unknown: Vec<&str> = left.into_keys().collect();
    unknown.sort_unstable();
    match unknown.first() {
        Some(name) => Err(RpcError::invalid_parameter(format!(
            "Unknown named parameter {name}"
        ))),
        None => Ok(out),
    }
}

/// A command being executed, for `getrpcinfo`.
#[derive(Debug, Clone)]
pub struct ActiveCommand {
    /// The method.
    pub method: String,
    /// When it started.
    pub started: Instant,
}

/// Every method the server offers, by name.
#[derive(Default)]
pub struct RpcTable {
    methods: BTreeMap<&'static str, Arc<Method>>,
    active: Mutex<BTreeMap<u64, ActiveCommand>>,
    next_id: AtomicU64,
}

/// Removes a command from the active list when dropped.
struct Active<'a>(&'a RpcTable, u64);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active_lock().remove(&self.1);
    }
}

impl RpcTable {
    /// An empty table.
    pub fn new() -> RpcTable {
        RpcTable::default()
    }

    /// Adds `method`, replacing one of the same name.
    pub fn register(&mut self, method: Method) -> &mut RpcTable {
        if self.methods.contains_key(method.name) {
            tracing::warn!(target: "rpc", "RPC method {} registered twice", method.name);
        }
        self.methods.insert(method.name, Arc::new(method));
        self
    }

    /// The method called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Method>> {
        self.methods.get(name)
    }

    /// Every method, by name.
    pub fn methods(&self) -> impl Iterator<Item = &Arc<Method>> {
        self.methods.values()
    }

    /// The commands running now, oldest first.
    pub fn active_commands(&self) -> Vec<ActiveCommand> {
        self.active_lock().values().cloned().collect()
    }

    fn active_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, ActiveCommand>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `method` with `params` (array or object) for a request at `uri` from `user`
    /// (Core's `ExecuteCommand`): named parameters become positional, then count and types
    /// are checked; a panicking handler becomes an internal-bug error.
    pub fn execute(&self, method: &Method, params: &Value, uri: &str, user: &str) -> RpcResult {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.active_lock().insert(
            id,
            ActiveCommand {
                method: method.name.to_string(),
                started: Instant::now(),
            },
        );
        let _active = Active(self, id);
        let positional = match params {
            Value::Object(named) => named_to_positional(named, &method.arg_names())?,
            Value::Array(values) => values.clone(),
            _ => Vec::new(),
        };
        let params = Params::new(self, method, &positional, uri, user);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| method.execute(&params)))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                Err(RpcError::internal_bug(what))
            })
    }
}
