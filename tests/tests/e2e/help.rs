//! `help` and `help <method>` of a real node, pinned to a committed golden file
//! (`tests/golden/help.txt`), so moving the RPC machinery between crates cannot change what a
//! user reads. After an intended change: `UPDATE_GOLDEN=1 cargo nextest run -E 'test(help_matches)'`.

use std::path::PathBuf;

use serde_json::json;
use tests::RpcNode;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/help.txt")
}

/// The method names `help` lists (its lines that are not category headings or blank).
fn listed_methods(help: &str) -> Vec<String> {
    help.lines()
        .filter(|line| !line.is_empty() && !line.starts_with("== "))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn help_matches_the_golden_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The node's own methods (the wallet's come from its process and have their own tests).
    let node = RpcNode::start_with(dir.path(), "regtest", &["-disablewallet"]);
    let overview = node.call("help", json!([]));
    let overview = overview.as_str().expect("help is text");
    let mut methods = listed_methods(overview);
    assert!(methods.len() > 30, "too few methods listed: {methods:?}");
    // Hidden from the list, still documented.
    methods.extend(["echo", "echojson"].map(String::from));
    let mut text = format!("## help\n{overview}\n");
    for method in &methods {
        let help = node.call("help", json!([method]));
        let help = help.as_str().expect("help is text");
        text.push_str(&format!("## help {method}\n{help}\n"));
    }
    node.stop();
    let path = golden_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("write golden file");
        return;
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 makes it)", path.display()));
    if golden != text {
        let first = golden
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| golden.lines().count().min(text.lines().count()));
        panic!(
            "help differs from {} from line {}:\n golden: {:?}\n now:    {:?}",
            path.display(),
            first + 1,
            golden.lines().nth(first),
            text.lines().nth(first)
        );
    }
}
