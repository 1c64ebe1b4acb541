//! `-getinfo`'s human-readable text (Core's `ParseGetInfoResult`), colours included.
//!
//! Sections whose source call the node does not have yet are left out: without
//! `getblockchaininfo` there are no Chain/Blocks/Headers/Verification progress/Difficulty
//! lines, without `getnetworkinfo` no Network/Version/Time offset/Proxies/relay fee lines
//! and no Warnings line. Wallet lines appear only when a wallet answered, as in Core.

use super::json::Json;
use super::CliError;

/// The colour codes of one output.
#[derive(Debug, Clone, Copy, Default)]
struct Colors {
    reset: &'static str,
    green: &'static str,
    blue: &'static str,
    yellow: &'static str,
    magenta: &'static str,
    cyan: &'static str,
}

impl Colors {
    const ON: Colors = Colors {
        reset: "\x1B[0m",
        green: "\x1B[32m",
        blue: "\x1B[34m",
        yellow: "\x1B[33m",
        magenta: "\x1B[35m",
        cyan: "\x1B[36m",
    };
}

/// Whether to colour: `-color=always|never|auto` (`auto`: when stdout is a terminal).
pub fn should_colorize(color: Option<&str>, stdout_is_terminal: bool) -> Result<bool, CliError> {
    match color.unwrap_or("auto") {
        "always" => Ok(true),
        "never" => Ok(false),
        "auto" => Ok(stdout_is_terminal),
        _ => Err(CliError::Other(
            "Invalid value for -color option. Valid values: always, auto, never.".into(),
        )),
    }
}

/// Core's `GetProgressBar`: 5% steps, filled then empty.
fn progress_bar(progress: f64) -> String {
    const INCREMENT: f64 = 0.05;
    let mut bar = String::new();
    if !(0.0..=1.0).contains(&progress) {
        return bar;
    }
    let mut i = 0.0;
    while i < progress / INCREMENT {
        bar.push('\u{2592}');
        i += 1.0;
    }
    let mut i = 0.0;
    while i < (1.0 - progress) / INCREMENT {
        bar.push('\u{2591}');
        i += 1.0;
    }
    bar
}

/// Whether `result` has `key` at all (the node answered the call it comes from).
fn has(result: &Json, key: &str) -> bool {
    matches!(result, Json::Object(m) if m.iter().any(|(k, _)| k == key))
}

/// The `-getinfo` text for the merged result.
pub fn format(result: &Json, colorize: bool) -> String {
    let c = if colorize {
        Colors::ON
    } else {
        Colors::default()
    };
    let v = |key: &str| result.get(key).val_str();
    let mut out = String::new();
    if has(result, "chain") {
        out += &format!("{}Chain: {}{}\n", c.blue, v("chain"), c.reset);
        out += &format!("Blocks: {}\n", v("blocks"));
        out += &format!("Headers: {}\n", v("headers"));
        if let Some(progress) = result.get("verificationprogress").as_f64() {
            let mut bar = String::new();
            if progress < 0.99 {
                bar = progress_bar(progress) + " ";
            }
            out += &format!("Verification progress: {bar}{:.4}%\n", progress * 100.0);
        }
        out += &format!("Difficulty: {}\n\n", v("difficulty"));
    }
    if has(result, "version") {
        network_section(result, &c, &mut out);
    }
    wallet_section(result, &c, &mut out);
    if has(result, "warnings") {
        let warnings = match result.get("warnings") {
            // Newer nodes send a list of warnings.
            Json::Array(items) => items
                .iter()
                .map(Json::val_str)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.val_str(),
        };
        let warnings = if warnings.is_empty() {
            "(none)".to_string()
        } else {
            warnings
        };
        out += &format!("{}Warnings:{} {warnings}", c.yellow, c.reset);
    }
    out.trim_end_matches('\n').to_string()
}

