"""The request id behind ``fastcore run --proxy-headers``: a trusted proxy's, else a new one.

In the response's ``x-request-id`` and in the access log, and never an id a
client outside ``--forwarded-allow-ips`` chose.
"""

from __future__ import annotations

import http.client
import re
import textwrap
from pathlib import Path

import pytest

from tests.server.server_process import ServerProcess

pytestmark = pytest.mark.slow

APP_SOURCE = textwrap.dedent(
    """
    from fastcore.app import App
    from fastcore.middleware.request_id import RequestIdMiddleware, current_request_id

    app = App(middleware=[RequestIdMiddleware])

    @app.get("/")
    async def index() -> str:
        return current_request_id() or "-"
    """
)
GENERATED = re.compile(r"[0-9a-f]{32}")


def start(tmp_path: Path, allow: str) -> ServerProcess:
    (tmp_path / "idapp.py").write_text(APP_SOURCE)
    return ServerProcess(
        tmp_path,
        "idapp:app",
        *("--port", "0", "--proxy-headers", "--forwarded-allow-ips", allow),
        *("--access-log-format", "access {request_id} {status}"),
    )


def get(port: int, request_id: str) -> tuple[str, str]:
    """The response's x-request-id and body for a request sending ``request_id``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"X-Request-ID": request_id})
        response = connection.getresponse()
        assert response.status == 200
        return response.getheader("x-request-id") or "", response.read().decode()
    finally:
        connection.close()


def test_a_trusted_proxy_s_request_id_is_kept_in_the_response_and_the_log(
    tmp_path: Path,
) -> None:
    server = start(tmp_path, "127.0.0.1")
    try:
        assert get(server.port, "nginx-7f3a.1") == ("nginx-7f3a.1", "nginx-7f3a.1")
        server.wait_for(r" access nginx-7f3a\.1 200$")
        # Not of the accepted form (a quote, spaces, too long): a new id instead.
        for bad in ('bad" id', "x" * 129):
            header, body = get(server.port, bad)
            assert GENERATED.fullmatch(header) and body == header
            server.wait_for(rf" access {header} 200$")
        assert server.stop() == 0
    finally:
        server.kill()


def test_a_client_outside_the_trusted_proxies_cannot_choose_its_request_id(
    tmp_path: Path,
) -> None:
    server = start(tmp_path, "10.0.0.0/8")
    try:
        header, body = get(server.port, "chosen-by-the-client")
        assert GENERATED.fullmatch(header) and body == header
        logged = server.wait_for(r" access (\S+) 200$")
        assert logged.group(1) == header
        assert "chosen-by-the-client" not in logged.string
        assert server.stop() == 0
    finally:
        server.kill()
