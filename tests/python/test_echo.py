"""Echo and thread-mapping tests against a real bitcoin-node, in the style of Bitcoin Core's
test/functional/interface_ipc.py (pycapnp's asyncio API over the -ipcbind unix socket)."""

import capnp
import pytest

from ipc_util import (
    connect,
    connected,
    expect_failure,
    init_capnp,
    make_thread_ctx,
    proxy_capnp,
    run,
)

MINING_OLD2_ERROR = "Old mining interface (@2) not supported. Please update your client!"
NO_POOL_ERROR = "no thread specified and no pool configured"
INVALID_THREAD_ERROR = "invalid thread handle"

ONE_MIB_TEXT = "".join(chr(ord("a") + i % 26) for i in range(1 << 20))


def empty_context():
    return proxy_capnp.Context.new_message()


def test_echo(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            init = conn.root
            _, ctx = await make_thread_ctx(init, "pythread")
            assert (await ctx.thread.getName()).result == "pythread"
            echo = (await init.makeEcho(ctx)).result
            for text in ["hallo", "", ONE_MIB_TEXT]:
                result = (await echo.echo(ctx, text)).result
                assert len(result) == len(text)
                assert result == text
            await echo.destroy(ctx)
            with pytest.raises(capnp.KjException):
                await echo.echo(ctx, "after destroy")

    run(body)


def test_make_mining_old2_fails(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            await conn.root.construct()
            await expect_failure(conn.root.makeMiningOld2(), MINING_OLD2_ERROR)
            # The connection is still usable afterwards.
            _, ctx = await make_thread_ctx(conn.root)
            echo = (await conn.root.makeEcho(ctx)).result
            assert (await echo.echo(ctx, "still here")).result == "still here"

    run(body)


def test_empty_context_needs_pool(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            init = conn.root
            thread_map, ctx = await make_thread_ctx(init)
            echo = (await init.makeEcho(ctx)).result
            empty = empty_context()

            await expect_failure(init.makeEcho(empty), NO_POOL_ERROR)
            await expect_failure(echo.echo(empty, "hallo"), NO_POOL_ERROR)

            await thread_map.makePool(2)

            assert (await echo.echo(empty, "hallo")).result == "hallo"
            pooled_echo = (await init.makeEcho(empty)).result
            assert (await pooled_echo.echo(empty, "pooled")).result == "pooled"
            # Named threads still work alongside the pool.
            assert (await pooled_echo.echo(ctx, "named")).result == "named"

    run(body)


def test_thread_from_other_connection_is_rejected(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as first, \
                connected(node.socket_path, init_capnp.Init) as second:
            _, ctx1 = await make_thread_ctx(first.root, "first")
            _, ctx2 = await make_thread_ctx(second.root, "second")
            echo1 = (await first.root.makeEcho(ctx1)).result

            # A Thread made on the second connection, named in a call on the first.
            await expect_failure(first.root.makeEcho(ctx2), INVALID_THREAD_ERROR)
            await expect_failure(echo1.echo(ctx2, "hallo"), INVALID_THREAD_ERROR)

            # Both connections still work with their own threads.
            assert (await echo1.echo(ctx1, "one")).result == "one"
            echo2 = (await second.root.makeEcho(ctx2)).result
            assert (await echo2.echo(ctx2, "two")).result == "two"

    run(body)


def test_reconnect(node):
    async def one_session(text):
        conn = await connect(node.socket_path, init_capnp.Init)
        try:
            _, ctx = await make_thread_ctx(conn.root)
            echo = (await conn.root.makeEcho(ctx)).result
            assert (await echo.echo(ctx, text)).result == text
        finally:
            conn.close()

    async def body():
        # Close a connection (without destroying its objects) and open another one.
        await one_session("first")
        await one_session("second")
        await one_session("third")

    run(body)
    # A fresh event loop (the previous one tore its connections down) connects again.
    run(one_session, "after a new event loop")
    node.check_running("clients reconnected")
