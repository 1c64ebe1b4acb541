//! One `bitcoin-cli` run after the settings are loaded (Core's `CommandLineRPC`): gather the
//! arguments (`-stdin`), pick the handler (`-getinfo`, `-netinfo`, `-generate` or the named method), call
//! the node (retrying under `-rpcwait`), and turn the reply into text and an exit code.

use std::io::BufRead;
use std::time::{Duration, Instant};

use common::{Chain, Settings};

use super::getinfo;
use super::http::url_encode;
use super::json::Json;
use super::netinfo;
use super::options::{DEFAULT_NBLOCKS, DEFAULT_RPC_REQ_ID};
use super::request::{error_code, Handler, RPC_IN_WARMUP, RPC_WALLET_NOT_SPECIFIED};
use super::transport::atoi;
use super::{CliError, Transport};

/// The settings a run uses, read once.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-named`.
    pub named: bool,
    /// `-rpcid`.
    pub rpc_id: String,
    /// `-rpcwallet` (`None` when unset or negated).
    pub rpcwallet: Option<String>,
    /// `-stdin`.
    pub stdin: bool,
    /// The CLI commands given (`-generate`, `-getinfo`, `-netinfo`; negated ones count, as in
    /// Core).
    pub commands: Vec<&'static str>,
    /// `-getinfo` is on.
    pub getinfo: bool,
    /// `-netinfo` is on.
    pub netinfo: bool,
    /// `-generate` is on.
    pub generate: bool,
    /// The chain selected (`None`: not read from settings, shown as main by `-netinfo`).
    pub chain: Option<Chain>,
    /// `-color`.
    pub color: Option<String>,
    /// `-rpcwait`.
    pub wait: bool,
    /// `-rpcwaittimeout` in seconds (0 or less: no limit).
    pub wait_timeout: i64,
}

impl Options {
    /// Reads the options from `settings`; a flag with a value other than 0 or 1 is an error.
    pub fn from_settings(settings: &Settings) -> Result<Options, CliError> {
        let flag = |name: &str| {
            settings
                .get_bool(name, false)
                .map_err(|e| CliError::Other(e.to_string()))
        };
        Ok(Options {
            named: flag("named")?,
            rpc_id: settings
                .get("rpcid")
                .unwrap_or(DEFAULT_RPC_REQ_ID)
                .to_string(),
            rpcwallet: settings.get("rpcwallet").map(str::to_string),
            stdin: flag("stdin")?,
            commands: ["generate", "getinfo", "netinfo"]
                .into_iter()
                .filter(|c| settings.is_set(c))
                .collect(),
            getinfo: flag("getinfo")?,
            netinfo: flag("netinfo")?,
            generate: flag("generate")?,
            chain: Some(settings.chain()),
            color: settings.get("color").map(str::to_string),
            wait: flag("rpcwait")?,
            wait_timeout: settings.get("rpcwaittimeout").map_or(0, atoi),
        })
    }
}

/// What to print and the exit code: the text goes to stdout when the code is 0, else to
/// stderr (nothing is printed for an empty text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The text, without the final newline.
    pub text: String,
    /// The exit code.
    pub code: u8,
}

/// Core's `ParseResult`: nothing for null, a string as is, anything else as indented JSON.
pub fn format_result(result: &Json) -> String {
    match result {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.write_pretty(),
    }
}

/// The exit code for an RPC error code: its absolute value, as the operating system keeps
/// it (the low 8 bits), but never 0 for an error.
pub fn exit_code(code: i64) -> u8 {
    match (code.unsigned_abs() % 256) as u8 {
        0 => 1,
        n => n,
    }
}

