//! Command-line arguments to JSON-RPC `params`, as Core's `RPCConvertValues` and
//! `RPCConvertNamedValues` do: a parameter listed in [`PARAMS`](super::convert_table::PARAMS)
//! as JSON is parsed as JSON, everything else is passed as a string.

use super::convert_table::{Format, Param, PARAMS};
use super::json::Json;

/// An argument that should be JSON and is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error parsing JSON: {0}")]
pub struct ConvertError(pub String);

fn by_position(method: &str, index: usize) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| p.method == method && p.index == index)
}

fn by_name(method: &str, name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.method == method && p.name == name)
}

/// Core's `ParseParam`: JSON for JSON parameters, a string otherwise.
fn parse_param(param: Option<&Param>, raw: &str) -> Result<Json, ConvertError> {
    match param.map(|p| p.format) {
        Some(Format::Json) => Json::parse(raw).ok_or_else(|| ConvertError(raw.to_string())),
        Some(Format::JsonOrString) => Ok(Json::parse(raw).unwrap_or_else(|| Json::str(raw))),
        Some(Format::String) | None => Ok(Json::str(raw)),
    }
}

/// Positional arguments of `method` as a params array.
pub fn convert_values(method: &str, args: &[String]) -> Result<Json, ConvertError> {
    let mut params = Vec::with_capacity(args.len());
    for arg in args {
        params.push(parse_param(by_position(method, params.len()), arg)?);
    }
    Ok(Json::Array(params))
}

/// `-named` arguments of `method` as a params object. `name=value` sets `name` (a later
/// value replaces an earlier one); an argument without `=` is positional and goes, in order,
/// into `args`. An argument whose name is not a known parameter is positional when the next
/// positional parameter is a JSON parameter and the whole argument parses as JSON, or is a
/// string parameter (so `createwallet my=wallet` names the wallet `my=wallet`).
pub fn convert_named_values(method: &str, args: &[String]) -> Result<Json, ConvertError> {
    let mut params = Json::Object(Vec::new());
    let mut positional = Vec::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            positional.push(parse_param(by_position(method, positional.len()), arg)?);
            continue;
        };
        let named = by_name(method, name);
        if named.is_none() {
            match by_position(method, positional.len()) {
                Some(p) if p.format == Format::Json => {
                    if let Some(parsed) = Json::parse(arg) {
                        positional.push(parsed);
                        continue;
                    }
                }
                Some(p) if p.format == Format::String => {
                    positional.push(Json::str(arg.as_str()));
                    continue;
                }
                _ => {}
            }
        }
        params.push_kv(name, parse_param(named, value)?);
    }
    if !positional.is_empty() {
        // Appended even if an explicit `args=` was given: the server decides (Core's
        // pushKVEnd).
        if let Json::Object(members) = &mut params {
            members.push(("args".into(), Json::Array(positional)));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn positional(method: &str, args: &[&str]) -> String {
        convert_values(method, &strings(args))
            .expect("converts")
            .write()
    }

    fn named(method: &str, args: &[&str]) -> String {
        convert_named_values(method, &strings(args))
            .expect("converts")
            .write()
    }

    #[test]
    fn listed_parameters_are_json_others_strings() {
        assert_eq!(positional("getblockhash", &["5"]), "[5]");
        assert_eq!(positional("getblock", &["00ab", "2"]), r#"["00ab",2]"#);
        assert_eq!(
            positional("getblockheader", &["00ab", "false"]),
            r#"["00ab",false]"#
        );
        assert_eq!(
            positional("generatetoaddress", &["101", "bcrt1qaddr", "1000"]),
            r#"[101,"bcrt1qaddr",1000]"#
        );
        assert_eq!(
            positional("gettxout", &["ab", "1", "true"]),
            r#"["ab",1,true]"#
        );
        assert_eq!(
            positional("logging", &[r#"["ipc"]"#, "[]"]),
            r#"[["ipc"],[]]"#
        );
        assert_eq!(positional("stop", &["1000"]), "[1000]");
        assert_eq!(
            positional("echojson", &["1", r#"{"a":[true]}"#, "null"]),
            r#"[1,{"a":[true]},null]"#
        );
        // Not listed: strings, even when they look like JSON.
        assert_eq!(
            positional("echo", &["hello", "1", "[]"]),
            r#"["hello","1","[]"]"#
        );
        assert_eq!(positional("uptime", &[]), "[]");
        assert_eq!(positional("unknownmethod", &["1"]), r#"["1"]"#);
        assert_eq!(positional("help", &["getblock"]), r#"["getblock"]"#);
    }

    #[test]
    fn bad_json_is_an_error_json_or_string_falls_back() {
        assert_eq!(
            convert_values("getblockhash", &strings(&["five"])),
            Err(ConvertError("five".into()))
        );
        assert_eq!(
            ConvertError("five".into()).to_string(),
            "Error parsing JSON: five"
        );
        assert_eq!(
            positional("getblockstats", &["00ab", r#"["height"]"#]),
            r#"["00ab",["height"]]"#
        );
        assert_eq!(positional("getblockstats", &["7"]), "[7]");
    }

    #[test]
    fn named_arguments_become_an_object() {
        assert_eq!(
            named("getblock", &["blockhash=00ab", "verbosity=2"]),
            r#"{"blockhash":"00ab","verbosity":2}"#
        );
        assert_eq!(
            named("generatetoaddress", &["nblocks=3", "address=bcrt1q"]),
            r#"{"nblocks":3,"address":"bcrt1q"}"#
        );
        // A later value replaces an earlier one, in its place.
        assert_eq!(
            named("getblock", &["verbosity=1", "blockhash=00", "verbosity=0"]),
            r#"{"verbosity":0,"blockhash":"00"}"#
        );
        // Unlisted names pass strings; values may contain '='.
        assert_eq!(named("echo", &["arg0=a=b"]), r#"{"arg0":"a=b"}"#);
        assert_eq!(named("uptime", &[]), "{}");
    }

    #[test]
    fn named_mode_positional_arguments_go_to_args() {
        assert_eq!(
            named("getblock", &["00ab", "verbosity=2"]),
            r#"{"verbosity":2,"args":["00ab"]}"#
        );
        assert_eq!(named("getblockhash", &["7"]), r#"{"args":[7]}"#);
        // An unknown name where the next positional parameter is JSON: the whole argument
        // is positional when it parses as JSON.
        assert_eq!(named("echojson", &[r#"["a=b"]"#]), r#"{"args":[["a=b"]]}"#);
        // ... or a string parameter: `createwallet my=wallet`.
        assert_eq!(
            named("createwallet", &["my=wallet"]),
            r#"{"args":["my=wallet"]}"#
        );
        // An explicit args= and positional ones: both are sent.
        assert_eq!(
            named("echo", &["args=x", "y"]),
            r#"{"args":"x","args":["y"]}"#
        );
        assert_eq!(
            convert_named_values("getblockhash", &strings(&["height=x"])),
            Err(ConvertError("x".into()))
        );
    }
}
