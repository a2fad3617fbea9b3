"""What authentication and the operation limits cost per request, as a ratio, in one run.

Two instances of the service run side by side on loopback, each in a subprocess of this script:

- `normal`: `create_app()` exactly as `sfm-graphql serve` builds it. Every request carries a
  bearer token that is verified (signature, claims), the `OperationLimits` extension analyses
  the document (depth, aliases, root fields, cost) and spends the cost from the caller's budget
  in Redis.
- `bare`: the same app, with two changes made here and nowhere in the service: the schema runs
  without the `OperationLimits` extension, and the view's context carries a fixed principal
  instead of authenticating the request. Everything else (field permission checks, the audit
  extension, error codes, the token limit of the parser, the document-size check, middleware,
  logging) is identical.

The same requests go to both, alternating in rounds so that drift (caches, the other processes
on the machine) falls on both alike. For each workload and concurrency the script prints p50
and p95 latency of each instance and their ratios: `normal / bare`; 1.00 means no overhead.

    make services INSTANCE=bench && eval "$(tools/env.sh bench)"
    .venv/bin/python bench/auth_overhead.py --json bench/results/auth_overhead.json

It only reads the graph of the instance it targets (the bench instance by default: Neo4j 7689,
Redis 6381), and refuses the dev and test ports unless given --allow-shared-instance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

HOST = "127.0.0.1"
SHARED_NEO4J_PORTS = {7687, 7688}
WORKLOADS = {
    # A field with a permission check and no database work: the overhead at its largest.
    "delivery-kinds": "query Kinds { deliveryKinds { kind family ceremonialTendency } }",
    # One page of components: one Cypher statement, the common read.
    "components-page": "query Page { components(first: 20) { edges { node { id label type } } } }",
}
ROLE = "viewer"


# -- the two servers (child processes) -------------------------------------------------------------


def build_app(variant: str) -> Any:
    """The service's app, or its bare variant (see the module docstring)."""
    from starlette.routing import Route

    from sfm_graphql.app import create_app
    from sfm_graphql.graphql.core.context import Context
    from sfm_graphql.graphql.core.limits import OperationLimits
    from sfm_graphql.graphql.schema import build_schema
    from sfm_graphql.http.app_services import require_services
    from sfm_graphql.http.view import GraphQLView
    from sfm_graphql.security.authenticate import client_ip
    from sfm_graphql.security.principal import Principal, Role
    from sfm_graphql.settings import load_settings

    settings = load_settings()
    app = create_app(settings)
    if variant == "normal":
        return app

    fixed = Principal(
        subject="bench-fixed", roles=frozenset({Role.VIEWER}), kind="user", issuer="bench"
    )

    class FixedPrincipalView(GraphQLView):
        async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]  # Strawberry types the request as its protocol
            state = require_services(request.app)
            return Context(
                settings=state.settings,
                db=state.db,
                principal=fixed,
                client_ip=client_ip(request),
            )

    schema = build_schema(settings)
    schema.extensions = tuple(e for e in schema.extensions if e is not OperationLimits)
    view = FixedPrincipalView(
        schema,
        graphql_ide=None,
        allow_queries_via_get=True,
        multipart_uploads_enabled=True,
    )
    routes = app.router.routes
    index = next(i for i, r in enumerate(routes) if isinstance(r, Route) and r.path == "/graphql")
    routes[index] = Route("/graphql", view)
    return app


def serve(variant: str, port: int) -> None:
    import uvicorn

    uvicorn.run(build_app(variant), host=HOST, port=port, log_level="warning", access_log=False)


# -- load ------------------------------------------------------------------------------------------


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0

    def quantile_ms(self, q: float) -> float:
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[round(q * 100) - 1] * 1000