/// Core's `ParseError`: `error code: N` and `error message:` lines (plus a hint when a
/// wallet must be named) and the exit code; a non-object error is shown as JSON.
pub fn format_error(error: &Json) -> Printed {
    let mut text = String::new();
    if let Json::Object(_) = error {
        let code = error.get("code");
        if !code.is_null() {
            text = format!("error code: {}\n", code.val_str());
        }
        if let Some(message) = error.get("message").as_str() {
            text.push_str("error message:\n");
            text.push_str(message);
        }
        if code.as_i64() == Some(RPC_WALLET_NOT_SPECIFIED) {
            text.push_str(" Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before the command");
            text.push_str(" (run \"bitcoin-cli -h\" for help or \"bitcoin-cli listwallets\" to see which wallets are currently loaded).");
        }
    } else {
        text = format!("error: {}", error.write());
    }
    let code = error.get("code").as_i64().map_or(1, exit_code);
    Printed { text, code }
}

/// Sends `request`; when it is a batch and the node answered with a single error (a server
/// without batch support), sends its members one by one and returns their replies as the
/// batch reply.
fn send_batch_aware(
    transport: &mut dyn Transport,
    request: &Json,
    endpoint: &str,
) -> Result<Json, CliError> {
    let reply = transport.send(request, endpoint)?;
    match (request, &reply) {
        (Json::Array(members), Json::Object(_)) if !reply.get("error").is_null() => {
            let mut replies = Vec::with_capacity(members.len());
            for member in members {
                replies.push(transport.send(member, endpoint)?);
            }
            Ok(Json::Array(replies))
        }
        _ => Ok(reply),
    }
}

/// Core's `ConnectAndCallRPC`: one call through `handler`, to the wallet endpoint when
/// `wallet` is given; with `-rpcwait`, connection failures and warm-up are retried every
/// second until `-rpcwaittimeout`.
pub fn connect_and_call(
    transport: &mut dyn Transport,
    options: &Options,
    handler: &Handler,
    method: &str,
    args: &[String],
    wallet: Option<&str>,
) -> Result<Json, CliError> {
    let endpoint = match wallet {
        Some(name) => format!("/wallet/{}", url_encode(name)),
        None => "/".to_string(),
    };
    let request = handler.prepare(method, args)?;
    let timeout = u64::try_from(options.wait_timeout).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let attempt = send_batch_aware(transport, &request, &endpoint)
            .and_then(|reply| handler.process_reply(reply))
            .and_then(|reply| match &reply {
                Json::Object(m) if m.is_empty() => Err(CliError::Other(
                    "expected reply to have result, error and id properties".into(),
                )),
                _ if options.wait && error_code(&reply) == Some(RPC_IN_WARMUP) => {
                    Err(CliError::Connection("server in warmup".into()))
                }
                _ => Ok(reply),
            });
        match attempt {
            Err(CliError::Connection(message)) if options.wait => {
                if timeout == 0 || Instant::now() < deadline {
                    std::thread::sleep(Duration::from_secs(1));
                } else {
                    return Err(CliError::Connection(format!(
                        "timeout on transient error: {message}"
                    )));
                }
            }
            other => return other,
        }
    }
}

