"""What a Stratum v2 template provider does with a BlockTemplate, in plain Python: build the
coinbase from getCoinbaseTx, fold the merkle path, grind a regtest nonce. Hashes are raw
32-byte strings in internal byte order, as on the wire."""

import hashlib
import json
import struct


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def compact_size(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def push(data):
    assert len(data) < 0x4C
    return bytes([len(data)]) + data


# The P2WSH output of the script OP_TRUE: anyone can spend it with witness [OP_TRUE].
OP_TRUE_SCRIPT = b"\x51"
P2WSH_OP_TRUE = b"\x00\x20" + hashlib.sha256(OP_TRUE_SCRIPT).digest()


def build_coinbase(cb, extranonce, payout_script=P2WSH_OP_TRUE):
    """(serialized coinbase with witness, txid) from a CoinbaseTx reader."""
    script_sig = bytes(cb.scriptSigPrefix) + push(extranonce)
    outputs = [struct.pack("<q", cb.blockRewardRemaining) + compact_size(len(payout_script)) + payout_script]
    outputs += [bytes(o) for o in cb.requiredOutputs]
    body_in = compact_size(1) + b"\x00" * 32 + b"\xff\xff\xff\xff" + compact_size(len(script_sig)) + script_sig
    body_in += struct.pack("<I", cb.sequence)
    body_out = compact_size(len(outputs)) + b"".join(outputs)
    version = struct.pack("<I", cb.version)
    lock = struct.pack("<I", cb.lockTime)
    legacy = version + body_in + body_out + lock
    if cb._has("witness"):
        witness = bytes(cb.witness)
        full = version + b"\x00\x01" + body_in + body_out + compact_size(1) + compact_size(len(witness)) + witness + lock
    else:
        full = legacy
    return full, sha256d(legacy)


def merkle_root(coinbase_txid, path):
    h = coinbase_txid
    for sibling in path:
        h = sha256d(h + bytes(sibling))
    return h


def target_from_bits(bits):
    exponent = bits >> 24
    mantissa = bits & 0x007FFFFF
    return mantissa << (8 * (exponent - 3))


def grind(header_prefix76, bits):
    """A nonce making the header meet its target, and the block hash."""
    target = target_from_bits(bits)
    for nonce in range(1 << 32):
        header = header_prefix76 + struct.pack("<I", nonce)
        h = sha256d(header)
        if int.from_bytes(h, "little") <= target:
            return nonce, h
    raise AssertionError("nonce space exhausted")


def header_fields(header):
    version, = struct.unpack_from("<I", header, 0)
    prev = header[4:36]
    time, bits = struct.unpack_from("<II", header, 68)
    return version, prev, time, bits


async def solve(template, ctx, extranonce=b"\x01\x02"):
    """Builds our coinbase for `template`, grinds, returns (version, time, nonce, coinbase, hash)."""
    header = bytes((await template.getBlockHeader(ctx)).result)
    cb = (await template.getCoinbaseTx(ctx)).result
    path = (await template.getCoinbaseMerklePath(ctx)).result
    coinbase, txid = build_coinbase(cb, extranonce)
    root = merkle_root(txid, path)
    version, prev, time, bits = header_fields(header)
    prefix = struct.pack("<I", version) + prev + root + struct.pack("<II", time, bits)
    nonce, block_hash = grind(prefix, bits)
    return version, time, nonce, coinbase, block_hash


async def rpc_call(rpc, ctx, method, *params):
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    reply = json.loads((await rpc.executeRpc(ctx, request, "/", "")).result)
    assert reply.get("error") is None, reply
    return reply["result"]


P2WSH_OP_TRUE_DESCRIPTOR = f"raw({P2WSH_OP_TRUE.hex()})"


def spend_op_true(txid_hex, vout, value, fee):
    """(raw tx, txid hex, wtxid hex) spending a P2WSH(OP_TRUE) output back to P2WSH(OP_TRUE)."""
    prevout = bytes.fromhex(txid_hex)[::-1] + struct.pack("<I", vout)
    body_in = compact_size(1) + prevout + compact_size(0) + struct.pack("<I", 0xFFFFFFFD)
    out = struct.pack("<q", value - fee) + compact_size(len(P2WSH_OP_TRUE)) + P2WSH_OP_TRUE
    body_out = compact_size(1) + out
    version = struct.pack("<I", 2)
    lock = struct.pack("<I", 0)
    witness = compact_size(1) + push(OP_TRUE_SCRIPT)
    legacy = version + body_in + body_out + lock
    full = version + b"\x00\x01" + body_in + body_out + witness + lock
    return full, sha256d(legacy)[::-1].hex(), sha256d(full)[::-1].hex()


async def mature_coinbases(rpc, ctx, count):
    """Mines 100 + count blocks to P2WSH(OP_TRUE); returns [(txid, value)] of the first
    `count` coinbases (mature now)."""
    hashes = await rpc_call(rpc, ctx, "generatetodescriptor", 100 + count, P2WSH_OP_TRUE_DESCRIPTOR)
    coins = []
    for block_hash in hashes[:count]:
        block = await rpc_call(rpc, ctx, "getblock", block_hash, 2)
        coinbase = block["tx"][0]
        coins.append((coinbase["txid"], round(coinbase["vout"][0]["value"] * 100_000_000)))
    return coins