async def run_load(
    http: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    requests: int,
    concurrency: int,
    sample: Sample,
) -> None:
    """`requests` POSTs from `concurrency` closed-loop workers; latencies go to `sample`."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await http.post("/graphql", json=body)
            elapsed = time.perf_counter() - started
            payload = response.json()
            if response.status_code != 200 or payload.get("errors"):
                sample.errors += 1
                sample.first_error = sample.first_error or response.text[:300]
            else:
                sample.latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    sample.seconds += time.perf_counter() - started


async def measure(
    clients: dict[str, httpx.AsyncClient],
    query: str,
    *,
    concurrency: int,
    requests: int,
    rounds: int,
    warmup: int,
    max_seconds: float,
) -> dict[str, Sample]:
    body = {"query": query}
    samples = {name: Sample() for name in clients}
    for name, http in clients.items():
        warm = Sample()
        await run_load(http, body, requests=warmup, concurrency=concurrency, sample=warm)
        if warm.errors:
            raise RuntimeError(f"{name}: {warm.errors} failed requests: {warm.first_error}")
    deadline = time.monotonic() + max_seconds
    per_round = max(1, requests // rounds)
    for round_index in range(rounds):
        # Alternate which goes first, so neither always runs on a warmer machine.
        order = list(clients) if round_index % 2 == 0 else list(reversed(clients))
        for name in order:
            await run_load(
                clients[name],
                body,
                requests=per_round,
                concurrency=concurrency,
                sample=samples[name],
            )
        if time.monotonic() > deadline:
            break
    return samples


# -- orchestration ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def server(variant: str, log_dir: Path) -> Iterator[str]:
    port = free_port()
    log = (log_dir / f"{variant}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", variant, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {variant} server exited; see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {variant} server did not start; see {log.name}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def mint_token() -> str:
    """A short-lived viewer token from the key ring the normal server verifies against."""
    import datetime as dt

    from sfm_graphql.security.signing import cli_token
    from sfm_graphql.settings import load_settings

    # A fresh subject per run: its rate-limit budget is untouched by earlier runs.
    return asyncio.run(
        cli_token(
            load_settings(),
            roles=[ROLE],
            ttl=dt.timedelta(hours=1),
            subject=f"bench-auth-{uuid.uuid4().hex[:8]}",
            mfa=False,
        )
    )


def check_instance(allow_shared: bool) -> str:
    from sfm_graphql.settings import load_settings

    settings = load_settings()
    port = urlparse(settings.neo4j_uri).port
    if port in SHARED_NEO4J_PORTS and not allow_shared:
        sys.exit(
            f"{settings.neo4j_uri} is the dev or test Neo4j; run against the bench instance "
            '(eval "$(tools/env.sh bench)") or pass --allow-shared-instance'
        )
    return settings.neo4j_uri


def git_commit() -> str | None:
    """The commit of the code under test, when it runs from a git checkout."""
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).resolve().parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


async def run(args: argparse.Namespace, urls: dict[str, str], token: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    headers = {"normal": {"Authorization": f"Bearer {token}"}, "bare": {}}
    limits = httpx.Limits(max_connections=max(args.concurrency), max_keepalive_connections=64)
    clients = {
        name: httpx.AsyncClient(base_url=url, headers=headers[name], limits=limits, timeout=30)
        for name, url in urls.items()
    }
    try:
        count = await clients["normal"].post(
            "/graphql", json={"query": "{ components { totalCount } }"}
        )
        components = count.json()["data"]["components"]["totalCount"]
        for workload in args.workloads:
            for concurrency in args.concurrency:
                requests = args.requests * (2 if concurrency > 1 else 1)
                samples = await measure(
                    clients,
                    WORKLOADS[workload],
                    concurrency=concurrency,
                    requests=requests,
                    rounds=args.rounds,
                    warmup=args.warmup,
                    max_seconds=args.max_seconds,
                )
                row = report(workload, concurrency, samples)
                results.append(row)
    finally:
        for http in clients.values():
            await http.aclose()
    return {
        "bench": "auth_overhead",
        "commit": git_commit(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "graph_components": components,
        "role": ROLE,
        "results": results,
    }


def report(workload: str, concurrency: int, samples: dict[str, Sample]) -> dict[str, Any]:
    row: dict[str, Any] = {"workload": workload, "concurrency": concurrency}
    for name, sample in samples.items():
        if sample.errors:
            raise RuntimeError(f"{name}: {sample.errors} failed requests: {sample.first_error}")
        row[name] = {
            "requests": len(sample.latencies),
            "p50_ms": round(sample.quantile_ms(0.50), 2),
            "p95_ms": round(sample.quantile_ms(0.95), 2),
            "rps": round(len(sample.latencies) / sample.seconds, 1),
        }
    normal, bare = row["normal"], row["bare"]
    row["ratio"] = {
        "p50": ratio(normal["p50_ms"], bare["p50_ms"]),
        "p95": ratio(normal["p95_ms"], bare["p95_ms"]),
        "throughput": ratio(normal["rps"], bare["rps"]),
    }
    print(
        f"{workload:16} c={concurrency:<3} "
        f"normal p50 {normal['p50_ms']:6.2f} ms p95 {normal['p95_ms']:6.2f} ms | "
        f"bare p50 {bare['p50_ms']:6.2f} ms p95 {bare['p95_ms']:6.2f} ms | "
        f"ratio p50 {row['ratio']['p50']:.2f} p95 {row['ratio']['p95']:.2f} "
        f"(n={normal['requests']}/{bare['requests']})",
        flush=True,
    )
    return row


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--serve", choices=["normal", "bare"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 16],
        help="comma-separated worker counts (default 1,16)",
    )
    p.add_argument(
        "--requests",
        type=int,
        default=1000,
        help="timed requests per instance at concurrency 1; twice as many above (default 1000)",
    )
    p.add_argument("--rounds", type=int, default=4, help="alternations between the instances")
    p.add_argument("--warmup", type=int, default=100, help="untimed requests per instance first")
    p.add_argument(
        "--max-seconds", type=float, default=120, help="stop adding rounds after this (each)"
    )
    p.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--allow-shared-instance", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    neo4j_uri = check_instance(args.allow_shared_instance)
    token = mint_token()
    with tempfile.TemporaryDirectory(prefix="sfm-bench-auth-") as logs:
        log_dir = Path(logs)
        with server("normal", log_dir) as normal_url, server("bare", log_dir) as bare_url:
            print(f"normal {normal_url}, bare {bare_url}, Neo4j {neo4j_uri}", flush=True)
            result = asyncio.run(run(args, {"normal": normal_url, "bare": bare_url}, token))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