/// Reads one argument per line until the end of `stdin` (line ends removed).
fn read_stdin_args(stdin: &mut dyn BufRead, args: &mut Vec<String>) -> Result<(), CliError> {
    loop {
        let mut line = String::new();
        let n = stdin
            .read_line(&mut line)
            .map_err(|e| CliError::Other(format!("cannot read standard input: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        if line.ends_with('\n') {
            line.pop();
        }
        args.push(line);
    }
}

/// Core's `SetGenerateToAddressArgs`: `[nblocks, address, maxtries]`.
fn generate_args(address: &str, args: &mut Vec<String>) -> Result<(), CliError> {
    if args.len() > 2 {
        return Err(CliError::Other(
            "too many arguments (maximum 2 for nblocks and maxtries)".into(),
        ));
    }
    if args.is_empty() {
        args.push(DEFAULT_NBLOCKS.to_string());
    } else if args[0] == "0" {
        return Err(CliError::Other(format!("the first argument (number of blocks to generate, default: {DEFAULT_NBLOCKS}) must be an integer value greater than zero")));
    }
    args.insert(1, address.to_string());
    Ok(())
}

/// Core's `GetWalletBalances`: with several wallets loaded, each one's trusted balance.
fn add_wallet_balances(
    transport: &mut dyn Transport,
    options: &Options,
    result: &mut Json,
) -> Result<(), CliError> {
    let handler = default_handler(options);
    let list = connect_and_call(transport, options, &handler, "listwallets", &[], None)?;
    if !list.get("error").is_null() {
        return Ok(());
    }
    let Json::Array(wallets) = list.get("result") else {
        return Ok(());
    };
    if wallets.len() <= 1 {
        return Ok(());
    }
    let mut balances = Json::Object(Vec::new());
    for wallet in wallets {
        let name = wallet.val_str();
        let reply = connect_and_call(
            transport,
            options,
            &handler,
            "getbalances",
            &[],
            Some(&name),
        )?;
        balances.push_kv(
            &name,
            reply.get("result").get("mine").get("trusted").clone(),
        );
    }
    result.push_kv("balances", balances);
    Ok(())
}

fn default_handler(options: &Options) -> Handler {
    Handler::Default {
        named: options.named,
        id: options.rpc_id.clone(),
    }
}

/// Runs the command given by the positional `args`.
pub fn run(
    transport: &mut dyn Transport,
    options: &Options,
    args: Vec<String>,
    stdin: &mut dyn BufRead,
    stdout_is_terminal: bool,
) -> Printed {
    match try_run(transport, options, args, stdin, stdout_is_terminal) {
        Ok(printed) => printed,
        Err(e) => Printed {
            text: format!("error: {e}"),
            code: 1,
        },
    }
}

fn try_run(
    transport: &mut dyn Transport,
    options: &Options,
    mut args: Vec<String>,
    stdin: &mut dyn BufRead,
    stdout_is_terminal: bool,
) -> Result<Printed, CliError> {
    if options.stdin {
        read_stdin_args(stdin, &mut args)?;
    }
    if options.commands.len() > 1 {
        return Err(CliError::Other(format!(
            "Only one of {} may be specified.",
            options
                .commands
                .iter()
                .map(|c| format!("-{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let wallet = options.rpcwallet.as_deref();
    let mut method = String::new();
    let handler = if options.getinfo {
        Handler::GetInfo
    } else if options.netinfo {
        if netinfo::is_help(&args) {
            return Ok(Printed {
                text: netinfo::HELP.to_string(),
                code: 0,
            });
        }
        Handler::NetInfo {
            request: netinfo::Request::parse(&args)?,
            chain: options.chain,
        }
    } else if options.generate {
        let handler = default_handler(options);
        let reply = connect_and_call(transport, options, &handler, "getnewaddress", &[], wallet)?;
        if !reply.get("error").is_null() {
            return Ok(format_error(reply.get("error")));
        }
        let address = reply.get("result").as_str().ok_or_else(|| {
            CliError::Other("getnewaddress did not return an address string".into())
        })?;
        generate_args(address, &mut args)?;
        Handler::GenerateToAddress {
            address: address.to_string(),
        }
    } else {
        if args.is_empty() {
            return Err(CliError::Other(
                "too few parameters (need at least command)".into(),
            ));
        }
        method = args.remove(0);
        default_handler(options)
    };
    let reply = connect_and_call(transport, options, &handler, &method, &args, wallet)?;
    let error = reply.get("error");
    if !error.is_null() {
        return Ok(format_error(error));
    }
    let mut result = reply.get("result").clone();
    if options.getinfo {
        if wallet.is_none() {
            add_wallet_balances(transport, options, &mut result)?;
        }
        let colorize = getinfo::should_colorize(options.color.as_deref(), stdout_is_terminal)?;
        result = Json::String(getinfo::format(&result, colorize));
    }
    Ok(Printed {
        text: format_result(&result),
        code: 0,
    })
}
