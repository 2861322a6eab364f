"""The demo scaled out: two instances of two workers each behind Debian's nginx.

The demo runs on a fresh PostgreSQL database with its sessions, rate limits
and cache in Redis (under a key prefix of the test's own), behind nginx
configured with the guide's own file (docs/deployment/nginx.conf). As an
operator would see it:

- a logged-in user's requests alternate between the instances and stay logged in;
  a page cached by one instance is served from the cache by the other;
- the login throttle counts across instances (5 attempts per account a minute);
- a rolling restart (SIGHUP) of both instances under load (the notes load
  below, and wrk on ``/plaintext`` beside it when wrk is installed): no
  answer but 2xx/3xx, no socket error;
- SIGTERM of one instance under load: every request is answered, none fails;
- ``kill -9`` of one whole instance under load: nginx sends the next requests
  to the other one, and every note whose POST was answered is in PostgreSQL.

The figures (requests, answers by status, requests per second) are printed;
``pytest -s`` shows them. Skipped when nginx, PostgreSQL or Redis is absent.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import orjson
import pytest

from tests.orm.orm_support import postgres_unavailable
from tests.security.helpers import token_from
from tests.server.scale_out_support import (
    Load,
    Nginx,
    count_rows,
    create_database,
    delete_redis_keys,
    drop_database,
    nginx_binary,
    redis_unavailable,
)
from tests.server.server_process import ROOT, ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.nginx]

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "scale-out-tests_K3y-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
PASSWORD = "plum orbit canyon 77"
OK = {200, 303}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Browser:
    """One user through nginx: cookies kept, redirects not followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["content-type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    self.cookies[cookie_name] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def login(self, username: str, password: str) -> tuple[int, str]:
        token = token_from(self.request("GET", "/accounts/login")[2])
        form = {"csrf_token": token, "username": username, "password": password}
        status, headers, text = self.request("POST", "/accounts/login", form)
        self.last = text  # for an assertion's message
        return status, headers.get("x-upstream", "")


class Deployment:
    """The instances, their environment and nginx."""

    def __init__(self, folder: Path, database: str, prefix: str) -> None:
        self.folder = folder
        self.database = database
        self.env = {
            "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "FASTCORE_SECRET_KEY": SECRET,
            "FASTCORE_ALLOWED_HOSTS": "127.0.0.1",
            "FASTCORE_TRUSTED_PROXIES": "127.0.0.1",
            "TMPDIR": str(folder),  # the demo's mail folder
        }
        self.instances: dict[str, ServerProcess] = {}
        self.ports: dict[str, int] = {}
        self.nginx: Nginx | None = None

    def command(self, *args: str) -> None:
        import subprocess

        env = dict(os.environ, PYTHONPATH=str(ROOT), **self.env)
        result = subprocess.run(
            [sys.executable, "-m", "fastcore.server.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self, *names: str) -> None:
        """Start the named instances (on their former ports) and wait for their workers."""
        for name in names:
            previous = self.instances.pop(name, None)
            if previous is not None:
                previous.kill()  # gone already; this closes its pipe
            self.instances[name] = ServerProcess(
                ROOT,
                "examples.demo.app:app",
                *("--host", "127.0.0.1", "--port", str(self.ports.get(name, 0))),
                *("--workers", "2"),
                env=self.env,
                ready=r"listening on \S+:(\d+) with",
            )
            self.ports[name] = self.instances[name].port
        for name in names:  # their workers start side by side
            self.instances[name].wait_workers(2, timeout=30)

    def upstream(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def close(self) -> None:
        for instance in self.instances.values():
            instance.kill()
        if self.nginx is not None:
            self.nginx.stop()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    for reason in (postgres_unavailable(), redis_unavailable(REDIS_URL)):
        if reason is not None:
            pytest.skip(reason)
    prefix = f"fastcore-scale-{uuid.uuid4().hex[:12]}:"
    database = create_database()
    deployment = Deployment(tmp_path, database, prefix)
    try:
        deployment.command("db", "--app", "examples.demo.app:app", "create-all")
        deployment.start("a", "b")
        deployment.nginx = Nginx(
            binary,
            tmp_path / "nginx",
            free_port(),
            [deployment.ports["a"], deployment.ports["b"]],
        )
        yield deployment
    finally:
        deployment.close()
        drop_database(database)
        delete_redis_keys(REDIS_URL, prefix)


def report(phase: str, load: Load, statuses: Counter[int | str], elapsed: float) -> None:
    upstreams = Counter(upstream for *_, upstream in load.results)
    print(
        f"\n[scale-out] {phase}: {len(load.results)} requests in {elapsed:.2f} s "
        f"({load.per_second(elapsed):.0f}/s); answers {dict(statuses)}; "
        f"by instance {dict(upstreams)}"
    )


def start_wrk(nginx: int) -> subprocess.Popen[str] | None:
    """wrk on ``/plaintext`` through nginx until SIGINT (None without wrk)."""
    if shutil.which("wrk") is None:
        return None
    url = f"http://127.0.0.1:{nginx}/plaintext"
    # Two connections: load enough to meet every restart, while the notes
    # load (whose writes are counted) still gets its share of two cores.
    command = ["wrk", "-t1", "-c2", "-d60s", "--timeout", "10s", url]  # bounded: 60 s
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(wrk: subprocess.Popen[str]) -> str:
    """Stop wrk (SIGINT: it prints its summary) and return that summary."""
    wrk.send_signal(signal.SIGINT)
    output, _ = wrk.communicate(timeout=15)
    return output


def failures(load: Load) -> list[tuple[int, str, int | str, str]]:
    return [result for result in load.results if result[2] not in OK]


def notes_load(nginx: int, browser: Browser, tag: str, **bounds: float) -> Load:
    """A third each: POST a note (numbered), GET the member's page, GET a JSON page."""
    token = token_from(browser.request("GET", "/notes")[2])

    def make(number: int) -> tuple[str, str, str | None]:
        kind = number % 3
        if kind == 0:
            return "POST", "/notes", urlencode({"csrf_token": token, "text": f"{tag}-{number}"})
        if kind == 1:
            return "GET", "/account", None
        return "GET", "/api/status", None

    return Load(nginx, make, browser.cookie_header(), **bounds)  # type: ignore[arg-type]


def notes_stored(deployment: Deployment, tag: str) -> set[int]:
    """The numbers of the ``tag`` notes in PostgreSQL."""
    from tests.server.scale_out_support import _pg

    rows = _pg(f"SELECT text FROM notes WHERE text LIKE '{tag}-%'", deployment.database)
    return {int(str(text).rsplit("-", 1)[1]) for (text,) in rows}


def test_two_instances_behind_nginx(deployment: Deployment) -> None:
    assert deployment.nginx is not None
    nginx = deployment.nginx.port
    a, b = deployment.upstream("a"), deployment.upstream("b")
    browser = Browser(nginx)

    # Sign up (then logged in) on one instance, log in again on the other; the
    # user's requests alternate between the instances and stay logged in.
    token = token_from(browser.request("GET", "/accounts/signup")[2])
    form = {"csrf_token": token, "username": "ada", "email": "ada@example.com"}
    form |= {"new_password1": PASSWORD, "new_password2": PASSWORD}
    status, signed_up, _ = browser.request("POST", "/accounts/signup", form)
    assert status == 303
    browser = Browser(nginx)
    browser.request("GET", "/plaintext")  # round robin: the login goes to the other instance
    status, logged_in = browser.login("ada", PASSWORD)
    assert status == 303, browser.last
    assert {signed_up["x-upstream"], logged_in} == {a, b}
    served_by = []
    for _ in range(8):
        status, headers, text = browser.request("GET", "/account")
        assert status == 200, (status, headers)
        assert "ada" in text
        served_by.append(headers["x-upstream"])
    assert set(served_by) == {a, b}
    assert all(first != second for first, second in zip(served_by, served_by[1:], strict=False))

    # Each instance is ready: its PostgreSQL database and its Redis answer.
    for _ in range(2):
        status, headers, text = Browser(nginx).request("GET", "/readyz")
        assert status == 200, text
        assert orjson.loads(text)["checks"] == {"database": "ok", "redis": "ok"}

    # Each request has nginx's id (a client's own is replaced by nginx).
    ids = set()
    for _ in range(2):
        connection = http.client.HTTPConnection("127.0.0.1", nginx, timeout=10)
        connection.request("GET", "/plaintext", headers={"X-Request-ID": "chosen-by-client"})
        response = connection.getresponse()
        response.read()
        connection.close()
        ids.add(response.getheader("x-request-id"))
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", str(i)) for i in ids)

    # A page cached by one instance is a cache hit on the other (for
    # visitors: pages are not cached for logged-in users).
    number = int(uuid.uuid4().int % 1000)
    visitor = Browser(nginx)
    first = visitor.request("GET", f"/api/squares/{number}")
    second = visitor.request("GET", f"/api/squares/{number}")
    assert first[0] == second[0] == 200
    assert first[1]["x-upstream"] != second[1]["x-upstream"]
    assert "x-cache" not in first[1] and second[1]["x-cache"] == "hit"

    # The login throttle (5 attempts per account a minute) counts on both instances.
    attempts = []
    for index in range(6):
        guesser = Browser(nginx)
        if index % 2:  # a GET more: round robin sends this POST to the other instance
            guesser.request("GET", "/plaintext")
        attempts.append(guesser.login("mallory", "wrong"))
    assert [status for status, _ in attempts] == [400] * 5 + [429]
    assert {upstream for _, upstream in attempts[:5]} == {a, b}

    # Rolling restart of both instances under load: every answer 2xx/3xx.
    load = notes_load(nginx, browser, "roll", clients=4, max_requests=3000, max_seconds=25)
    wrk = start_wrk(nginx)
    started = time.monotonic()
    load.wait_for(50)
    for instance in deployment.instances.values():  # a deploy: every instance at once
        instance.signal(signal.SIGHUP)
    for instance in deployment.instances.values():
        instance.wait_for(r"SIGHUP: restarting")
        for _ in range(2):  # one new worker ready, then one old one stopped
            instance.wait_for(r"worker \d+ ready", timeout=30)
            instance.wait_for(r"worker \d+ stopped", timeout=30)
    count_before = len(load.results)
    load.wait_for(count_before + 50)
    statuses = load.finish()
    report("rolling restart (SIGHUP to a and b)", load, statuses, time.monotonic() - started)
    assert set(statuses) <= OK, (statuses, failures(load)[:5], deployment.nginx.error_log())
    assert load.numbers_with(303) <= notes_stored(deployment, "roll")
    if wrk is not None:
        summary = finish_wrk(wrk)
        answered = re.search(r"(\d+) requests in ([\d.]+\w+),", summary)
        assert answered is not None and int(answered.group(1)) > 0, summary
        print(
            f"[scale-out] rolling restart, wrk -c2 on /plaintext: {answered.group(1)} requests "
            f"in {answered.group(2)}, "
            + ("no non-2xx, no socket error" if "Non-2xx" not in summary else "ERRORS")
        )
        # wrk names these lines only when there was at least one.
        assert "Non-2xx or 3xx responses" not in summary, summary
        assert "Socket errors" not in summary, summary

    # SIGTERM of one instance under load: it drains, nginx sends the rest to the other.
    load = notes_load(nginx, browser, "term", clients=4, max_requests=3000, max_seconds=20)
    started = time.monotonic()
    load.wait_for(50)
    deployment.instances["a"].signal(signal.SIGTERM)
    assert deployment.instances["a"].process.wait(30) == 0
    count_before = len(load.results)
    load.wait_for(count_before + 100)
    statuses = load.finish()
    report("SIGTERM of instance a", load, statuses, time.monotonic() - started)
    assert set(statuses) <= OK, (statuses, failures(load)[:5], deployment.nginx.error_log())
    assert load.numbers_with(303) <= notes_stored(deployment, "term")

    # kill -9 of a whole instance (master and workers) under load: nginx fails
    # over, and every note whose POST was answered 303 is in PostgreSQL.
    deployment.start("a")  # back, on its port
    # nginx counts a as failed for fail_timeout (5 s) after the refused connections
    # of its shutdown: wait until it sends requests there again, or the kill below
    # would leave it no live upstream.
    back_by = time.monotonic() + 15
    while Browser(nginx).request("GET", "/plaintext")[1].get("x-upstream") != a:
        assert time.monotonic() < back_by, "nginx never sent requests to the restarted instance"
        time.sleep(0.2)
    load = notes_load(nginx, browser, "kill", clients=4, max_requests=3000, max_seconds=20)
    started = time.monotonic()
    load.wait_for(100)
    killed_at = len(load.results)
    deployment.instances["b"].kill()
    load.wait_for(killed_at + 150)
    statuses = load.finish()
    report("kill -9 of instance b", load, statuses, time.monotonic() - started)
    answered = load.numbers_with(303)
    stored = notes_stored(deployment, "kill")
    assert answered <= stored, f"answered but lost: {sorted(answered - stored)}"
    failed = [result for result in load.results if result[2] not in OK]
    print(
        f"[scale-out] kill -9: {len(answered)} notes answered, {len(stored)} stored; "
        f"not 2xx/3xx: {failed}"
    )
    # Only requests in flight at the kill may fail (a POST already sent is not
    # retried by nginx: it might have been applied); every later one succeeds.
    assert len(failed) <= 8, failed
    assert all(status in OK for _, _, status, _ in load.results[killed_at + 50 :])
    assert count_rows(deployment.database, "SELECT count(*) FROM notes") >= len(answered)
    assert not re.search(r"\[(alert|emerg)\]", deployment.nginx.error_log())
