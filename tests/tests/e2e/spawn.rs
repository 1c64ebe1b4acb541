//! Spawning `bitcoin-node -ipcfd N` like Bitcoin Core does, and the child's life cycle.

use std::time::Duration;

use interfaces::Init;
use tests::{bin, process_gone, Process};

#[test]
fn spawned_node_serves_echo_and_exits_when_the_connection_drops() {
    let spawned = ipc::spawn_process::<ipc::InitProxy>(&bin("bitcoin-node")).expect("spawn");
    let pid = spawned.pid;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(args.len(), 3, "argv {args:?}");
    assert!(args[0].ends_with("bitcoin-node"));
    assert_eq!(args[1], "-ipcfd");
    assert!(args[2].parse::<i32>().is_ok(), "argv {args:?}");
    let echo = spawned.init.make_echo().expect("make_echo");
    interfaces::echo_conformance::run(&*echo);
    drop(echo);
    drop(spawned.init);
    drop(spawned.connection);
    assert!(
        tests::eventually(Duration::from_secs(2), || process_gone(pid)),
        "child {pid} still running"
    );
    // The reaper thread collects it: no zombie is left.
    assert!(
        tests::eventually(Duration::from_secs(2), || !std::path::Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()),
        "child {pid} left as a zombie"
    );
}

#[test]
fn spawned_node_exits_when_its_parent_is_killed() {
    let node = bin("bitcoin-node");
    let mut parent = Process::start(
        &bin("ipc-test-peer"),
        &["spawn-node", node.to_str().expect("utf8")],
    );
    let lines = parent.wait_for_line_prefix("child ");
    let pid: u32 = lines
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("bad line {lines}"));
    assert!(!process_gone(pid));
    parent.signal(nix::sys::signal::Signal::SIGKILL);
    assert!(
        tests::eventually(Duration::from_secs(1), || process_gone(pid)),
        "child {pid} outlived its parent by more than 1 s"
    );
}
