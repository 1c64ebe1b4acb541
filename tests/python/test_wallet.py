"""A front end's view of the node's wallets over IPC: Init.makeNode -> Node.walletLoader ->
WalletLoader -> Wallet, against a regtest bitcoin-node and the wallet process it spawned,
using only our schemas/ files."""

import asyncio
import time

from ipc_util import expect_failure, init_capnp, connected, make_node, make_thread_ctx, node_rpc, run

COIN = 100_000_000
SYNC_DEADLINE = 20.0  # seconds for mined blocks to reach the wallet's balances


async def loader_session(conn, name="front"):
    """(ctx, node, walletLoader) on a thread of our own."""
    _, ctx = await make_thread_ctx(conn.root, name)
    node = await make_node(conn.root, ctx)
    loader = (await node.walletLoader(ctx)).result
    return ctx, node, loader


async def wait_balances(wallet, ctx, predicate):
    """Polls getBalances until `predicate(balances)`; returns the last balances seen."""
    deadline = time.monotonic() + SYNC_DEADLINE
    while True:
        balances = (await wallet.getBalances(ctx)).result
        if predicate(balances) or time.monotonic() > deadline:
            return balances
        await asyncio.sleep(0.1)


def test_mined_coins_reach_a_wallet_created_over_ipc(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            ctx, rpc_node, loader = await loader_session(conn)
            assert list((await loader.listWallets(ctx)).result) == []
            wallet = (await loader.createWallet(ctx, "py", "")).result
            assert (await wallet.getName(ctx)).result == "py"
            assert list((await loader.listWallets(ctx)).result) == ["py"]
            address = (await wallet.getNewAddress(ctx, "", "")).result
            assert address.startswith("bcrt1"), address
            empty = (await wallet.getBalances(ctx)).result
            assert (empty.trusted, empty.untrustedPending, empty.immature) == (0, 0, 0)

            hashes = await node_rpc(rpc_node, ctx, "generatetoaddress", 101, address)
            assert len(hashes) == 101
            balances = await wait_balances(wallet, ctx, lambda b: b.trusted == 50 * COIN)
            assert balances.trusted == 50 * COIN, balances
            assert balances.untrustedPending == 0
            assert balances.immature == 100 * 50 * COIN

            # The same wallet through getWallet, and its RPC view through the node agrees.
            again = (await loader.getWallet(ctx, "py")).result
            assert (await again.getBalances(ctx)).result.trusted == 50 * COIN
            info = (await again.getInfo(ctx)).result
            assert info.lastProcessed.height == 101
            rpc_balances = await node_rpc(rpc_node, ctx, "getbalances", uri="/wallet/py")
            assert rpc_balances["mine"]["trusted"] == 50

    run(body)


def test_unknown_wallet_is_an_error_with_cores_message(node):
    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            ctx, _, loader = await loader_session(conn)
            await expect_failure(loader.getWallet(ctx, "nosuch"),
                                 "Requested wallet does not exist or is not loaded")
            # The loader still serves after the failure.
            assert list((await loader.listWallets(ctx)).result) == []

    run(body)
