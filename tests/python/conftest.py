"""Fixtures that run the suite's real binaries, one fresh process per test."""

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from ipc_util import BIN_DIR

START_DEADLINE = 10.0  # seconds for a process to start listening
STOP_DEADLINE = 10.0  # seconds for a process to exit after SIGTERM


def _binary(name):
    path = BIN_DIR / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} not found: build it first (cargo build -p bitcoin-node -p tests) or set BIN_DIR")
    return path


def _short_tmpdir(prefix):
    # Unix socket paths are limited to ~107 bytes, so stay short (pytest's tmp_path can be long).
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def _log_tail(path, limit=4000):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return text[-limit:]


def _can_connect(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False


class Process:
    """A started binary with its working directory and log files."""

    def __init__(self, name, args, workdir, stdout=None):
        self.name = name
        self.workdir = workdir
        self.stderr_path = workdir / f"{name}.stderr"
        self.stdout_path = workdir / f"{name}.stdout"
        self._stderr = open(self.stderr_path, "wb")
        self._stdout = open(self.stdout_path, "wb") if stdout is None else None
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._stdout if stdout is None else stdout,
            stderr=self._stderr,
            cwd=workdir,
        )

    def diagnostics(self):
        return f"{self.name} stderr:\n{_log_tail(self.stderr_path)}"

    def check_running(self, what):
        code = self.proc.poll()
        if code is not None:
            pytest.fail(f"{self.name} exited with {code} while {what}\n{self.diagnostics()}")

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_DEADLINE. Returns (exit code, killed?)."""
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                killed = True
                self.proc.kill()
                self.proc.wait()
        for f in (self._stderr, self._stdout, self.proc.stdout):
            if f is not None:
                f.close()
        return self.proc.returncode, killed


class NodeProcess(Process):
    def __init__(self, workdir):
        self.datadir = workdir / "data"
        self.datadir.mkdir()
        self.socket_path = self.datadir / "regtest" / "node.sock"
        super().__init__(
            "bitcoin-node",
            [str(_binary("bitcoin-node")), "-regtest", f"-datadir={self.datadir}", "-ipcbind=unix"],
            workdir,
        )


@pytest.fixture
def node():
    """A bitcoin-node serving Init on its own datadir's regtest/node.sock."""
    workdir = _short_tmpdir("btcn-")
    n = NodeProcess(workdir)
    try:
        deadline = time.monotonic() + START_DEADLINE
        # The node publishes its socket only once it listens: seeing it is enough, and one
        # connect must then succeed (no retry that would hide a socket refusing connections).
        while not n.socket_path.exists():
            n.check_running("starting")
            if time.monotonic() > deadline:
                pytest.fail(f"bitcoin-node did not listen on {n.socket_path} within {START_DEADLINE} s\n"
                            f"{n.diagnostics()}")
            time.sleep(0.02)
        assert _can_connect(n.socket_path), f"{n.socket_path} exists but refused a connection\n{n.diagnostics()}"
        yield n
    finally:
        code, killed = n.stop()
        try:
            assert not killed, f"bitcoin-node did not exit within {STOP_DEADLINE} s of SIGTERM\n{n.diagnostics()}"
            assert code == 0, f"bitcoin-node exited with {code} after SIGTERM\n{n.diagnostics()}"
            assert not n.socket_path.exists(), f"bitcoin-node left {n.socket_path} behind"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


class PeerProcess(Process):
    def __init__(self, workdir):
        self.socket_path = workdir / "peer.sock"
        super().__init__(
            "ipc-test-peer",
            [str(_binary("ipc-test-peer")), "serve", str(self.socket_path)],
            workdir,
            stdout=subprocess.PIPE,
        )

    def wait_ready(self):
        deadline = time.monotonic() + START_DEADLINE
        buf = b""
        out = self.proc.stdout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"ipc-test-peer did not print 'ready' within {START_DEADLINE} s "
                            f"(got {buf!r})\n{self.diagnostics()}")
            readable, _, _ = select.select([out], [], [], min(left, 0.1))
            if readable:
                chunk = os.read(out.fileno(), 4096)
                if not chunk:
                    self.proc.wait(timeout=STOP_DEADLINE)
                    self.check_running("starting")
                buf += chunk
            else:
                self.check_running("starting")
        line = buf.split(b"\n", 1)[0].strip()
        if line != b"ready":
            pytest.fail(f"ipc-test-peer printed {line!r} instead of 'ready'\n{self.diagnostics()}")


@pytest.fixture
def peer():
    """An `ipc-test-peer serve` process serving TestInit on its own socket."""
    workdir = _short_tmpdir("ipcp-")
    p = PeerProcess(workdir)
    try:
        p.wait_ready()
        yield p
        p.check_running("the test ran")
    finally:
        p.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    # A run in which nothing passed (e.g. everything skipped or deselected) is not a success.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if exitstatus == 0 and reporter is not None and not reporter.stats.get("passed"):
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
