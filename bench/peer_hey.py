"""One benchmark cell with `hey`: a fixed GraphQL request at a fixed concurrency for a fixed time.

`hey` (github.com/rakyll/hey, installed by tools/install-hey.sh into .local/bin) is a closed-loop
HTTP load generator in Go: `-c` workers, each sending its next request when its last one
returned, over kept-alive connections. Its summary gives requests/s, the latency distribution
and the status codes; every non-200 status and every transport error counts as an error.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEY = Path(__file__).resolve().parent.parent / ".local" / "bin" / "hey"


def hey_path() -> Path:
    if HEY.exists():
        return HEY
    found = shutil.which("hey")
    if found is None:
        raise SystemExit("hey not found: run tools/install-hey.sh (make bench-peer does)")
    return Path(found)


@dataclass(frozen=True, slots=True)
class HeyResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    first_error: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
            "first_error": self.first_error or None,
        }


_NUMBER = r"([0-9.]+)"


def parse_summary(text: str) -> HeyResult:
    """The figures of hey's default summary output."""

    def number(pattern: str) -> float:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else float("nan")

    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text)}
    error_block = text.split("Error distribution:", 1)[1] if "Error distribution:" in text else ""
    transport = [(int(n), msg.strip()) for n, msg in re.findall(r"\[(\d+)\]\s+(.+)", error_block)]
    bad_status = sum(n for code, n in statuses.items() if code != 200)
    first = ""
    if bad_status:
        first = "HTTP " + ", ".join(f"{c}x{n}" for c, n in statuses.items() if c != 200)
    elif transport:
        first = transport[0][1][:200]
    return HeyResult(
        requests=sum(statuses.values()),
        errors=bad_status + sum(n for n, _ in transport),
        seconds=number(r"Total:\s+" + _NUMBER),
        rps=number(r"Requests/sec:\s+" + _NUMBER),
        p50_ms=number(r"50%+ in " + _NUMBER) * 1000,
        p95_ms=number(r"95%+ in " + _NUMBER) * 1000,
        first_error=first,
    )


async def run_hey(
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: float,
) -> HeyResult:
    argv = [
        str(hey_path()),
        "-z",
        f"{seconds}s",
        "-c",
        str(concurrency),
        "-t",
        "60",
        "-m",
        "POST",
        "-T",
        "application/json",
        "-d",
        json.dumps(body),
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    # hey stops itself after `seconds`; requests still in flight may take a while longer.
    out, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 120)
    text = out.decode("utf-8", errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"hey failed ({process.returncode}): {text[-500:]}")
    return parse_summary(text)
