"""The benchmark endpoints on socketify.py (uWebSockets, C++), one process, one thread.

socketify parses HTTP and writes responses in C++ (uWebSockets over
uSockets' own event loop) and calls the Python handler per request through
cffi: the fastest Python-facing server we know of. uWebSockets adds ``Date``
and ``Server: uWebSockets_20`` itself (a second ``Server`` would break the
TechEmpower rules the harness checks).
Pipelined requests are answered in order by uWebSockets, corked into one
write per read.

Run as ``python socketify_app.py HOST PORT``.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import orjson
from socketify import App, AppListenOptions

_PLAINTEXT_BODY = b"Hello, World!"


def plaintext(response: Any, request: Any) -> None:
    """Answer the fixed greeting as text/plain."""
    # NOTE: no cork() needed: uWebSockets corks a handler called from its
    # read callback, so status, headers and body leave in one buffer.
    response.write_header(b"Content-Type", b"text/plain")
    response.end(_PLAINTEXT_BODY)


def as_json(response: Any, request: Any) -> None:
    """Answer the greeting as a JSON object, serialized per request."""
    response.write_header(b"Content-Type", b"application/json")
    response.end(orjson.dumps({"message": "Hello, World!"}))


def main() -> None:
    """Serve on ``HOST PORT`` from the command line until SIGTERM."""
    host, port = sys.argv[1], int(sys.argv[2])
    app = App()
    app.get("/plaintext", plaintext)
    app.get("/json", as_json)
    app.listen(AppListenOptions(port=port, host=host), lambda config: None)
    # The harness stops servers with SIGTERM; exit at once.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app.run()


if __name__ == "__main__":
    main()
