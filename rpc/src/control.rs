//! The control methods every node has (Core's `rpc/server.cpp` and `rpc/node.cpp`): `help`,
//! `stop`, `uptime`, `getrpcinfo`, `logging`, and the hidden `echo`/`echojson`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::logging::{LogHandle, CATEGORIES};
use serde_json::{json, Map, Value};

use crate::help::{example_cli, example_rpc};
use crate::method::{Method, RpcResult};
use crate::param::{Param, ParamType};
use crate::params::Params;
use crate::protocol::RpcError;
use crate::table::RpcTable;

/// What `stop` returns.
pub const STOP_RESULT: &str = "Bitcoin node stopping";

/// What the control methods act on.
#[derive(Clone)]
pub struct Control {
    /// When the node started (for `uptime`).
    pub started: Instant,
    /// Asks the node to shut down cleanly (for `stop`).
    pub shutdown: Arc<dyn Fn() + Send + Sync>,
    /// The process's logging (for `logging` and `getrpcinfo`).
    pub log: Option<Arc<LogHandle>>,
}

/// Registers the control methods in `table`.
pub fn register(table: &mut RpcTable, control: &Control) {
    table
        .register(help())
        .register(stop(control.shutdown.clone()))
        .register(uptime(control.started))
        .register(getrpcinfo(control.log.clone()))
        .register(logging(control.log.clone()))
        .register(echo("echo"))
        .register(echo("echojson"));
}

fn help() -> Method {
    Method::new(
        "help",
        "control",
        "List all commands, or get help for a specified command.",
    )
    .param(Param::hint(
        "command",
        ParamType::Str,
        "all commands",
        "The command to get help on",
    ))
    .result("\"str\"    (string) The help text")
    .handler(|p| {
        let command = p.maybe_arg::<&str>("command")?;
        if command == Some("dump_all_command_conversions") {
            return Ok(p.server().arg_map());
        }
        Ok(p.server().help(command.unwrap_or_default()).into())
    })
}

fn stop(shutdown: Arc<dyn Fn() + Send + Sync>) -> Method {
    Method::new(
        "stop",
        "control",
        "Request a graceful shutdown of Bitcoin node.",
    )
    .param(Param::optional("wait", ParamType::Num, "how long to wait in ms").hidden())
    .result(&format!(
        "\"str\"    (string) A string with the content '{STOP_RESULT}'"
    ))
    .handler(move |p| {
        shutdown();
        if let Some(ms) = p.maybe_arg::<u64>("wait")? {
            std::thread::sleep(Duration::from_millis(ms));
        }
        Ok(STOP_RESULT.into())
    })
}

fn uptime(started: Instant) -> Method {
    Method::new(
        "uptime",
        "control",
        "Returns the total uptime of the server.",
    )
    .result("n    (numeric) The number of seconds that the server has been running")
    .examples(example_cli("uptime", "") + &example_rpc("uptime", ""))
    .handler(move |_| Ok(started.elapsed().as_secs().into()))
}

fn getrpcinfo(log: Option<Arc<LogHandle>>) -> Method {
    let result = r#"{                          (json object)
  "active_commands" : [    (json array) All active commands
    {                      (json object) Information about an active command
      "method" : "str",    (string) The name of the RPC command
      "duration" : n       (numeric) The running time in microseconds
    },
    ...
  ],
  "logpath" : "str"        (string) The complete file path to the debug log
}"#;
    Method::new(
        "getrpcinfo",
        "control",
        "Returns details of the RPC server.",
    )
    .result(result)
    .examples(example_cli("getrpcinfo", "") + &example_rpc("getrpcinfo", ""))
    .handler(move |p| {
        let now = Instant::now();
        let active: Vec<Value> = p
            .server()
            .active_commands()
            .into_iter()
            .map(|c| {
                let micros = now.saturating_duration_since(c.started).as_micros();
                json!({"method": c.method, "duration": u64::try_from(micros).unwrap_or(u64::MAX)})
            })
            .collect();
        let logpath: Option<PathBuf> = log.as_ref().and_then(|l| l.settings().file);
        let logpath = logpath.map(|f| f.display().to_string()).unwrap_or_default();
        Ok(json!({"active_commands": active, "logpath": logpath}))
    })
}

fn sorted_categories() -> Vec<&'static str> {
    let mut categories = CATEGORIES.to_vec();
    categories.sort_unstable();
    categories
}

