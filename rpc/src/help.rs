//! Help texts in Core's layout (`RPCMethod::ToString`, `CRPCTable::help`): the one-line
//! summary, description, `Arguments:` with aligned descriptions, results and examples; and
//! the `help` listing grouped by `== Category ==`.

use serde_json::Value;

use crate::method::Method;
use crate::param::{Fallback, Param, ParamType};

/// `> bitcoin-cli <method> <args>` (Core's `HelpExampleCli`).
pub fn example_cli(method: &str, args: &str) -> String {
    format!("> bitcoin-cli {method} {args}\n")
}

/// The `curl` example of a JSON-RPC call (Core's `HelpExampleRpc`).
pub fn example_rpc(method: &str, args: &str) -> String {
    format!(
        "> curl --user myusername --data-binary '{{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \
         \"method\": \"{method}\", \"params\": [{args}]}}' -H 'content-type: application/json' \
         http://127.0.0.1:8332/\n"
    )
}

/// JSON with 4-space indentation, as UniValue's `write(4)`.
pub fn write_pretty(value: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut ser) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => value.to_string(),
    }
}

/// A parameter in the one-line summary or an array description (Core's `RPCArg::ToString`).
fn param_string(p: &Param, oneline: bool) -> String {
    if let Some(text) = p.oneline.filter(|_| oneline) {
        return text.to_string();
    }
    match p.ty {
        ParamType::Str | ParamType::StrHex => format!("\"{}\"", p.first_name()),
        ParamType::Num | ParamType::Range | ParamType::Amount | ParamType::Bool => {
            p.first_name().to_string()
        }
        ParamType::Obj | ParamType::ObjUserKeys | ParamType::ObjNamedParams => {
            let inner: Vec<String> = p.inner.iter().map(|i| obj_member(i, oneline)).collect();
            match p.ty {
                ParamType::Obj => format!("{{{}}}", inner.join(",")),
                _ => format!("{{{},...}}", inner.join(",")),
            }
        }
        ParamType::Arr => {
            let inner: String = p
                .inner
                .iter()
                .map(|i| param_string(i, oneline) + ",")
                .collect();
            format!("[{inner}...]")
        }
    }
}

/// A member of an object (Core's `RPCArg::ToStringObj`).
fn obj_member(p: &Param, oneline: bool) -> String {
    let key = format!("\"{}\":{}", p.first_name(), if oneline { "" } else { " " });
    let value = match p.ty {
        ParamType::Str => "\"str\"".to_string(),
        ParamType::StrHex => "\"hex\"".to_string(),
        ParamType::Num => "n".to_string(),
        ParamType::Range => "n or [n,n]".to_string(),
        ParamType::Amount => "amount".to_string(),
        ParamType::Bool => "bool".to_string(),
        ParamType::Arr => {
            let inner: String = p
                .inner
                .iter()
                .map(|i| param_string(i, oneline) + ",")
                .collect();
            format!("[{inner}...]")
        }
        ParamType::Obj | ParamType::ObjUserKeys | ParamType::ObjNamedParams => "{...}".into(),
    };
    key + &value
}

/// `(type, optional, default=...) description` (Core's `RPCArg::ToDescriptionString`).
fn description(p: &Param, named: bool) -> String {
    let ty = match p.ty {
        ParamType::Str | ParamType::StrHex => "string",
        ParamType::Num => "numeric",
        ParamType::Amount => "numeric or string",
        ParamType::Range => "numeric or array",
        ParamType::Bool => "boolean",
        ParamType::Obj | ParamType::ObjUserKeys | ParamType::ObjNamedParams => "json object",
        ParamType::Arr => "json array",
    };
    let fallback = match &p.fallback {
        Fallback::Hint(hint) => format!(", optional, default={hint}"),
        Fallback::Default(value) => format!(", optional, default={value}"),
        Fallback::Omitted if named => ", optional".to_string(),
        Fallback::Omitted => String::new(),
        Fallback::Required => ", required".to_string(),
    };
    let mut text = format!("({ty}{fallback})");
    if p.ty == ParamType::ObjNamedParams {
        text += " Options object that can be used to pass named arguments, listed below.";
    }
    if !p.description.is_empty() {
        text = text + " " + p.description;
    }
    text
}

#[derive(Clone, Copy, PartialEq)]
enum Outer {
    None,
    Obj,
    Arr,
}

/// Left/right pairs aligned into two columns (Core's `Sections`).
#[derive(Default)]
struct Sections {
    sections: Vec<(String, String)>,
    max_pad: usize,
}

impl Sections {
    fn push_section(&mut self, left: String, right: String) {
        self.max_pad = self.max_pad.max(left.len());
        self.sections.push((left, right));
    }