fn network_section(result: &Json, c: &Colors, out: &mut String) {
    let connections = result.get("connections");
    *out += &format!(
        "{}Network: in {}, out {}, total {}{}\n",
        c.green,
        connections.get("in").val_str(),
        connections.get("out").val_str(),
        connections.get("total").val_str(),
        c.reset
    );
    *out += &format!("Version: {}\n", result.get("version").val_str());
    *out += &format!("Time offset (s): {}\n", result.get("timeoffset").val_str());
    // Proxies, in order of first appearance, each with its networks.
    let mut proxies: Vec<(String, Vec<String>)> = Vec::new();
    if let Json::Array(networks) = result.get("networks") {
        for network in networks {
            let proxy = network.get("proxy").val_str();
            if proxy.is_empty() {
                continue;
            }
            let name = network.get("name").val_str();
            match proxies.iter_mut().find(|(p, _)| *p == proxy) {
                Some((_, names)) => names.push(name),
                None => proxies.push((proxy, vec![name])),
            }
        }
    }
    let proxies = if proxies.is_empty() {
        "n/a".to_string()
    } else {
        proxies
            .iter()
            .map(|(proxy, names)| format!("{proxy} ({})", names.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    *out += &format!("Proxies: {proxies}\n");
    *out += &format!(
        "Min tx relay fee rate (BTC/kvB): {}\n\n",
        result.get("relayfee").val_str()
    );
}

fn wallet_section(result: &Json, c: &Colors, out: &mut String) {
    if !result.get("has_wallet").is_null() {
        let name = result.get("walletname").val_str();
        let name = if name.is_empty() { "\"\"".into() } else { name };
        *out += &format!("{}Wallet: {name}{}\n", c.magenta, c.reset);
        *out += &format!("Keypool size: {}\n", result.get("keypoolsize").val_str());
        if !result.get("unlocked_until").is_null() {
            *out += &format!(
                "Unlocked until: {}\n",
                result.get("unlocked_until").val_str()
            );
        }
    }
    if !result.get("balance").is_null() {
        *out += &format!(
            "{}Balance:{} {}\n\n",
            c.cyan,
            c.reset,
            result.get("balance").val_str()
        );
    }
    if let Json::Object(balances) = result.get("balances") {
        *out += &format!("{}Balances{}\n", c.cyan, c.reset);
        let width = balances
            .iter()
            .map(|(_, b)| b.val_str().len())
            .fold(10, usize::max);
        for (wallet, balance) in balances {
            let name = if wallet.is_empty() { "\"\"" } else { wallet };
            *out += &format!("{:>width$} {name}\n", balance.val_str());
        }
        *out += "\n";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text).unwrap_or_else(|| panic!("bad test JSON {text}"))
    }

    const FULL: &str = r#"{"version":300000,"blocks":5,"headers":7,"verificationprogress":0.5,"timeoffset":-1,
        "connections":{"in":1,"out":2,"total":3},
        "networks":[{"name":"ipv4","proxy":"127.0.0.1:9050"},{"name":"ipv6","proxy":""},{"name":"onion","proxy":"127.0.0.1:9050"}],
        "difficulty":4.656542373906925e-10,"chain":"regtest","has_wallet":true,"keypoolsize":1000,"walletname":"",
        "balance":1.50000000,"relayfee":0.00001000,"warnings":""}"#;

    #[test]
    fn full_output_matches_core() {
        let text = format(&json(FULL), false);
        let bar = "\u{2592}".repeat(10) + &"\u{2591}".repeat(10);
        assert_eq!(
            text,
            format!(
                "Chain: regtest\nBlocks: 5\nHeaders: 7\nVerification progress: {bar} 50.0000%\nDifficulty: 4.656542373906925e-10\n\n\
                 Network: in 1, out 2, total 3\nVersion: 300000\nTime offset (s): -1\nProxies: 127.0.0.1:9050 (ipv4, onion)\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\n\
                 Wallet: \"\"\nKeypool size: 1000\nBalance: 1.50000000\n\nWarnings: (none)"
            )
        );
    }

    #[test]
    fn colours_and_multiwallet_balances() {
        let mut result = json(FULL);
        result.push_kv("verificationprogress", json("1"));
        result.push_kv("warnings", json(r#"["a","b"]"#));
        result.push_kv("balances", json(r#"{"":0.1,"long":123456789.12345678}"#));
        let text = format(&result, true);
        assert!(
            text.starts_with("\x1B[34mChain: regtest\x1B[0m\n"),
            "{text}"
        );
        assert!(
            text.contains("Verification progress: 100.0000%\n"),
            "{text}"
        );
        let balances = format!(
            "\x1B[36mBalances\x1B[0m\n{:>18} \"\"\n123456789.12345678 long\n\n",
            "0.1"
        );
        assert!(text.contains(&balances), "{text}");
        assert!(text.ends_with("\x1B[33mWarnings:\x1B[0m a, b"), "{text}");
    }

    #[test]
    fn missing_sections_are_left_out() {
        let text = format(
            &json(
                r#"{"blocks":0,"headers":null,"verificationprogress":null,"difficulty":null,"chain":"regtest"}"#,
            ),
            false,
        );
        assert_eq!(text, "Chain: regtest\nBlocks: 0\nHeaders: \nDifficulty: ");
        let text = format(
            &json(
                r#"{"version":1,"timeoffset":0,"connections":{"in":0,"out":0,"total":0},"networks":[],"relayfee":0.00001000,"warnings":""}"#,
            ),
            false,
        );
        assert!(
            text.starts_with("Network: in 0, out 0, total 0\nVersion: 1\n"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "Proxies: n/a\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\nWarnings: (none)"
            ),
            "{text}"
        );
    }

    #[test]
    fn progress_bar_steps_and_colour_setting() {
        assert_eq!(progress_bar(0.0).chars().count(), 20);
        assert_eq!(
            progress_bar(0.5)
                .chars()
                .filter(|c| *c == '\u{2592}')
                .count(),
            10
        );
        assert_eq!(progress_bar(1.5), "");
        assert!(should_colorize(Some("always"), false).expect("valid"));
        assert!(!should_colorize(Some("never"), true).expect("valid"));
        assert!(should_colorize(None, true).expect("valid"));
        assert!(!should_colorize(Some("auto"), false).expect("valid"));
        assert!(should_colorize(Some("sometimes"), true).is_err());
    }
}
