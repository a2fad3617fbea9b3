"""The service behind a real reverse proxy: Debian's nginx in front of `sfm-graphql serve`.

The service runs as `sfm-graphql serve --forwarded-allow-ips 127.0.0.2` (a process of its own,
as in production) and nginx, unprivileged with its files in a temporary folder, connects to it
from 127.0.0.2 (`proxy_bind`), appending the peer to `X-Forwarded-For`. Clients connect to nginx
from loopback addresses of their own (127.0.0.10, .11, ...), so each is a distinct client
behind the proxy; a client that connects to the service directly, from 127.0.0.1, is an
untrusted peer whose forwarded headers must be ignored. nginx listens twice: one server says
`X-Forwarded-Proto: https` (it stands for a TLS-terminating ingress), the other passes `http`.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfm_graphql.security.principal import Role
from sfm_graphql.services.access import oauth_clients
from tests.paths import ROOT
from tests.services import free_port, stop_process

pytestmark = pytest.mark.integration

PROXY_ADDRESS = "127.0.0.2"  # nginx's source address towards the service: the trusted proxy
DIRECT = "127.0.0.1"  # a client reaching the service without the proxy: not trusted
ADMIN_NETWORK = "127.0.0.10/32"  # SFM_ADMIN_ALLOWED_CIDRS of the service under test
FAILED_LOGINS = 3
ANONYMOUS_POINTS = 30  # two operations of 11 points, not a third
PING = "{ deliveryKinds { kind } }"
PAGE_OF_TEN = "{ components(first: 10) { edges { node { id } } } }"  # 11 points
ADMIN_ONLY = "{ oauthClients { __typename } }"
PUBLIC_HOST = "sfm.example.test"  # not loopback: Authlib serves plain HTTP only to loopback


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(
        f"{what} did not listen on {port}: {log.read_text(errors='replace')[-3000:]}"
    )


def _nginx_binary() -> str:
    """Debian's nginx, installed (tools/apt-install.sh) on a machine that lacks it."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        subprocess.run([str(ROOT / "tools/apt-install.sh"), "nginx"], check=True)
        found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found


