"""Starlette's StaticFiles (and its GZipMiddleware on a 20 KiB page), for uvicorn."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

FOLDER = os.environ["BENCH_STATIC_DIR"]
PAGE = open(os.path.join(FOLDER, "page.html"), encoding="utf-8").read()

app = Starlette(routes=[Mount("/static", StaticFiles(directory=FOLDER))])


async def page(request: object) -> HTMLResponse:
    return HTMLResponse(PAGE)


page_app = Starlette(routes=[Route("/page", page)], middleware=[Middleware(GZipMiddleware)])

plain_page_app = Starlette(routes=[Route("/page", page)])
