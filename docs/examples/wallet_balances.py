#!/usr/bin/env python3
"""Prints the balances of every wallet a running node has loaded, over its IPC socket.

    python3 docs/examples/wallet_balances.py ~/.bitcoin/regtest/node.sock

Needs pycapnp (`scripts/setup.sh --tests` puts it in target/python-venv) and a node started
with -ipcbind=unix. Uses nothing but this repository's schemas: Init.makeNode ->
Node.walletLoader -> WalletLoader.listWallets/getWallet -> Wallet.getBalances.
"""

import asyncio
import sys
from pathlib import Path

import capnp

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "capnp"
proxy_capnp = capnp.load(str(SCHEMAS / "proxy.capnp"), imports=[str(SCHEMAS)])
init_capnp = capnp.load(str(SCHEMAS / "init.capnp"), imports=[str(SCHEMAS)])


def btc(sats):
    return f"{sats // 100_000_000}.{sats % 100_000_000:08d}"


async def main(socket_path):
    stream = await capnp.AsyncIoStream.create_unix_connection(socket_path)
    client = capnp.TwoPartyClient(stream)
    try:
        init = client.bootstrap().cast_as(init_capnp.Init)
        thread_map = (await init.construct()).threadMap
        ctx = proxy_capnp.Context.new_message()
        ctx.thread = (await thread_map.makeThread("wallet_balances")).result
        node = (await init.makeNode(ctx)).result
        loader = (await node.walletLoader(ctx)).result
        names = list((await loader.listWallets(ctx)).result)
        if not names:
            print("no wallet loaded")
        for name in names:
            wallet = (await loader.getWallet(ctx, name)).result
            b = (await wallet.getBalances(ctx)).result
            print(f"{name or '(default)'}: trusted {btc(b.trusted)} "
                  f"untrusted_pending {btc(b.untrustedPending)} immature {btc(b.immature)}")
    finally:
        client.close()
        stream.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} <datadir>/<chain>/node.sock")
    try:
        asyncio.run(capnp.run(main(sys.argv[1])))
    except capnp.KjException as e:
        sys.exit(f"error: {e.description}")
    except OSError as e:
        sys.exit(f"error: cannot connect to {sys.argv[1]}: {e.strerror} (is the node running with -ipcbind=unix?)")
