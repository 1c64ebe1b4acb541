"""A Stratum v2 template provider written against Bitcoin Core v31's mining.capnp, where
`BlockTemplate.submitSolution` is ordinal 7 and returns a Bool (v32 moved it to @10 with a
reason). Run as a separate process, since its schema shares ids with v32's:

    python v31_client.py <v31 schema dir> <node socket>

Prints one JSON object with what the node answered."""

import asyncio
import json
import struct
import sys
from pathlib import Path

import capnp

from mining_util import build_coinbase, grind, header_fields, merkle_root, sha256d, target_from_bits


def refused_nonce(prefix76, bits):
    """A nonce whose header misses its target (regtest: about half of them)."""
    target = target_from_bits(bits)
    for nonce in range(1 << 16):
        if int.from_bytes(sha256d(prefix76 + struct.pack("<I", nonce)), "little") > target:
            return nonce
    raise AssertionError("every nonce met the target")


async def provide(schemas, socket_path):
    proxy = capnp.load(str(schemas / "proxy.capnp"), imports=[str(schemas)])
    init_capnp = capnp.load(str(schemas / "init.capnp"), imports=[str(schemas)])
    mining_capnp = capnp.load(str(schemas / "mining.capnp"), imports=[str(schemas)])
    stream = await capnp.AsyncIoStream.create_unix_connection(socket_path)
    client = capnp.TwoPartyClient(stream)
    init = client.bootstrap().cast_as(init_capnp.Init)
    thread_map = (await init.construct()).threadMap
    ctx = proxy.Context.new_message()
    ctx.thread = (await thread_map.makeThread("v31")).result
    mining = (await init.makeMining(ctx)).result
    before = (await mining.getTip(ctx)).result.height
    template = (await mining.createNewBlock(ctx, mining_capnp.BlockCreateOptions.new_message(), False)).result
    header = bytes((await template.getBlockHeader(ctx)).result)
    cb = (await template.getCoinbaseTx(ctx)).result
    path = (await template.getCoinbaseMerklePath(ctx)).result
    coinbase, txid = build_coinbase(cb, b"\x31\x31")
    version, prev, time, bits = header_fields(header)
    prefix = struct.pack("<I", version) + prev + merkle_root(txid, path) + struct.pack("<II", time, bits)
    bad = refused_nonce(prefix, bits)
    refused = (await template.submitSolution(ctx, version, time, bad, coinbase)).result
    nonce, block_hash = grind(prefix, bits)
    accepted = (await template.submitSolution(ctx, version, time, nonce, coinbase)).result
    tip = (await mining.getTip(ctx)).result
    again = (await template.submitSolution(ctx, version, time, nonce, coinbase)).result
    await template.destroy(ctx)
    client.close()
    stream.close()
    return {
        "refused": refused,
        "accepted": accepted,
        "again": again,
        "height_before": before,
        "height_after": tip.height,
        "tip_is_ours": bytes(tip.hash) == block_hash,
    }


def main():
    schemas, socket_path = Path(sys.argv[1]), sys.argv[2]

    async def run():
        return await asyncio.wait_for(provide(schemas, socket_path), 60)

    print(json.dumps(asyncio.run(capnp.run(run()))))


if __name__ == "__main__":
    main()