/// The categories in `values`, `all` (or `1`, or empty) standing for every one; Core's
/// errors for a non-string or an unknown name.
fn categories_of(values: Option<&Vec<Value>>) -> Result<Vec<Option<&'static str>>, RpcError> {
    let mut out = Vec::new();
    for value in values.into_iter().flatten() {
        let name = <&str as crate::params::FromParam>::from_param(value)?;
        match name {
            "" | "1" | "all" => out.push(None),
            _ => match CATEGORIES.iter().find(|c| **c == name) {
                Some(category) => out.push(Some(*category)),
                None => {
                    return Err(RpcError::invalid_parameter(format!(
                        "unknown logging category {name}"
                    )))
                }
            },
        }
    }
    Ok(out)
}

fn set_logging(log: &LogHandle, p: &Params<'_>) -> RpcResult {
    let include = categories_of(p.maybe_arg::<&Vec<Value>>("include")?)?;
    let exclude = categories_of(p.maybe_arg::<&Vec<Value>>("exclude")?)?;
    let current = log.settings().debug;
    let mut all = current.iter().any(|c| c == "all");
    let mut active: BTreeSet<&str> = if all {
        CATEGORIES.iter().copied().collect()
    } else {
        CATEGORIES
            .iter()
            .copied()
            .filter(|c| current.iter().any(|d| d == c))
            .collect()
    };
    for category in include {
        match category {
            None => {
                active.extend(CATEGORIES);
                all = true;
            }
            Some(c) => {
                active.insert(c);
            }
        }
    }
    for category in exclude {
        all = false;
        match category {
            None => active.clear(),
            Some(c) => {
                active.remove(c);
            }
        }
    }
    if p.at(0).is_array() || p.at(1).is_array() {
        let debug = if all {
            vec!["all".to_string()]
        } else {
            active.iter().map(|c| c.to_string()).collect()
        };
        log.set_debug(debug)
            .map_err(|e| RpcError::misc(e.to_string()))?;
        tracing::info!(
            "logging categories changed: {}",
            log.settings().debug.join(",")
        );
    }
    let mut result = Map::new();
    for c in sorted_categories() {
        result.insert(c.to_string(), active.contains(c).into());
    }
    Ok(Value::Object(result))
}

fn logging(log: Option<Arc<LogHandle>>) -> Method {
    let description = format!(
        "Gets and sets the logging configuration.\n\
         When called without an argument, returns the list of categories with status that are currently being debug logged or not.\n\
         When called with arguments, adds or removes categories from debug logging and return the lists above.\n\
         The arguments are evaluated in order \"include\", \"exclude\".\n\
         If an item is both included and excluded, it will thus end up being excluded.\n\
         The valid logging categories are: {}\n\
         In addition, the following are available as category names with special meanings:\n  \
         - \"all\",  \"1\" : represent all logging categories.\n",
        sorted_categories().join(", ")
    );
    let list = |name, description, element| {
        Param::optional(name, ParamType::Arr, description).inner(vec![Param::optional(
            element,
            ParamType::Str,
            "the valid logging category",
        )])
    };
    Method::new("logging", "control", description)
        .param(list("include", "The categories to add to debug logging", "include_category"))
        .param(list("exclude", "The categories to remove from debug logging", "exclude_category"))
        .result(
            "{                             (json object) keys are the logging categories, and values indicates its status\n  \
             \"category\" : true|false,    (boolean) if being debug logged or not. false:inactive, true:active\n  \
             ...\n}",
        )
        .examples(
            example_cli("logging", "\"[\\\"all\\\"]\" \"[\\\"http\\\"]\"")
                + &example_rpc("logging", "[\"all\"], [\"leveldb\"]"),
        )
        .handler(move |p| match &log {
            Some(log) => set_logging(log, p),
            None => Err(RpcError::misc("logging is not set up in this process")),
        })
}

fn echo(name: &'static str) -> Method {
    let mut method = Method::new(
        name,
        "hidden",
        "Simply echo back the input arguments. This command is for testing.\n\
         \nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n\
         \nThe difference between echo and echojson is that echojson has argument conversion enabled in the client-side table in \
         bitcoin-cli and the GUI. There is no server-side difference.",
    );
    for arg in [
        "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9",
    ] {
        method = method.param(Param::optional(arg, ParamType::Str, "").skip_type_check());
    }
    method.handler(|p| {
        if p.at(9).as_str() == Some("trigger_internal_bug") {
            return Err(RpcError::internal_bug(
                "request.params[9].get_str() != \"trigger_internal_bug\"",
            ));
        }
        Ok(Value::Array(p.positional().to_vec()))
    })
}
