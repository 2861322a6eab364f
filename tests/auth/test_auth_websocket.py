"""The current user in WebSocket handlers: from the session cookie or a bearer token,
through the App's middleware and a ``Depends`` provider (tests/auth/support.py)."""

from __future__ import annotations

import pytest

from fastcore.testing import WebSocketRejected
from tests.auth.conftest import Site
from tests.auth.support import csrf_token_in


def test_the_session_cookie_gives_the_websocket_its_user(site: Site) -> None:
    site.make_user("wanda")
    assert site.log_in("wanda").status_code in (302, 303)
    with site.client.websocket_connect("/ws/whoami?greeting=hi") as ws:
        assert ws.receive_json() == {"username": "wanda", "greeting": "hi"}
        ws.send_text("bye")


def test_a_bearer_token_gives_the_websocket_its_user(site: Site) -> None:
    site.make_user("tom")
    site.log_in("tom")
    page = site.client.get("/accounts/login")
    created = site.client.post(
        "/api/tokens", json={"name": "ws"}, headers={"x-csrf-token": csrf_token_in(page.text)}
    ).json()
    site.client.cookies.clear()
    headers = {"authorization": f"Bearer {created['token']}"}
    with site.client.websocket_connect("/ws/whoami", headers=headers) as ws:
        assert ws.receive_json()["username"] == "tom"
        ws.send_text("bye")


def test_an_anonymous_handshake_is_refused_with_401(site: Site) -> None:
    with pytest.raises(WebSocketRejected) as refused:
        with site.client.websocket_connect("/ws/whoami"):
            pass
    assert refused.value.status_code == 401
    bogus = {"authorization": "Bearer fct_not-a-token"}
    with pytest.raises(WebSocketRejected) as refused:
        with site.client.websocket_connect("/ws/whoami", headers=bogus):
            pass
    assert refused.value.status_code == 401
