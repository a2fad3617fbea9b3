"""Memory and disk exhaustion through request bodies, against a real uvicorn server process.

The server runs as its own process (so its resident memory is its own, read from
/proc/<pid>/status) with its own temporary directory (so a spooled upload is visible). Each test
is bounded in time and count and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.services import METRICS_TOKEN, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("clean_graph")]

BODY_TIMEOUT_S = 2.0
UPLOAD = "mutation($f: Upload!) { bulkImportFile(file: $f, format: JSON) { committed } }"
# The bound this file asserts: 20 concurrent maximal bodies of each kind grow the server by less.
RSS_GROWTH_BOUND_MIB = 100


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    spool: Path

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def spooled(self) -> list[str]:
        """Files in the spool directory, named or not: Python's temporary files there are
        unnamed (O_TMPFILE), so the server's open descriptors are read as well."""
        found = [str(p) for p in self.spool.iterdir() if p.is_file()]
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                target = str(fd.readlink())
            except OSError:
                continue  # closed meanwhile
            if target.startswith(str(self.spool)):
                found.append(target)
        return found


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    spool = tmp_path_factory.mktemp("spool")
    port = free_port()
    env = {
        **os.environ,
        "SFM_ENVIRONMENT": "test",
        "SFM_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "SFM_MAX_CONCURRENT_UPLOADS": "2",
        "SFM_FAILED_LOGINS_PER_IP": "1000000",
        "SFM_RATE_LIMIT_POINTS_BY_ROLE": json.dumps(
            {**settings.rate_limit_points_by_role, "anonymous": 10_000_000}
        ),
        "SFM_METRICS_REFRESH_S": "0",
        "SFM_METRICS_TOKEN": METRICS_TOKEN,
        # This file measures memory per body, not admission control: each of its 80 concurrent
        # requests must be admitted (the default limit is the Neo4j pool size, 50).
        "SFM_MAX_CONCURRENT_REQUESTS": "200",
        "TMPDIR": str(spool),  # where Starlette spools uploads over 1 MiB
    }
    command = [sys.executable, "-m", "uvicorn", "sfm_graphql.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield Server(url, process, spool)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def peak_rss(server: Server) -> Iterator[list[float]]:
    """Samples the server's resident memory every 10 ms; yields [baseline, peak] in MiB."""
    found = [server.rss_mib(), server.rss_mib()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            found[1] = max(found[1], server.rss_mib())
            done.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        done.set()
        thread.join(timeout=5)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float

    @property
    def code(self) -> str:
        code: str = self.body["errors"][0]["extensions"]["code"]
        return code


async def send_body(
    writer: asyncio.StreamWriter, parts: AsyncIterator[bytes], *, chunked: bool
) -> None:
    try:
        async for part in parts:
            writer.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except ConnectionError:
        pass  # the server answered and closed: the answer is what the test reads


async def raw_post(
    server: Server,
    parts: AsyncIterator[bytes],
    headers: dict[str, str],
    *,
    length: int | None = None,
    timeout_s: float = 30,
) -> Answer:
    """POST /graphql over a raw connection that reads the answer while the body is still sent
    (as curl does, and unlike httpx, which reads only after sending all of it)."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    fields = {"Host": f"{host}:{port}", **headers}
    if length is None:
        fields["Transfer-Encoding"] = "chunked"
    else:
        fields["Content-Length"] = str(length)
    head = "POST /graphql HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    started = time.monotonic()
    writer.write(head.encode() + b"\r\n")
    sender = asyncio.create_task(send_body(writer, parts, chunked=length is None))
    try:
        async with asyncio.timeout(timeout_s):
            status = int((await reader.readline()).split()[1])
            response_headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                response_headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(response_headers["content-length"]))
        return Answer(status, json.loads(body), time.monotonic() - started)
    finally:
        sender.cancel()
        writer.close()


async def pieces(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def post(server: Server, body: bytes, headers: dict[str, str]) -> int | str:
    """The status of a JSON POST streamed without Content-Length (the limit must hold while
    reading), or "reset": a server that closes with unread bytes in its socket resets the
    connection (or breaks the pipe of a client still sending), and the client's kernel may then
    drop the answer before it is read."""
    try:
        answer = await raw_post(
            server, pieces(body), {"Content-Type": "application/json", **headers}
        )
    except (ConnectionResetError, BrokenPipeError):
        # Reset, or closed while this side was still writing: the same refusal seen from here.
        return "reset"
    return answer.status


def list_of_objects(total_bytes: int) -> bytes:
    """`{"variables": {"x": [{}, {}, …]}}`: the body that costs the most heap per byte."""
    head, tail = b'{"query": "{ __typename }", "variables": {"x": [', b"{}]}}"
    return head + b"{}," * ((total_bytes - len(head) - len(tail)) // 3) + tail


async def test_twenty_concurrent_maximal_bodies_keep_the_server_under_its_memory_bound(
    server: Server, settings: Settings, issue_token: Any
) -> None:
    viewer = {"Authorization": f"Bearer {issue_token('viewer')}"}
    # The largest bodies each limit lets through: anonymous (64 KiB, few elements) and
    # authenticated (1 MiB, just under the element limit), and 8 MiB bodies that must be cut off.
    padding = "x" * (settings.max_anonymous_body_bytes - 100)
    anonymous_fits = json.dumps({"query": "{ __typename }", "variables": {"p": padding}}).encode()
    elements = ",".join(["0"] * (settings.max_json_elements - 10))
    viewer_fits = f'{{"query": "{{ __typename }}", "variables": {{"x": [{elements}]}}}}'.encode()
    assert len(viewer_fits) <= settings.max_json_body_bytes
    oversized = list_of_objects(8 * 1024 * 1024)
    for _ in range(3):  # warm up: imports, connection pools, first-request caches
        assert await post(server, anonymous_fits, {}) == 200

    started = time.monotonic()
    with peak_rss(server) as rss:
        outcomes = await asyncio.gather(
            *(post(server, oversized, {}) for _ in range(20)),
            *(post(server, oversized, viewer) for _ in range(20)),
            *(post(server, anonymous_fits, {}) for _ in range(20)),
            *(post(server, viewer_fits, viewer) for _ in range(20)),
        )
    baseline, peak = rss
    print(f"server RSS: {baseline:.0f} MiB before, {peak:.0f} MiB at the peak")  # for the record

    assert time.monotonic() - started < 60
    refused, accepted = outcomes[:40], outcomes[40:]
    assert set(refused) <= {413, "reset"} and 413 in refused, refused
    assert accepted == [200] * 40
    assert peak - baseline < RSS_GROWTH_BOUND_MIB, (baseline, peak)


@pytest.mark.parametrize("anonymous", [True, False])
async def test_deeply_nested_json_is_a_coded_400_and_counted(
    server: Server, issue_token: Any, anonymous: bool
) -> None:
    headers = {} if anonymous else {"Authorization": f"Bearer {issue_token('viewer')}"}
    depth = 20_000
    body = b'{"query": "{ __typename }", "variables": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
    scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        before = await errors_counted(http, scrape, "JSON_TOO_COMPLEX")
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json", **headers}
        )
        after = await errors_counted(http, scrape, "JSON_TOO_COMPLEX")
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "JSON_TOO_COMPLEX"
    assert after == before + 1


async def errors_counted(http: httpx.AsyncClient, headers: dict[str, str], code: str) -> float:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    for line in response.text.splitlines():
        if line.startswith(f'sfm_errors_total{{code="{code}"}}'):
            return float(line.split()[-1])
    return 0.0


# -- uploads: authentication first, concurrency per principal, slow bodies -----------------------

BOUNDARY = "sfm-test-boundary"


def multipart_head() -> bytes:
    operations = json.dumps({"query": UPLOAD, "variables": {"f": None}})
    parts = [
        ("operations", operations),
        ("map", json.dumps({"0": ["variables.f"]})),
    ]
    head = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in parts
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="graph.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    )
    return head.encode()


def upload_headers(token: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Apollo-Require-Preflight": "true",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def upload(server: Server, token: str | None, *, fast_bytes: int, trickle: bool) -> Answer:
    """An upload whose file sends `fast_bytes` at once, then (with `trickle`) a byte per 0.2 s."""
    head = multipart_head()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    declared = len(head) + 3 * 1024 * 1024 + len(tail)  # what a trickle never completes

    async def parts() -> AsyncIterator[bytes]:
        yield head
        async for piece in pieces(b" " * fast_bytes):
            yield piece
        if not trickle:
            yield b"{}" + b" " * (declared - len(head) - fast_bytes - 2 - len(tail)) + tail
            return
        while True:
            await asyncio.sleep(0.2)
            yield b" "

    return await raw_post(
        server, parts(), upload_headers(token), length=declared, timeout_s=BODY_TIMEOUT_S + 8
    )


async def spooled_within(server: Server, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.spooled():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_slow_upload_is_cut_off_with_408_and_its_spool_file_removed(
    server: Server, issue_token: Any
) -> None:
    token = issue_token("data_manager", subject="slow-uploader")
    slow = asyncio.create_task(upload(server, token, fast_bytes=1536 * 1024, trickle=True))
    assert await spooled_within(server, BODY_TIMEOUT_S), "the upload never reached the disk"

    answer = await slow

    assert (answer.status, answer.code) == (408, "REQUEST_TIMEOUT")
    assert answer.seconds < BODY_TIMEOUT_S + 1.5
    assert server.spooled() == []


async def test_an_anonymous_upload_is_refused_before_a_byte_is_spooled(server: Server) -> None:
    attempt = asyncio.create_task(upload(server, None, fast_bytes=1536 * 1024, trickle=True))
    spooled = await spooled_within(server, 1.0)
    answer = await attempt
    assert (answer.status, answer.code) == (401, "UNAUTHENTICATED")
    assert answer.seconds < 1.0
    assert not spooled


async def test_concurrent_uploads_are_bounded_per_principal(
    server: Server, issue_token: Any
) -> None:
    token = issue_token("data_manager", subject="busy-uploader")
    slow = [
        asyncio.create_task(upload(server, token, fast_bytes=64 * 1024, trickle=True))
        for _ in range(2)
    ]
    await asyncio.sleep(0.5)  # both are reading their bodies now
    third = await upload(server, token, fast_bytes=1024, trickle=False)
    other = await upload(
        server,
        issue_token("data_manager", subject="other-uploader"),
        fast_bytes=1024,
        trickle=False,
    )
    ended = await asyncio.gather(*slow)
    after = await upload(server, token, fast_bytes=1024, trickle=False)

    assert (third.status, third.code) == (429, "RATE_LIMITED")
    assert third.seconds < 1.0
    assert other.status == 200, other.body
    assert [a.status for a in ended] == [408, 408]
    assert after.status == 200, after.body
    assert server.spooled() == []
