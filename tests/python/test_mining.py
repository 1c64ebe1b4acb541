"""The Mining flow a Stratum v2 template provider plays against the node, in the style of
Bitcoin Core's test/functional/interface_ipc_mining.py, using only our schemas/ files."""

import asyncio
import gc
import signal
from contextlib import asynccontextmanager

import capnp

from ipc_util import connected, expect_failure, init_capnp, make_thread_ctx, mining_capnp, proxy_capnp, run
from mining_util import mature_coinbases, rpc_call, solve, spend_op_true

async def setup(conn, name="tp"):
    init = conn.root
    thread_map, ctx = await make_thread_ctx(init, name)
    mining = (await init.makeMining(ctx)).result
    return thread_map, ctx, mining


async def other_thread(thread_map, name):
    ctx = proxy_capnp.Context.new_message()
    ctx.thread = (await thread_map.makeThread(name)).result
    return ctx


def create_options(**fields):
    options = mining_capnp.BlockCreateOptions.new_message()
    for key, value in fields.items():
        setattr(options, key, value)
    return options


def wait_options(**fields):
    options = mining_capnp.BlockWaitOptions.new_message()
    for key, value in fields.items():
        setattr(options, key, value)
    return options


async def mine_via_rpc(conn, ctx, n=1):
    rpc = (await conn.root.makeRpc(ctx)).result
    return await rpc_call(rpc, ctx, "generatetodescriptor", n, "raw(51)")


@asynccontextmanager
async def session(node):
    """A connection with a Mining on thread "tp", a second thread "miner2", and one block
    mined (so the node is out of initial block download)."""
    async with connected(node.socket_path, init_capnp.Init) as conn:
        thread_map, ctx, mining = await setup(conn)
        other = await other_thread(thread_map, "miner2")
        await mine_via_rpc(conn, other)
        yield conn, thread_map, ctx, mining, other


