"""fastcore serving the benchmark folder (``BENCH_STATIC_DIR``) and a 20 KiB page."""

from __future__ import annotations

import os

from fastcore import App
from fastcore.responses import HTMLResponse
from fastcore.staticfiles import Compression

app = App(security=False)
FOLDER = os.environ["BENCH_STATIC_DIR"]
app.static("/static", FOLDER, root=os.path.join(os.path.dirname(FOLDER), "collected"))

page_app = App(security=False)
page_app.add_middleware(Compression)
PAGE = open(os.path.join(FOLDER, "page.html"), encoding="utf-8").read()


@page_app.get("/page")
async def page() -> HTMLResponse:
    """The 20 KiB HTML page, compressed by the middleware."""
    return HTMLResponse(PAGE)


plain_page_app = App(security=False)


@plain_page_app.get("/page")
async def plain_page() -> HTMLResponse:
    """The same page, not compressed (the middleware's cost is the difference)."""
    return HTMLResponse(PAGE)
