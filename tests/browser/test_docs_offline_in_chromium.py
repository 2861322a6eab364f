"""Swagger UI and ReDoc render in real Chromium with every host but the app's blocked.

The docs pages' scripts and styles come from the app (fastcore/openapi/assets.py),
so the pages work offline. Needs Chromium and playwright (see test_demo_in_chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fastcore import App, OpenAPIConfig
from fastcore.testing import LiveServer

# The browser is the demo browser test's fixture (same skip rules).
from tests.browser.test_demo_in_chromium import browser as browser
from tests.browser.test_demo_in_chromium import pytestmark as pytestmark


@pytest.fixture(scope="module")
def docs_url() -> Iterator[str]:
    app = App()
    app.openapi = OpenAPIConfig(title="Offline Shop", version="3.1.4")

    @app.get("/items/{item_id:int}", tags=["items"])
    async def read_item(item_id: int, q: str | None = None) -> dict[str, object]:
        """Read one item."""
        return {"item_id": item_id, "q": q}

    with LiveServer(app) as server:
        yield server.url


def offline_page(browser, url: str):  # type: ignore[no-untyped-def]
    """A page whose requests to any other origin fail, as on a machine with no internet."""
    page = browser.new_page()
    blocked: list[str] = []

    def route(request_route) -> None:  # type: ignore[no-untyped-def]
        if request_route.request.url.startswith(url):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return page, blocked


def test_swagger_ui_renders_offline_and_calls_the_api(browser, docs_url: str) -> None:  # type: ignore[no-untyped-def]
    page, blocked = offline_page(browser, docs_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(docs_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "Offline Shop" in page.locator(".swagger-ui .info .title").inner_text()
    page.click(".opblock-summary-path")
    page.click("button.try-out__btn")
    page.fill("input[placeholder=item_id]", "7")
    page.click("button.execute")
    page.wait_for_selector(".response .microlight", timeout=15000)
    assert '"item_id": 7' in page.locator(".responses-table .microlight").first.inner_text()
    assert blocked == [] and errors == []
    page.close()


def test_redoc_renders_offline(browser, docs_url: str) -> None:  # type: ignore[no-untyped-def]
    page, blocked = offline_page(browser, docs_url)
    page.goto(docs_url + "/redoc")
    page.wait_for_selector("h1", timeout=15000)
    assert "Offline Shop" in page.locator("h1").first.inner_text()
    page.wait_for_function("document.body.innerText.includes('Read one item')", timeout=15000)
    assert blocked == []
    page.close()