def test_template_provider_flow(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            _, ctx, mining = await setup(conn)
            assert (await mining.isTestChain(ctx)).result is True
            assert (await mining.isInitialBlockDownload(ctx)).result is True
            tip = await mining.getTip(ctx)
            assert tip.hasResult and tip.result.height == 0
            first_solution = None
            for height in (1, 2, 3):
                # A fresh regtest chain is in IBD, so the first template needs cooldown=false.
                template = (await mining.createNewBlock(ctx, create_options(), height > 1)).result
                header = bytes((await template.getBlockHeader(ctx)).result)
                assert len(header) == 80
                assert header[4:36] == bytes(tip.result.hash)
                block = bytes((await template.getBlock(ctx)).result)
                assert block[:80] == header
                assert list((await template.getTxFees(ctx)).result) == []
                assert list((await template.getTxSigops(ctx)).result) == []
                cb = (await template.getCoinbaseTx(ctx)).result
                assert cb.blockRewardRemaining == 50 * 100_000_000
                assert len(cb.requiredOutputs) == 1  # the witness commitment
                assert bytes(cb.requiredOutputs[0])[9:15] == bytes.fromhex("6a24aa21a9ed")
                assert cb._has("witness") and bytes(cb.witness) == b"\x00" * 32
                assert cb.lockTime == height - 1
                assert cb.sequence == 0xFFFFFFFE
                version, time, nonce, coinbase, block_hash = await solve(template, ctx)
                check = await mining.checkBlock(ctx, block, mining_capnp.BlockCheckOptions.new_message())
                # The template's own block has nonce 0: valid except (usually) for its work.
                assert check.result or check.reason == "high-hash", check.reason
                verdict = await template.submitSolution(ctx, version, time, nonce, coinbase)
                assert verdict.result, (verdict.reason, verdict.debug)
                assert verdict.reason == ""
                new_tip = await mining.getTip(ctx)
                assert new_tip.hasResult and new_tip.result.height == height
                assert bytes(new_tip.result.hash) == block_hash
                if first_solution is None:
                    first_solution = (template, version, time, nonce, coinbase)
                tip = new_tip
            assert (await mining.isInitialBlockDownload(ctx)).result is False
            template, version, time, nonce, coinbase = first_solution
            again = await template.submitSolution(ctx, version, time, nonce, coinbase)
            assert not again.result and again.reason == "duplicate"
            # Core v31's @7 on the same template: ProcessNewBlock's bool, true for a known block.
            assert (await template.submitSolutionOld7(ctx, version, time, nonce, coinbase)).result is True
            # waitTipChanged: a stale tip returns at once, the current one times out with it.
            changed = (await mining.waitTipChanged(ctx, b"\x00" * 32, 10_000.0)).result
            assert changed.height == 3
            same = (await mining.waitTipChanged(ctx, bytes(tip.result.hash), 100.0)).result
            assert bytes(same.hash) == bytes(tip.result.hash)
            unknown = (await mining.getTransactionsByTxID(ctx, [b"\x00" * 32])).result
            assert [bytes(t) for t in unknown] == [b""]
            unknown = (await mining.getTransactionsByWitnessID(ctx, [b"\x11" * 32])).result
            assert [bytes(t) for t in unknown] == [b""]
            await template.destroy(ctx)

    run(body)


def test_option_errors_are_cores(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            _, ctx, mining = await setup(conn)
            cases = [
                (create_options(blockReservedWeight=1999),
                 "block_reserved_weight (1999) is lower than minimum safety value of (2000)"),
                (create_options(blockReservedWeight=4_000_001),
                 "block_reserved_weight (4000001) exceeds consensus maximum block weight (4000000)"),
                (create_options(coinbaseOutputMaxAdditionalSigops=80_001),
                 "coinbase_output_max_additional_sigops (80001) exceeds consensus maximum block sigops cost (80000)"),
            ]
            for options, message in cases:
                await expect_failure(mining.createNewBlock(ctx, options, False), message)
            # The connection and the Mining object still work.
            template = (await mining.createNewBlock(ctx, create_options(useMempool=False), False)).result
            assert len(bytes((await template.getBlockHeader(ctx)).result)) == 80

    run(body)


def test_waits_and_interrupts(node):
    async def body():
        async with session(node) as (conn, thread_map, ctx, mining, other):
            tip = (await mining.getTip(ctx)).result
            # interrupt() ends a waitTipChanged with an empty BlockRef.
            waiting = mining.waitTipChanged(ctx, bytes(tip.hash))
            await asyncio.sleep(0.2)
            await mining.interrupt()
            interrupted = await waiting
            assert len(bytes(interrupted.result.hash)) == 0
            template = (await mining.createNewBlock(ctx, create_options(), True)).result
            # interruptWait ends a waitNext with no template.
            waiting = template.waitNext(ctx, wait_options())
            await asyncio.sleep(0.2)
            await template.interruptWait()
            assert not (await waiting)._has("result")
            # A timeout without news gives no template.
            timed_out = await template.waitNext(ctx, wait_options(timeout=200.0))
            assert not timed_out._has("result")
            # A new block gives a template on it.
            waiting = template.waitNext(ctx, wait_options(timeout=20_000.0))
            await asyncio.sleep(0.2)
            await mine_via_rpc(conn, other)
            next_template = (await waiting).result
            new_tip = (await mining.getTip(ctx)).result
            header = bytes((await next_template.getBlockHeader(ctx)).result)
            assert header[4:36] == bytes(new_tip.hash)
            assert new_tip.height == tip.height + 1

    run(body)


def test_three_wait_next_on_one_thread_then_a_block(node):
    async def body():
        async with session(node) as (conn, thread_map, ctx, mining, other):
            template = (await mining.createNewBlock(ctx, create_options(), True)).result
            waits = [template.waitNext(ctx, wait_options()) for _ in range(3)]
            await asyncio.sleep(0.3)
            # A client that disconnects in the middle of waitNext costs the node nothing.
            async with connected(node.socket_path, init_capnp.Init) as quitter:
                _, qctx, qmining = await setup(quitter, "quitter")
                qtemplate = (await qmining.createNewBlock(qctx, create_options(), True)).result
                qtemplate.waitNext(qctx, wait_options())
                await asyncio.sleep(0.2)
            await mine_via_rpc(conn, other)
            results = [await w for w in waits]
            tip = (await mining.getTip(ctx)).result
            for r in results:
                header = bytes((await r.result.getBlockHeader(ctx)).result)
                assert header[4:36] == bytes(tip.hash)
            rpc = (await conn.root.makeRpc(other)).result
            info = await rpc_call(rpc, other, "getipcinfo")
            # Ours: the first template and the three from waitNext. The quitter's are gone.
            deadline = asyncio.get_running_loop().time() + 5
            while info["block_templates"] != 4 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                info = await rpc_call(rpc, other, "getipcinfo")
            assert info["block_templates"] == 4, info

    run(body)


def test_wait_next_on_a_fee_rise_and_templates_keep_their_transactions(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            thread_map, ctx, mining = await setup(conn)
            other = await other_thread(thread_map, "wallet")
            rpc = (await conn.root.makeRpc(other)).result
            coins = await mature_coinbases(rpc, other, 3)
            template = (await mining.createNewBlock(ctx, create_options(), True)).result
            assert list((await template.getTxFees(ctx)).result) == []
            # A 5,000 sat transaction arrives while a waitNext asks for at least 1,000 more.
            waiting = template.waitNext(ctx, wait_options(timeout=20_000.0, feeThreshold=1000))
            await asyncio.sleep(0.3)
            raw, txid, wtxid = spend_op_true(coins[0][0], 0, coins[0][1], 5000)
            assert await rpc_call(rpc, other, "sendrawtransaction", raw.hex()) == txid
            richer = (await waiting).result
            assert list((await richer.getTxFees(ctx)).result) == [5000]
            assert len(list((await richer.getTxSigops(ctx)).result)) == 1
            block = bytes((await richer.getBlock(ctx)).result)
            assert raw in block
            # The mempool serves it by txid and by wtxid (raw bytes, internal order).
            by_txid = (await mining.getTransactionsByTxID(ctx, [bytes.fromhex(txid)[::-1]])).result
            assert [bytes(t) for t in by_txid] == [raw]
            by_wtxid = (await mining.getTransactionsByWitnessID(ctx, [bytes.fromhex(wtxid)[::-1]])).result
            assert [bytes(t) for t in by_wtxid] == [raw]
            # A rise below the threshold gives nothing before the timeout.
            waiting = richer.waitNext(ctx, wait_options(timeout=1500.0, feeThreshold=100_000))
            await asyncio.sleep(0.3)
            raw2, _, _ = spend_op_true(coins[1][0], 0, coins[1][1], 2000)
            await rpc_call(rpc, other, "sendrawtransaction", raw2.hex())
            assert not (await waiting)._has("result")
            # Once mined, the transactions leave the mempool but the templates keep them.
            await rpc_call(rpc, other, "generatetodescriptor", 1, "raw(51)")
            gone = (await mining.getTransactionsByTxID(ctx, [bytes.fromhex(txid)[::-1]])).result
            assert [bytes(t) for t in gone] == [b""]
            assert raw in bytes((await richer.getBlock(ctx)).result)
            mempool = await rpc_call(rpc, other, "getrawmempool")
            assert mempool == []

    run(body)


def test_waiting_clients_do_not_block_shutdown(node):
    async def body():
        async with session(node) as (conn, thread_map, ctx, mining, other):
            tip = (await mining.getTip(ctx)).result
            template = (await mining.createNewBlock(ctx, create_options(), True)).result
            tip_wait = mining.waitTipChanged(ctx, bytes(tip.hash))
            next_wait = template.waitNext(other, wait_options())
            await asyncio.sleep(0.3)
            started = asyncio.get_running_loop().time()
            node.proc.send_signal(signal.SIGTERM)
            while node.proc.poll() is None:
                assert asyncio.get_running_loop().time() - started < 10, "node did not stop"
                await asyncio.sleep(0.05)
            assert node.proc.returncode == 0, node.diagnostics()
            for pending in (tip_wait, next_wait):
                try:
                    result = await pending
                except capnp.KjException:
                    continue  # the connection closed under the call
                # Or the wait returned at shutdown: an empty tip / no template.
                assert not result._has("result") or len(bytes(result.result.hash)) == 0

    run(body)


def test_cooldown_waits_out_initial_block_download(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            thread_map, ctx, mining = await setup(conn)
            other = await other_thread(thread_map, "miner2")
            assert (await mining.isInitialBlockDownload(ctx)).result is True
            # With cooldown, no template while in IBD; interrupt() ends the wait with none.
            waiting = mining.createNewBlock(ctx, create_options(), True)
            await asyncio.sleep(0.5)
            await mining.interrupt()
            assert not (await waiting)._has("result")
            # A fresh block ends IBD, and the waiting call returns a template on it.
            waiting = mining.createNewBlock(ctx, create_options(), True)
            await asyncio.sleep(0.5)
            await mine_via_rpc(conn, other)
            template = (await waiting).result
            tip = (await mining.getTip(ctx)).result
            assert tip.height == 1
            header = bytes((await template.getBlockHeader(ctx)).result)
            assert header[4:36] == bytes(tip.hash)

    run(body)


def test_templates_are_freed_on_destroy_release_and_disconnect(node):
    async def count(rpc, ctx):
        return (await rpc_call(rpc, ctx, "getipcinfo"))["block_templates"]

    async def settle(rpc, ctx, expected):
        deadline = asyncio.get_running_loop().time() + 5
        while await count(rpc, ctx) != expected and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert await count(rpc, ctx) == expected

    async def body():
        async with session(node) as (conn, thread_map, ctx, mining, other):
            rpc = (await conn.root.makeRpc(other)).result
            a = (await mining.createNewBlock(ctx, create_options(), True)).result
            b = (await mining.createNewBlock(ctx, create_options(), True)).result
            await settle(rpc, other, 2)
            await a.destroy(ctx)  # destroy
            await settle(rpc, other, 1)
            del b  # release: the last reference goes without destroy
            gc.collect()
            await settle(rpc, other, 0)
            async with connected(node.socket_path, init_capnp.Init) as quitter:
                _, qctx, qmining = await setup(quitter, "quitter")
                held = [(await qmining.createNewBlock(qctx, create_options(), True)).result for _ in range(3)]
                await settle(rpc, other, len(held))
            await settle(rpc, other, 0)  # disconnect

    run(body)
