"""RequestIdMiddleware: an id per request, a trusted proxy's kept, anyone else's replaced."""

from __future__ import annotations

import logging
import re

import pytest

from fastcore import App, Request
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware.request_id import (
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
)
from fastcore.testing import TestClient

GENERATED = re.compile(r"[0-9a-f]{32}")


def make_app(*trusted: str) -> App:
    app = App(security=False)
    app.add_middleware(RequestIdMiddleware, trusted_proxies=list(trusted))

    @app.get("/")
    async def show(request: Request) -> dict[str, str | None]:
        logging.getLogger("tests.request_id").warning("handling")
        return {"state": request.state.request_id, "context": current_request_id()}

    return app


def test_each_request_gets_a_new_id_in_its_response_state_and_context() -> None:
    with TestClient(make_app()) as client:
        first, second = client.get("/"), client.get("/")
    ids = [response.headers["x-request-id"] for response in (first, second)]
    assert all(GENERATED.fullmatch(value) for value in ids) and ids[0] != ids[1]
    assert first.json() == {"state": ids[0], "context": ids[0]}
    assert current_request_id() is None  # outside a request


def test_a_trusted_proxy_s_id_is_kept() -> None:
    with TestClient(make_app("127.0.0.0/8")) as client:  # the test client's peer
        response = client.get("/", headers={"X-Request-ID": "nginx-4f2a:1"})
    assert response.headers["x-request-id"] == "nginx-4f2a:1"


def test_an_id_from_an_untrusted_peer_is_replaced() -> None:
    with TestClient(make_app("10.0.0.1")) as client:
        response = client.get("/", headers={"X-Request-ID": "chosen-by-the-client"})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


@pytest.mark.parametrize("sent", ["", "a" * 129, "two words", "x\\ny", "id;drop", "é"])
def test_a_malformed_id_even_from_a_trusted_proxy_is_replaced(sent: str) -> None:
    # Log injection: an id is only letters, digits and .-_: (at most 128).
    with TestClient(make_app("127.0.0.1")) as client:
        response = client.get("/", headers={"X-Request-ID": sent.encode("utf-8")})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_log_records_carry_the_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with TestClient(make_app()) as client:
        response = client.get("/")
    (record,) = [r for r in caplog.records if r.name == "tests.request_id"]
    assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def test_a_bad_trusted_proxy_is_refused() -> None:
    app = App(security=False)
    app.add_middleware(RequestIdMiddleware, trusted_proxies=["not-an-address"])
    with pytest.raises(ImproperlyConfigured, match="not-an-address"):
        app.build_dispatch()
