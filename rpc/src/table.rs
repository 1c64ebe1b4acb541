//! The method table (Core's `CRPCTable`): every method a server offers, by name, with Core's
//! named-to-positional conversion and count and type checks before a handler runs. Methods
//! defined in another process (a wallet's) can be merged in at run time and leave again.
//!
//! Registering a method:
//! ```
//! use rpc::{Method, Param, ParamType, RpcTable};
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
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use serde_json::{Map, Value};

use crate::help::{arg_map, method_help, table_help, write_pretty};
use crate::method::{Method, RpcResult};
use crate::params::{ActiveCommand, Params, ServerInfo};
use crate::protocol::RpcError;

/// Every method the server offers, by name. A name may have several methods stacked: the
/// latest registered serves, and when it is removed the one below serves again.
#[derive(Default)]
pub struct RpcTable {
    methods: RwLock<BTreeMap<String, Vec<Arc<Method>>>>,
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

/// Methods merged into a table with [`RpcTable::merge`]; dropping it (or calling
/// [`MergedMethods::remove`]) takes exactly those methods out again.
pub struct MergedMethods {
    table: std::sync::Weak<RpcTable>,
    methods: Vec<Arc<Method>>,
}

impl MergedMethods {
    /// The merged methods' names.
    pub fn names(&self) -> Vec<&str> {
        self.methods.iter().map(|m| &*m.name).collect()
    }

    /// Takes the methods out of the table now.
    pub fn remove(mut self) {
        self.take_out();
    }

    fn take_out(&mut self) {
        let methods = std::mem::take(&mut self.methods);
        if let Some(table) = self.table.upgrade() {
            table.unregister(&methods);
        }
    }
}

impl Drop for MergedMethods {
    fn drop(&mut self) {
        self.take_out();
    }
}

impl RpcTable {
    /// An empty table.
    pub fn new() -> RpcTable {
        RpcTable::default()
    }

    fn methods_read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Vec<Arc<Method>>>> {
        self.methods.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn methods_write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Vec<Arc<Method>>>> {
        self.methods.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `method`, replacing one of the same name (building a table).
    pub fn register(&mut self, method: Method) -> &mut RpcTable {
        let methods = self
            .methods
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if methods.contains_key(&*method.name) {
            tracing::warn!(target: "rpc", "RPC method {} registered twice", method.name);
        }
        methods.insert(method.name.to_string(), vec![Arc::new(method)]);
        self
    }

    /// Adds every method of `other` to this (running) table, on top of any of the same name,
    /// with its help and its handler's errors as they are; they serve until the returned
    /// [`MergedMethods`] is dropped. This is how a wallet process's methods join the node's.
    pub fn merge(self: &Arc<Self>, other: RpcTable) -> MergedMethods {
        self.merge_at(other, false)
    }

    /// Like [`RpcTable::merge`], but beneath any method of the same name: they serve only
    /// once the methods above them leave. A node puts stand-ins for a wallet process's
    /// methods beneath them, so a call made the instant that process is gone gets the
    /// stand-in's answer, never "Method not found".
    pub fn merge_beneath(self: &Arc<Self>, other: RpcTable) -> MergedMethods {
        self.merge_at(other, true)
    }

    fn merge_at(self: &Arc<Self>, other: RpcTable, beneath: bool) -> MergedMethods {
        let other = other
            .methods
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let added: Vec<Arc<Method>> = other.into_values().flatten().collect();
        let mut methods = self.methods_write();
        for method in &added {
            let stack = methods.entry(method.name.to_string()).or_default();
            if beneath {
                stack.insert(0, method.clone());
            } else {
                stack.push(method.clone());
            }
        }
        drop(methods);
        tracing::debug!(target: "rpc", count = added.len(), beneath, "RPC methods merged");
        MergedMethods {
            table: Arc::downgrade(self),
            methods: added,
        }
    }

    fn unregister(&self, gone: &[Arc<Method>]) {
        let mut methods = self.methods_write();
        for method in gone {
            if let Some(stack) = methods.get_mut(&*method.name) {
                stack.retain(|m| !Arc::ptr_eq(m, method));
                if stack.is_empty() {
                    methods.remove(&*method.name);
                }
            }
        }
    }

    /// Whether any method of another process is merged in.
    pub fn has_remote(&self) -> bool {
        self.methods_read()
            .values()
            .flatten()
            .any(|m| m.remote.is_some())
    }

    /// The method called `name` (the latest registered).
    pub fn get(&self, name: &str) -> Option<Arc<Method>> {
        self.methods_read()
            .get(name)
            .and_then(|s| s.last().cloned())
    }

    /// Every method that serves now, by name.
    pub fn methods(&self) -> Vec<Arc<Method>> {
        self.methods_read()
            .values()
            .filter_map(|s| s.last().cloned())
            .collect()
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
            _ if method.remote.is_some() => Vec::new(),
            Value::Object(named) => named_to_positional(named, &method.arg_names())?,
            Value::Array(values) => values.clone(),
            _ => Vec::new(),
        };
        if method.remote.is_none() {
            check(method, &positional)?;
        }
        let params = Params::new(self, &method.name, &method.params, &positional, uri, user)
            .with_raw(params);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| method.call(&params)))
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

impl ServerInfo for RpcTable {
    fn help(&self, command: &str) -> String {
        let methods = self.methods();
        table_help(methods.iter().map(|m| &**m), command)
    }

    fn arg_map(&self) -> Value {
        let methods = self.methods();
        arg_map(methods.iter().map(|m| &**m))
    }

    fn active_commands(&self) -> Vec<ActiveCommand> {
        RpcTable::active_commands(self)
    }
}

/// Core's count and type checks: a wrong count answers with the method's help.
fn check(method: &Method, values: &[Value]) -> Result<(), RpcError> {
    if !method.valid_count(values.len()) {
        return Err(RpcError::misc(method_help(method)));
    }
    let mut mismatches = Map::new();
    for (i, param) in method.params.iter().enumerate() {
        if let Some(why) = param.mismatch(values.get(i).unwrap_or(&Value::Null)) {
            mismatches.insert(format!("Position {} ({})", i + 1, param.names), why.into());
        }
    }
    if !mismatches.is_empty() {
        return Err(RpcError::type_error(format!(
            "Wrong type passed:\n{}",
            write_pretty(&Value::Object(mismatches))
        )));
    }
    Ok(())
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
