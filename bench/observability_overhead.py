"""What full observability costs, as a ratio against none, measured in one run.

Two `sfm-graphql serve` processes run side by side on loopback ports against the same Neo4j and
Redis; they differ only in observability:

- full: tracing on at ratio 1.0 exporting OTLP/HTTP to a local sink (this script, counting what
  arrives), JSON logs at INFO (one access line per request, to a file), Prometheus metrics on;
- none: tracing off, logs at WARNING, metrics off.

Two read operations, each with authentication, cost analysis and the Redis rate limiter, are sent
to each server in alternating short rounds, at concurrency 1 and 16, a bounded number of
requests per round, so drift in the machine's load hits both alike:

- page: `components(first: 20)` with `totalCount`, one composed Cypher statement;
- node: `node(id:)` of one component, the cheapest read, where the service's own work dominates.

Besides client-side latency and throughput it reports the server processes' CPU time per
request (from /proc), which other load on the machine disturbs far less. The servers never write
to the graph and do not migrate it.

    tools/neo4j/neo4j.sh start bench && tools/redis/redis.sh start bench
    eval "$(tools/env.sh bench)" && .venv/bin/python bench/observability_overhead.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

HOST = "127.0.0.1"
CLI = Path(sys.executable).with_name("sfm-graphql")
SHARED_PORTS = {7687, 7688}  # dev and test: the tests wipe test, people use dev
ISSUER = "http://sfm-bench.invalid"  # one issuer for both servers, so one token serves both
WORKLOADS = {
    "page": "query BenchList { components(first: 20) "
    "{ totalCount edges { node { id label type } } } }",
    "node": "query BenchNode($id: ID!) { node(id: $id) "
    "{ id ... on Component { label type version } } }",
}
FIRST_ID = "{ components(first: 1) { edges { node { id } } } }"
MODES = ("none", "full")


# -- an OTLP/HTTP sink -------------------------------------------------------------------------


class _Sink(BaseHTTPRequestHandler):
    received: dict[str, int]  # set on the class by OtlpSink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received["requests"] += 1
        self.received["bytes"] += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        return


class OtlpSink:
    """Accepts OTLP/HTTP exports on a loopback port and counts them; answers an empty success."""

    def __init__(self) -> None:
        handler = type("Sink", (_Sink,), {"received": {"requests": 0, "bytes": 0}})
        self.received: dict[str, int] = handler.received
        self._server = ThreadingHTTPServer((HOST, 0), handler)
        self.endpoint = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OtlpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- the two servers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def mode_environment(mode: str, sink: str) -> dict[str, str]:
    """The settings that make a server fully observed, or not at all."""
    base = {
        "SFM_AUTH_ISSUER": ISSUER,
        "SFM_MIGRATE_ON_START": "false",  # the bench database is not ours to change
        "SFM_ENVIRONMENT": "development",
        "PROMETHEUS_MULTIPROC_DIR": "",
    }
    dropped = {k: "" for k in os.environ if k.startswith("OTEL_")}
    if mode == "full":
        return {
            **dropped,
            **base,
            "SFM_LOG_LEVEL": "INFO",
            "SFM_TRACING_ENABLED": "true",
            "SFM_TRACE_SAMPLE_RATIO": "1.0",
            "SFM_METRICS_ENABLED": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink,
            "OTEL_SERVICE_NAME": "sfm-graphql-bench",
        }
    return {
        **dropped,
        **base,
        "SFM_LOG_LEVEL": "WARNING",
        "SFM_TRACING_ENABLED": "false",
        "SFM_METRICS_ENABLED": "false",
    }


@dataclass
class Server:
    mode: str
    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    log: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="sfm-obs-bench-", suffix=".log")[1])
    )
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in {**os.environ, **self.env}.items() if v != ""}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(CLI), "serve", "--host", HOST, "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    async def wait_alive(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"{self.mode} server exited; see {self.log}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.mode} server did not start in {timeout_s}s; see {self.log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # our own child, by its pid
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def mint_token(env: dict[str, str]) -> str:
    merged = {k: v for k, v in {**os.environ, **env}.items() if v != ""}
    done = subprocess.run(
        [str(CLI), "token", "--role", "viewer", "--ttl", "1h", "--subject", "obs-bench"],
        env=merged,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


# -- load ----------------------------------------------------------------------------------------


def cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU time of a server process so far (Linux /proc; 0.0 elsewhere)."""
    if process is None:
        return 0.0
    try:
        stat = Path(f"/proc/{process.pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed_requests(
    http: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    count: int,
    concurrency: int,
    max_seconds: float,
) -> tuple[list[float], int]:
    """Closed loop: `concurrency` workers share `count` requests; (latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    remaining = count
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            started = time.perf_counter()
            response = await http.post("/graphql", json=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or "errors" in response.json():
                failures += 1
                continue
            latencies.append(elapsed)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures


def quantile_ms(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] * 1000


async def measure(
    servers: dict[str, Server],
    token: str,
    body: dict[str, Any],
    *,
    concurrency: int,
    rounds: int,
    per_round: int,
    max_seconds: float,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = {
        mode: httpx.AsyncClient(
            base_url=s.url, headers=headers, limits=limits, timeout=30.0, trust_env=False
        )
        for mode, s in servers.items()
    }
    samples: dict[str, list[float]] = {mode: [] for mode in servers}
    busy: dict[str, float] = dict.fromkeys(servers, 0.0)
    cpu: dict[str, float] = dict.fromkeys(servers, 0.0)
    failures: dict[str, int] = dict.fromkeys(servers, 0)
    try:
        for http in clients.values():  # warm-up: connections, plan cache, JIT of the JVM
            await timed_requests(http, body, count=50, concurrency=concurrency, max_seconds=30)
        for r in range(rounds):
            order = MODES if r % 2 == 0 else MODES[::-1]  # alternate who goes first
            for mode in order:
                cpu_before = cpu_seconds(servers[mode].process)
                started = time.perf_counter()
                latencies, failed = await timed_requests(
                    clients[mode],
                    body,
                    count=per_round,
                    concurrency=concurrency,
                    max_seconds=max_seconds,
                )
                busy[mode] += time.perf_counter() - started
                cpu[mode] += cpu_seconds(servers[mode].process) - cpu_before
                samples[mode] += latencies
                failures[mode] += failed
    finally:
        for http in clients.values():
            await http.aclose()
    result: dict[str, Any] = {"concurrency": concurrency}
    for mode in servers:
        result[mode] = {
            "requests": len(samples[mode]),
            "failures": failures[mode],
            "p50_ms": round(quantile_ms(samples[mode], 0.50), 3),
            "p95_ms": round(quantile_ms(samples[mode], 0.95), 3),
            "rps": round(len(samples[mode]) / busy[mode], 1) if busy[mode] else None,
            "server_cpu_ms": round(cpu[mode] * 1000 / max(1, len(samples[mode])), 3),
        }
    full, none = result["full"], result["none"]
    result["ratio"] = {
        "p50": round(full["p50_ms"] / none["p50_ms"], 3),
        "p95": round(full["p95_ms"] / none["p95_ms"], 3),
        "throughput": round(full["rps"] / none["rps"], 3),
        "server_cpu": round(full["server_cpu_ms"] / none["server_cpu_ms"], 3)
        if none["server_cpu_ms"]
        else None,
    }
    return result


async def bodies(server: Server, token: str) -> dict[str, dict[str, Any]]:
    """The request of each workload; `node` reads the first component the graph has."""
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, trust_env=False
    ) as http:
        found = (await http.post("/graphql", json={"query": FIRST_ID})).json()
    edges = found["data"]["components"]["edges"]
    if not edges:
        sys.exit("the graph has no component to read: run `make bench` once to load one")
    return {
        "page": {"query": WORKLOADS["page"]},
        "node": {"query": WORKLOADS["node"], "variables": {"id": edges[0]["node"]["id"]}},
    }


def _check_target(allow_shared: bool) -> None:
    uri = os.environ.get("SFM_NEO4J_URI") or os.environ.get("NEO4J_URI") or ""
    port = urlsplit(uri).port
    if not uri:
        sys.exit('no Neo4j configured: eval "$(tools/env.sh bench)" first')
    if port in SHARED_PORTS and not allow_shared:
        sys.exit(f"{uri} is a shared instance (dev/test): use bench, or --allow-shared-instance")
    if urlsplit(uri).hostname not in (HOST, "localhost", "::1"):
        sys.exit(f"{uri} is not on loopback; this benchmark only runs against local services")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    _check_target(args.allow_shared_instance)
    with OtlpSink() as sink:
        servers = {mode: Server(mode, mode_environment(mode, sink.endpoint)) for mode in MODES}
        servers["full"].env.update(dict(kv.split("=", 1) for kv in args.full_override))
        try:
            for server in servers.values():
                server.start()
            await asyncio.gather(*(s.wait_alive() for s in servers.values()))
            token = mint_token(servers["none"].env)
            runs = []
            for workload, body in (await bodies(servers["none"], token)).items():
                for c, n in zip(args.concurrency, args.requests, strict=True):
                    run = await measure(
                        servers,
                        token,
                        body,
                        concurrency=c,
                        rounds=args.rounds,
                        per_round=n,
                        max_seconds=args.max_seconds,
                    )
                    runs.append({"workload": workload, **run})
        finally:
            for server in servers.values():
                server.stop()
        await asyncio.sleep(0.5)  # the full server flushes its spans when it stops
        full_log = servers["full"].log.read_text().splitlines()
        access_lines = sum(1 for line in full_log if "sfm_graphql.access" in line)
        quiet_lines = len(servers["none"].log.read_text().splitlines())
    return {
        "workloads": WORKLOADS,
        "rounds": args.rounds,
        "full_overrides": args.full_override,
        "runs": runs,
        "otlp_exports": sink.received,
        "full_access_log_lines": access_lines,
        "none_log_lines": quiet_lines,
        "logs": {mode: str(s.log) for mode, s in servers.items()},
    }


def print_report(report: dict[str, Any]) -> None:
    print("| workload | conc | mode | n | p50 ms | p95 ms | req/s | server CPU ms/req |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for run in report["runs"]:
        for mode in MODES:
            m = run[mode]
            print(
                f"| {run['workload']} | {run['concurrency']} | {mode} | {m['requests']} | "
                f"{m['p50_ms']:.2f} | {m['p95_ms']:.2f} | {m['rps']:.1f} | "
                f"{m['server_cpu_ms']:.2f} |"
            )
        r = run["ratio"]
        print(
            f"| | | **full/none** | | **{r['p50']:.2f}x** | **{r['p95']:.2f}x** | "
            f"**{r['throughput']:.2f}x** | **{r['server_cpu']:.2f}x** |"
        )
    print(
        f"\nOTLP exports received: {report['otlp_exports']['requests']} "
        f"({report['otlp_exports']['bytes']} bytes); access-log lines (full): "
        f"{report['full_access_log_lines']}; log lines (none): {report['none_log_lines']}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--requests", type=int, nargs="+", default=[100, 300], help="per round and mode"
    )
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="per round and mode")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument(
        "--full-override",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the full server, to attribute the cost (SFM_METRICS_ENABLED=false)",
    )
    parser.add_argument("--allow-shared-instance", action="store_true")
    args = parser.parse_args(argv)
    if len(args.concurrency) != len(args.requests):
        parser.error("give one --requests count per --concurrency level")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    failures = sum(run[mode]["failures"] for run in report["runs"] for mode in MODES)
    if failures or not report["otlp_exports"]["requests"]:
        print(f"failures: {failures}; OTLP exports: {report['otlp_exports']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
