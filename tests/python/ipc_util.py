"""Shared helpers for the Python IPC tests: schema loading, connecting, running async code."""

import asyncio
import os
from contextlib import asynccontextmanager
from pathlib import Path

import capnp

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schemas" / "capnp"
BIN_DIR = Path(os.environ.get("BIN_DIR") or (REPO / "target" / "debug")).resolve()

# Upper bound for one test's async body, so a server that never answers fails the
# test instead of hanging the run.
ASYNC_TIMEOUT = 60.0


def _load(name):
    return capnp.load(str(SCHEMA_DIR / f"{name}.capnp"), imports=[str(SCHEMA_DIR)])


proxy_capnp = _load("proxy")
echo_capnp = _load("echo")
init_capnp = _load("init")
ipc_test_capnp = _load("ipc_test")
mining_capnp = _load("mining")
rpc_capnp = _load("rpc")


def run(coro_fn, *args, timeout=ASYNC_TIMEOUT):
    """Run `coro_fn(*args)` inside a fresh asyncio + KJ event loop and return its result."""

    async def main():
        return await asyncio.wait_for(coro_fn(*args), timeout)

    return asyncio.run(capnp.run(main()))


class Connection:
    """One two-party RPC connection to a unix socket, bootstrapping `interface`."""

    def __init__(self, stream, client, root):
        self.stream = stream
        self.client = client
        self.root = root

    def close(self):
        self.client.close()
        self.stream.close()


async def connect(socket_path, interface):
    stream = await capnp.AsyncIoStream.create_unix_connection(str(socket_path))
    client = capnp.TwoPartyClient(stream)
    root = client.bootstrap().cast_as(interface)
    return Connection(stream, client, root)


@asynccontextmanager
async def connected(socket_path, interface):
    conn = await connect(socket_path, interface)
    try:
        yield conn
    finally:
        conn.close()


async def make_thread_ctx(init, name="pythread"):
    """construct() + makeThread(name); returns (threadMap, Context naming that thread)."""
    thread_map = (await init.construct()).threadMap
    thread = (await thread_map.makeThread(name)).result
    ctx = proxy_capnp.Context.new_message()
    ctx.thread = thread
    return thread_map, ctx


async def expect_failure(awaitable, message):
    """Await `awaitable`, which must fail with a FAILED exception whose description contains `message`."""
    try:
        result = await awaitable
    except capnp.KjException as e:
        assert message in e.description, f"expected {message!r} in {e.description!r}"
        assert e.type == "FAILED", f"expected type FAILED, got {e.type!r} ({e.description!r})"
        return e
    raise AssertionError(f"call unexpectedly succeeded (expected failure {message!r}): {result}")


node_capnp = _load("node")
wallet_capnp = _load("wallet")


async def make_node(init, ctx):
    """init.makeNode(ctx) -> the node's `Node` capability."""
    return (await init.makeNode(ctx)).result


async def node_rpc(node, ctx, method, *params, uri="/"):
    """Core's JSON-RPC `method` through `Node.executeRpc`; returns the result, asserting no error."""
    import json

    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    reply = json.loads((await node.executeRpc(ctx, request, uri, "")).result)
    assert reply.get("error") is None, reply
    return reply["result"]
