"""``python -m examples.demo`` on a fresh machine: starts in development mode, prints its URL."""

from __future__ import annotations

import http.cookiejar
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.helpers import token_from

REPO = Path(__file__).resolve().parent.parent
URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def fresh_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment of a machine with no FASTCORE_* configuration."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FASTCORE_")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}"
    env.update(variables)
    return env


def run_demo(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "examples.demo", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(process: subprocess.Popen[str], pattern: re.Pattern[str], timeout: float) -> str:
    """The output up to the first line matching ``pattern`` (all of it if the process ends)."""
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline()
            if not line:
                break
            output += line
            if pattern.search(line):
                break
    return output


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    process = run_demo(fresh_environment(tmp_path))
    try:
        output = read_until(process, URL, timeout=30)
        found = URL.search(output)
        assert found, output
        yield found[1], output
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_the_demo_starts_in_development_mode_and_says_so(demo: tuple[str, str]) -> None:
    url, output = demo
    assert "development mode" in output and "generated a secret key" in output
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
    )
    with browser.open(url + "/notes", timeout=10) as response:
        page = response.read().decode()
        assert response.headers["content-security-policy"]
    marker = uuid.uuid4().hex
    form = f"text={marker}&csrf_token={token_from(page)}".encode()
    with pytest.raises(urllib.error.HTTPError) as redirect:  # NoRedirects: 303 surfaces
        browser.open(url + "/notes", data=form, timeout=10)
    assert redirect.value.code == 303
    redirect.value.close()
    with pytest.raises(urllib.error.HTTPError) as forged:
        browser.open(url + "/notes", data=f"text={marker}".encode(), timeout=10)
    assert forged.value.code == 403
    forged.value.close()
    with browser.open(url + "/notes", timeout=10) as response:
        assert response.read().decode().count(marker) == 1


def test_production_mode_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    process = run_demo(fresh_environment(tmp_path, FASTCORE_DEBUG="0"))
    try:
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 2, output
    assert "no secret key is set" in output and "FASTCORE_SECRET_KEY" in output
    assert "Traceback" not in output