    fn push(&mut self, p: &Param, indent: usize, outer: Outer) {
        let pad = " ".repeat(indent);
        let pad_next = " ".repeat(indent + 2);
        let named = outer == Outer::Obj;
        let top = outer == Outer::None;
        let key = if named {
            format!("\"{}\": ", p.first_name())
        } else {
            String::new()
        };
        let right = if top {
            String::new()
        } else {
            description(p, named)
        };
        let close = if top { "" } else { "," };
        match p.ty {
            ParamType::Obj | ParamType::ObjUserKeys => {
                self.push_section(format!("{pad}{key}{{"), right);
                for inner in &p.inner {
                    self.push(inner, indent + 2, Outer::Obj);
                }
                if p.ty != ParamType::Obj {
                    self.push_section(format!("{pad_next}..."), String::new());
                }
                self.push_section(format!("{pad}}}{close}"), String::new());
            }
            ParamType::Arr => {
                self.push_section(format!("{pad}{key}["), right);
                for inner in &p.inner {
                    self.push(inner, indent + 2, Outer::Arr);
                }
                self.push_section(format!("{pad_next}..."), String::new());
                self.push_section(format!("{pad}]{close}"), String::new());
            }
            _ if top => {}
            _ => {
                let shown = if named {
                    obj_member(p, false)
                } else {
                    param_string(p, false)
                };
                self.push_section(format!("{pad}{shown},"), right);
            }
        }
    }

    fn render(&self) -> String {
        let pad = self.max_pad + 4;
        let mut out = String::new();
        for (left, right) in &self.sections {
            if right.is_empty() {
                out += left;
                out.push('\n');
                continue;
            }
            out += &format!("{left:pad$}");
            let mut lines = right.split('\n');
            out += lines.next().unwrap_or_default();
            for line in lines {
                out.push('\n');
                out += &" ".repeat(pad);
                out += line.trim_start_matches(' ');
            }
            out.push('\n');
        }
        out
    }
}

/// A method's full help (Core's `RPCMethod::ToString`); also the error message of a call
/// with the wrong number of parameters.
pub fn method_help(m: &Method) -> String {
    if let Some(remote) = &m.remote {
        return remote.help.clone();
    }
    let mut out = m.name.to_string();
    let mut was_optional = false;
    for p in m.params.iter().take_while(|p| !p.hidden) {
        out.push(' ');
        match (p.is_optional(), was_optional) {
            (true, false) => out += "( ",
            (false, true) => out += ") ",
            _ => {}
        }
        was_optional = p.is_optional();
        out += &param_string(p, true);
    }
    if was_optional {
        out += " )";
    }
    out += &format!("\n\n{}\n", m.description.trim());
    let mut args = Sections::default();
    let mut named_only = Sections::default();
    for (i, p) in m.params.iter().take_while(|p| !p.hidden).enumerate() {
        args.push_section(
            format!("{}. {}", i + 1, p.first_name()),
            description(p, true),
        );
        args.push(p, 5, Outer::None);
        if p.ty == ParamType::ObjNamedParams {
            for inner in &p.inner {
                named_only.push_section(inner.first_name().to_string(), description(inner, true));
                named_only.push(inner, 5, Outer::None);
            }
        }
    }
    if !args.sections.is_empty() {
        out += "\nArguments:\n";
    }
    out += &args.render();
    if !named_only.sections.is_empty() {
        out += "\nNamed Arguments:\n";
    }
    out += &named_only.render();
    out += &m.results;
    if !m.examples.is_empty() {
        out += "\nExamples:\n";
        out += &m.examples;
    }
    out
}

/// Core's `CRPCTable::help`: with an empty `command`, the first line of every method's help
/// grouped by `== Category ==` (hidden methods left out); else that method's help, or
/// `help: unknown command: <command>`.
pub fn table_help<'a>(methods: impl IntoIterator<Item = &'a Method>, command: &str) -> String {
    let mut methods: Vec<&Method> = methods.into_iter().collect();
    methods.sort_by_key(|m| format!("{}{}", m.category, m.name));
    let mut out = String::new();
    let mut category = "";
    for m in methods {
        if (!command.is_empty() || m.category == "hidden") && m.name != command {
            continue;
        }
        let mut help = method_help(m);
        if command.is_empty() {
            help.truncate(help.find('\n').unwrap_or(help.len()));
            if category != m.category {
                if !category.is_empty() {
                    out.push('\n');
                }
                category = &m.category;
                let mut chars = category.chars();
                let capitalized: String = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .into_iter()
                    .chain(chars)
                    .collect();
                out += &format!("== {capitalized} ==\n");
            }
        }
        out += &help;
        out.push('\n');
    }
    if out.is_empty() {
        out = format!("help: unknown command: {command}\n");
    }
    out.pop();
    out
}

/// `help dump_all_command_conversions`: `[method, position, name, is_string]` for every
/// parameter name of every method (Core's `dumpArgMap`, used to test clients' tables).
pub fn arg_map<'a>(methods: impl IntoIterator<Item = &'a Method>) -> Value {
    let mut out = Vec::new();
    for m in methods {
        for (i, name, is_str) in arg_rows(m) {
            out.push(serde_json::json!([m.name, i, name, is_str]));
        }
    }
    Value::Array(out)
}

/// One method's `[position, name, is_string]` rows of [`arg_map`]: every name of every
/// parameter, and the members of an options object that may be passed by name.
pub fn arg_rows(m: &Method) -> Vec<(u32, String, bool)> {
    if let Some(remote) = &m.remote {
        return remote.args.clone();
    }
    let is_str = |p: &Param| matches!(p.ty, ParamType::Str | ParamType::StrHex);
    let mut rows = Vec::new();
    for (i, p) in (0u32..).zip(&m.params) {
        for name in p.names.split('|') {
            rows.push((i, name.to_string(), is_str(p)));
            if p.ty == ParamType::ObjNamedParams {
                for inner in &p.inner {
                    for inner_name in inner.names.split('|') {
                        rows.push((i, inner_name.to_string(), is_str(inner)));
                    }
                }
            }
        }
    }
    rows
}
