"""One node, template providers of Bitcoin Core v31 and v32 at once: v31's clients call
`BlockTemplate.submitSolution @7 -> (result :Bool)`, v32's call `@10 -> (reason, debug,
result)`. The v31 client runs in its own process with v31's schema (ours, with @7 named
submitSolution and @10 absent, as v31 shipped it)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ipc_util import SCHEMA_DIR, connected, init_capnp, make_thread_ctx, mining_capnp, run
from mining_util import solve

HERE = Path(__file__).resolve().parent


def v31_schemas(into):
    """Our schema directory as a v31 client has it."""
    for name in ("proxy", "common", "echo", "init", "mining", "rpc", "node", "chain", "wallet"):
        shutil.copy(SCHEMA_DIR / f"{name}.capnp", into / f"{name}.capnp")
    mining = (into / "mining.capnp").read_text()
    mining, renamed = re.subn(r"\bsubmitSolutionOld7 @7\b", "submitSolution @7", mining)
    assert renamed == 1, "mining.capnp no longer has submitSolutionOld7 @7"
    mining, dropped = re.subn(r"\n\s*submitSolution @10 [^\n]*", "", mining)
    assert dropped == 1, "mining.capnp no longer has submitSolution @10"
    (into / "mining.capnp").write_text(mining)
    return into


def test_v31_client_submits_with_ordinal_7(node, tmp_path):
    schemas = v31_schemas(tmp_path)
    out = subprocess.run(
        [sys.executable, str(HERE / "v31_client.py"), str(schemas), str(node.socket_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["refused"] is False, "a header missing its target is refused"
    assert result["accepted"] is True
    assert result["height_after"] == result["height_before"] + 1
    assert result["tip_is_ours"]
    assert result["again"] is True, "v31 answers ProcessNewBlock's bool: a known valid block is true"


def test_v32_client_on_the_same_node_after_a_v31_one(node, tmp_path):
    test_v31_client_submits_with_ordinal_7(node, tmp_path)

    async def body():
        async with connected(node.socket_path, init_capnp.Init) as conn:
            _, ctx = await make_thread_ctx(conn.root, "v32")
            mining = (await conn.root.makeMining(ctx)).result
            template = (await mining.createNewBlock(ctx, mining_capnp.BlockCreateOptions.new_message(), False)).result
            version, time, nonce, coinbase, block_hash = await solve(template, ctx, b"\x32\x32")
            verdict = await template.submitSolution(ctx, version, time, nonce, coinbase)
            assert verdict.result and verdict.reason == "", (verdict.reason, verdict.debug)
            again = await template.submitSolution(ctx, version, time, nonce, coinbase)
            assert not again.result and again.reason == "duplicate"
            tip = (await mining.getTip(ctx)).result
            assert tip.height == 2 and bytes(tip.hash) == block_hash
            await template.destroy(ctx)

    run(body)
