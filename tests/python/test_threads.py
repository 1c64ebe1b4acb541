"""Thread-mapping behaviour of the IPC runtime, against a real `ipc-test-peer serve`."""

import asyncio
import os
import time

from ipc_util import connected, ipc_test_capnp, make_thread_ctx, proxy_capnp, run


async def _suite_with_threads(init, *names):
    """construct(), one server Thread per name, and a TestSuite made on the first one."""
    thread_map = (await init.construct()).threadMap
    ctxs = []
    for name in names:
        ctx = proxy_capnp.Context.new_message()
        ctx.thread = (await thread_map.makeThread(name)).result
        ctxs.append(ctx)
    suite = (await init.makeSuite(ctxs[0])).result
    return suite, ctxs


def test_same_thread_calls_run_in_order(peer):
    async def body():
        async with connected(peer.socket_path, ipc_test_capnp.TestInit) as conn:
            suite, (ctx,) = await _suite_with_threads(conn.root, "fifo")
            finished = []

            async def track(index, promise):
                result = list((await promise).result)
                finished.append(index)
                return result

            # Send all three requests before awaiting any reply.
            promises = [suite.record(ctx, value) for value in (1, 2, 3)]
            results = await asyncio.gather(*(track(i, p) for i, p in enumerate(promises)))

            assert results == [[1], [1, 2], [1, 2, 3]]
            assert finished == [0, 1, 2]

    run(body)


def test_different_threads_run_concurrently(peer):
    async def body():
        async with connected(peer.socket_path, ipc_test_capnp.TestInit) as conn:
            suite, (ctx_a, ctx_b) = await _suite_with_threads(conn.root, "thread-a", "thread-b")
            id_a = (await suite.threadId(ctx_a)).result
            id_b = (await suite.threadId(ctx_b)).result
            assert id_a != id_b

            start = time.monotonic()
            sleeping = asyncio.ensure_future(suite.sleep(ctx_a, 1000))
            # Queued behind the sleep on the same thread: must wait for it.
            same_thread = asyncio.ensure_future(suite.threadId(ctx_a))
            await asyncio.sleep(0.05)  # let the sleep reach thread A

            t0 = time.monotonic()
            other = (await suite.threadId(ctx_b)).result
            other_elapsed = time.monotonic() - t0
            assert other == id_b
            assert not sleeping.done()
            assert other_elapsed < 0.5, f"threadId on thread B took {other_elapsed:.3f} s while A slept"

            assert (await sleeping).result == id_a
            assert time.monotonic() - start >= 0.95
            assert (await same_thread).result == id_a
            assert time.monotonic() - start >= 0.95

    run(body)


def test_echo_data_one_mib(peer):
    async def body():
        async with connected(peer.socket_path, ipc_test_capnp.TestInit) as conn:
            thread_map, ctx = await make_thread_ctx(conn.root, "data")
            suite = (await conn.root.makeSuite(ctx)).result
            payload = os.urandom(1 << 20)
            result = bytes((await suite.echoData(ctx, payload)).result)
            assert len(result) == len(payload)
            assert result == payload

    run(body)
