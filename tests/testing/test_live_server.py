"""The live server: the real server on a free loopback port, in a thread."""

from __future__ import annotations

import http.client

from fastcore import App, Request
from fastcore.testing import LiveServer


def test_live_server_serves_over_a_real_socket_with_keep_alive() -> None:
    events: list[str] = []
    app = App()
    app.on_startup(lambda: events.append("up"))
    app.on_shutdown(lambda: events.append("down"))

    @app.post("/echo/{word}")
    async def echo(request: Request, word: str):
        return {"word": word, "body": (await request.body()).decode(), "peer": request.client[0]}

    with LiveServer(app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        for word in ("one", "two"):  # both on one keep-alive connection
            connection.request("POST", f"/echo/{word}", body=b"hi")
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("server") == "fastcore"
            assert response.getheader("date")
            assert response.read() == (
                b'{"word":"%s","body":"hi","peer":"127.0.0.1"}' % word.encode()
            )
        connection.close()
        assert events == ["up"]
    assert events == ["up", "down"]
