"""WhiteNoise serving the benchmark folder, a WSGI app run by uvicorn --interface wsgi."""

from __future__ import annotations

import os

from whitenoise import WhiteNoise


def not_found(environ: dict[str, object], start_response: object) -> list[bytes]:
    start_response("404 Not Found", [("content-length", "0")])  # type: ignore[operator]
    return [b""]


app = WhiteNoise(not_found, root=os.environ["BENCH_STATIC_DIR"], prefix="/static/")
