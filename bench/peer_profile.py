"""Where one sfm-graphql worker spends its CPU on a read of the peer benchmark (py-spy).

Starts `sfm-graphql serve` (one worker, production settings as in peer_bench.py) against the
bench instance, drives one read with hey at a fixed concurrency, and samples the server with
`py-spy record --format raw` meanwhile. Prints the share of samples by area (a sample goes to
the area of its innermost frame that belongs to one: the work, not the middleware around it)
and the top functions by own time; `--out` keeps the
collapsed stacks (flamegraph.pl / speedscope read them).

    make bench-peer BENCH_ARGS=...   # once, to load the graphs; then:
    eval "$(tools/env.sh bench)" && .venv/bin/python bench/peer_profile.py --read page
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import peer_hey
import peer_reads
import peer_services as svc
from graphgen import generate
from observability_overhead import OtlpSink
from peer_bench import Side

from sfm_graphql.settings import Settings

# Areas by the file a frame comes from; a sample goes to its innermost frame's area.
AREAS = [
    ("neo4j driver (packstream, temporal types)", ("(neo4j/",)),
    ("strawberry / graphql-core", ("(strawberry/", "(graphql/")),
    ("sfm hydrate/compose", ("(sfm_graphql/graphql/graph/hydrate.py", "(sfm_graphql/db/compose")),
    ("json", ("(json/", "orjson")),
    ("auth (tokens, joserfc, cryptography)", ("security/tokens.py", "(joserfc/", "(cryptography/")),
    ("rate limits / Redis", ("(redis/", "(limits/", "security/rate_limit.py")),
    ("tracing (opentelemetry)", ("(opentelemetry/",)),
    ("metrics (prometheus_client)", ("(prometheus_client/",)),
    ("logging", ("(logging/", "(sfm_graphql/observability/logging.py")),
    ("asyncio streams / sockets", ("(asyncio/streams.py", "(asyncio/selector_events.py")),
    ("starlette / uvicorn / httptools", ("(starlette/", "(uvicorn/")),
]


def _area(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in AREAS:
            if any(n in frame for n in needles):
                return name
    return "other (asyncio, sfm code, stdlib)"


def summarize(raw: str, top: int = 25) -> str:
    total = 0
    areas: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        areas[_area(frames)] += count
        own[frames[-1].split(" (")[0] + " " + frames[-1].rsplit("/", 1)[-1]] += count
    lines = [f"{total} samples"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in areas.most_common()]
    lines.append("own time:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    graph = generate(args.components, args.deliveries, args.seed)
    picked = graph.components[len(graph.components) // 2]
    read = peer_reads.reads(picked.id, picked.type.label, Settings().max_page_size)[args.read]
    with OtlpSink() as sink:
        env = svc.sfm_environment(
            neo4j_uri=os.environ["SFM_NEO4J_URI"],
            user="neo4j",
            password=os.environ["SFM_NEO4J_PASSWORD"],
            redis_url=os.environ["SFM_REDIS_URL"],
            otlp_endpoint=sink.endpoint,
        )
        svc.apply_environment(env)
        process = svc.sfm_process("sfm-profile", args.port, 1, env)
        await process.start()
        try:
            side = Side("sfm-1w", process, f"http://{svc.HOST}:{args.port}/graphql", "bench")
            headers = await side.headers(Settings(), f"bench-profile-{secrets.token_hex(4)}")
            await peer_hey.run_hey(side.url, read.sfm, headers, concurrency=4, seconds=2)
            with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as f:
                out = Path(args.out or f.name)
            spy = subprocess.Popen(  # noqa: ASYNC220 (started once, waited on below)
                [args.py_spy, "record", "--format", "raw", "--rate", "200", "--nonblocking",
                 "-d", str(round(args.seconds)), "-o", str(out), "-p", str(process.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            result = await peer_hey.run_hey(
                side.url, read.sfm, headers, concurrency=args.concurrency, seconds=args.seconds
            )
            _, err = await asyncio.to_thread(spy.communicate, None, args.seconds + 30)
            if spy.returncode != 0:
                raise RuntimeError(f"py-spy failed: {err.decode()[-800:]}")
        finally:
            await process.stop()
    print(f"{args.read} c={args.concurrency}: {result.rps} req/s, {result.errors} errors")
    return await asyncio.to_thread(out.read_text, encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--read", choices=peer_reads.READS, default="page")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--port", type=int, default=22630)
    p.add_argument("--components", type=int, default=10_000)
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="keep the collapsed stacks here")
    p.add_argument("--py-spy", default=str(Path(sys.executable).with_name("py-spy")))
    p.add_argument("--summarize", type=Path, help="only summarize collapsed stacks of a run")
    args = p.parse_args()
    if args.summarize:
        print(summarize(args.summarize.read_text(encoding="utf-8")))
        return 0
    print(summarize(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