@dataclass(frozen=True)
class Deployment:
    service: str  # the service itself, for direct (untrusted) clients
    https: str  # nginx saying X-Forwarded-Proto: https
    http: str  # nginx saying X-Forwarded-Proto: http
    log: Path  # the service's JSON log lines


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> Iterator[tuple[int, Path]]:
    """`sfm-graphql serve` trusting only the proxy's address, with small limits of its own."""
    port = free_port()
    log = tmp_path_factory.mktemp("service") / "service.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SFM_ENVIRONMENT": "test",
        "SFM_LOG_LEVEL": "INFO",
        "SFM_FAILED_LOGINS_PER_IP": str(FAILED_LOGINS),
        "SFM_ADMIN_ALLOWED_CIDRS": json.dumps([ADMIN_NETWORK]),
        "SFM_RATE_LIMIT_WINDOW_S": "120",
        "SFM_RATE_LIMIT_POINTS_BY_ROLE": json.dumps(
            {**settings.rate_limit_points_by_role, "anonymous": ANONYMOUS_POINTS}
        ),
        "SFM_METRICS_REFRESH_S": "0",
    }
    env.pop("SFM_TRUSTED_PROXIES", None)  # only the command-line option says whom to trust
    command = [sys.executable, "-m", "sfm_graphql.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--forwarded-allow-ips", PROXY_ADDRESS]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "sfm-graphql serve", log)
        yield port, log
    finally:
        stop_process(process, 15)


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream sfm {{ server 127.0.0.1:{service}; }}
    server {{
        listen 127.0.0.1:{https};
        location / {{
            proxy_pass http://sfm;
            proxy_bind {proxy_address};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
    server {{
        listen 127.0.0.1:{http};
        location / {{
            proxy_pass http://sfm;
            proxy_bind {proxy_address};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def deployment(
    service: tuple[int, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    service_port, service_log = service
    prefix = tmp_path_factory.mktemp("nginx")
    https_port, http_port = free_port(), free_port()
    # As root, nginx would hand its workers to `nobody`, who cannot use this folder: keep ours.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            prefix=prefix,
            user=user,
            service=service_port,
            https=https_port,
            http=http_port,
            proxy_address=PROXY_ADDRESS,
        )
    )
    log = prefix / "error.log"
    command = [_nginx_binary(), "-c", str(conf), "-p", str(prefix), "-e", str(log)]
    command += ["-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(https_port, process, "nginx", log)
        _wait_for_port(http_port, process, "nginx", log)
        yield Deployment(
            service=f"http://127.0.0.1:{service_port}",
            https=f"http://127.0.0.1:{https_port}",
            http=f"http://127.0.0.1:{http_port}",
            log=service_log,
        )
    finally:
        stop_process(process, 15)


@pytest.fixture
async def connect() -> AsyncIterator[Any]:
    """`connect(url, from_address)`: an HTTP client whose connections leave from that address."""
    opened: list[httpx.AsyncClient] = []

    def make(url: str, source: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=source)
        client = httpx.AsyncClient(transport=transport, base_url=url, timeout=30)
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code(response: httpx.Response) -> str:
    errors = response.json().get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else ""


async def _post(
    http: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers=headers or {})


def _access_lines(log: Path, client: str, *, at_least: int = 0) -> list[dict[str, Any]]:
    """The client's access-log lines; waits (5 s at most) for `at_least` of them, since a line is
    written once its response has been sent, a moment after the client has it."""
    deadline = time.monotonic() + 5
    while True:
        lines = _read_access_lines(log, client)
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _read_access_lines(log: Path, client: str) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            if line.get("logger") == "sfm_graphql.access" and line.get("client_ip") == client:
                lines.append(line)
    return lines


# -- (a) failed logins lock out the client, not the proxy -----------------------------------------


async def test_failed_logins_behind_the_proxy_lock_out_only_that_client(
    deployment: Deployment, connect: Any, issue_token: Any, gql: Any
) -> None:
    guesser, bystander = "127.0.0.30", "127.0.0.31"
    good = _bearer(issue_token("viewer", subject="bystander"))
    via_guesser = connect(deployment.https, guesser)
    guesses = [await _post(via_guesser, PING, _bearer(f"guess-{n}")) for n in range(FAILED_LOGINS)]
    assert [r.status_code for r in guesses] == [401] * FAILED_LOGINS
    locked = await _post(via_guesser, PING, good)
    assert (locked.status_code, _code(locked)) == (429, "RATE_LIMITED")

    # Another client of the same proxy is not locked out (before: everyone was the proxy).
    other = await _post(connect(deployment.https, bystander), PING, good)
    assert (other.status_code, _code(other)) == (200, ""), other.text

    # The audit and the access log name the client, not the proxy.
    audit = await gql.data(
        '{ auditLog(first: 50, filter: {action: "login.failed"}) { edges { node { clientIp } } } }'
    )
    addresses = [e["node"]["clientIp"] for e in audit["auditLog"]["edges"]]
    assert addresses.count(guesser) == FAILED_LOGINS and PROXY_ADDRESS not in addresses
    lines = _access_lines(deployment.log, guesser, at_least=FAILED_LOGINS + 1)
    assert [line["status"] for line in lines] == [401] * FAILED_LOGINS + [429]
    assert not _access_lines(deployment.log, PROXY_ADDRESS)


async def test_forwarded_addresses_from_an_untrusted_client_are_ignored(
    deployment: Deployment, connect: Any, issue_token: Any
) -> None:
    # Straight to the service from 127.0.0.40, a new X-Forwarded-For for every guess: all count
    # against the connection's address.
    direct = connect(deployment.service, "127.0.0.40")
    for n in range(FAILED_LOGINS):
        forged = {**_bearer(f"guess-{n}"), "X-Forwarded-For": f"198.51.100.{n + 1}"}
        assert (await _post(direct, PING, forged)).status_code == 401
    again = {**_bearer(issue_token("viewer")), "X-Forwarded-For": "198.51.100.99"}
    assert (await _post(direct, PING, again)).status_code == 429
    lines = _access_lines(deployment.log, "127.0.0.40", at_least=FAILED_LOGINS + 1)
    assert len(lines) == FAILED_LOGINS + 1
    assert not _access_lines(deployment.log, "198.51.100.99")


# -- (b) the admin and API-key allow-lists test the client ----------------------------------------


async def test_the_admin_allow_list_tests_the_client_behind_the_proxy(
    deployment: Deployment, connect: Any, issue_token: Any
) -> None:
    admin = _bearer(issue_token("admin", subject="proxied-admin", mfa=True))
    allowed = await _post(connect(deployment.https, "127.0.0.10"), ADMIN_ONLY, admin)
    assert (allowed.status_code, _code(allowed)) == (200, ""), allowed.text
    elsewhere = await _post(connect(deployment.https, "127.0.0.11"), ADMIN_ONLY, admin)
    assert _code(elsewhere) == "FORBIDDEN"
    # A client naming the allowed address itself: nginx appends the real peer, which counts.
    spoofed = {**admin, "X-Forwarded-For": "127.0.0.10"}
    assert _code(await _post(connect(deployment.https, "127.0.0.12"), ADMIN_ONLY, spoofed)) == (
        "FORBIDDEN"
    )
    # Straight to the service, the header is not believed at all.
    assert _code(await _post(connect(deployment.service, DIRECT), ADMIN_ONLY, spoofed)) == (
        "FORBIDDEN"
    )


async def test_an_api_keys_address_ranges_test_the_client_behind_the_proxy(
    deployment: Deployment, connect: Any, issue_api_key: Any
) -> None:
    key = {"X-API-Key": await issue_api_key(Role.VIEWER, allowed_cidrs=["127.0.0.20/32"])}
    allowed = await _post(connect(deployment.https, "127.0.0.20"), PING, key)
    assert (allowed.status_code, _code(allowed)) == (200, ""), allowed.text
    outside = await _post(connect(deployment.https, "127.0.0.21"), PING, key)
    assert (outside.status_code, _code(outside)) == (401, "UNAUTHENTICATED")
    spoofed = {**key, "X-Forwarded-For": "127.0.0.20"}
    direct = await _post(connect(deployment.service, "127.0.0.22"), PING, spoofed)
    assert (direct.status_code, _code(direct)) == (401, "UNAUTHENTICATED")


async def test_the_anonymous_budget_is_the_clients_not_the_proxys(
    deployment: Deployment, connect: Any
) -> None:
    spender = connect(deployment.https, "127.0.0.60")
    codes = [(await _post(spender, PAGE_OF_TEN)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert (await _post(connect(deployment.https, "127.0.0.61"), PAGE_OF_TEN)).status_code == 200


# -- (c) HSTS and (d) the token endpoint follow the scheme the proxy reports ---------------------


async def test_hsts_is_sent_when_the_proxy_says_https(deployment: Deployment, connect: Any) -> None:
    secure = await connect(deployment.https, "127.0.0.50").get("/healthz")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    plain = await connect(deployment.http, "127.0.0.50").get("/healthz")
    assert "strict-transport-security" not in plain.headers
    forged = await connect(deployment.service, DIRECT).get(
        "/healthz", headers={"X-Forwarded-Proto": "https", "Forwarded": "proto=https"}
    )
    assert "strict-transport-security" not in forged.headers


async def test_the_token_endpoint_works_when_the_proxy_says_https(
    deployment: Deployment, connect: Any, app: Any, clean_graph: None
) -> None:
    record, secret = await oauth_clients.register_client(
        db=app.state.services.db,
        name="proxied",
        roles=["viewer"],
        expires_at=None,
        created_by="test",
    )
    form = {"grant_type": "client_credentials"}
    auth = (record.client_id, secret)
    host = {"Host": PUBLIC_HOST}

    issued = await connect(deployment.https, "127.0.0.51").post(
        "/oauth/token", data=form, auth=auth, headers=host
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    used = await _post(connect(deployment.https, "127.0.0.51"), PING, _bearer(token))
    assert (used.status_code, _code(used)) == (200, ""), used.text

    for url, source, headers in (
        (deployment.http, "127.0.0.52", host),
        (deployment.service, DIRECT, {**host, "X-Forwarded-Proto": "https"}),
    ):
        refused = await connect(url, source).post(
            "/oauth/token", data=form, auth=auth, headers=headers
        )
        assert refused.status_code == 400, refused.text
        assert "HTTPS" in refused.json()["error_description"]
