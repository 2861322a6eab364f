"""The startup check that the docs pages can load Swagger UI and ReDoc (openapi.E001)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from fastcore import App, ImproperlyConfigured, OpenAPIConfig
from fastcore.cli import main

BUNDLES = ("openapi_ui_bundles", "openapi_ui_bundles.swagger_ui", "openapi_ui_bundles.redoc")


@pytest.fixture
def without_bundles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``openapi_ui_bundles`` unimportable, as when it is not installed."""
    for module in BUNDLES:
        monkeypatch.setitem(sys.modules, module, None)  # type: ignore[arg-type]


def test_installed_bundles_pass_the_check() -> None:
    app = App()
    app.build_dispatch()
    assert [m for m in app.run_checks() if m.id.startswith("openapi.")] == []


@pytest.mark.usefixtures("without_bundles")
def test_missing_bundles_stop_the_app_naming_the_package_and_the_fixes() -> None:
    app = App()
    with pytest.raises(ImproperlyConfigured) as caught:
        app.build_dispatch()
    message = str(caught.value)
    assert "openapi.E001" in message
    assert "/docs" in message and "/redoc" in message
    assert "pip install openapi-ui-bundles" in message
    assert "cdn_url" in message and "docs_url=None" in message


@pytest.mark.usefixtures("without_bundles")
@pytest.mark.parametrize(
    "config",
    [
        OpenAPIConfig(cdn_url="https://assets.example.org/npm"),
        OpenAPIConfig(docs_url=None, redoc_url=None),
        OpenAPIConfig(openapi_url=None),
        OpenAPIConfig(enabled=False),
    ],
    ids=["cdn", "no-pages", "no-document", "disabled"],
)
def test_apps_that_need_no_bundled_assets_start_without_them(config: OpenAPIConfig) -> None:
    app = App()
    app.openapi = config  # replaces the default config (and its check)
    app.build_dispatch()
    assert [m for m in app.run_checks() if m.id.startswith("openapi.")] == []


@pytest.mark.usefixtures("without_bundles")
def test_only_swagger_ui_is_named_when_only_its_page_is_served() -> None:
    app = App()
    app.openapi = OpenAPIConfig(redoc_url=None)
    app.freeze_routes()
    (finding,) = [m for m in app.run_checks() if m.id == "openapi.E001"]
    assert "(/docs)" in finding.msg and "/redoc" not in finding.msg


def test_fastcore_check_reports_the_missing_package(
    without_bundles: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "docs_check_app.py").write_text(
        textwrap.dedent(
            """
            from fastcore import App

            app = App(security=False)


            @app.get("/")
            async def index():
                return {"ok": True}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", "docs_check_app:app"]) == 1
    err = capsys.readouterr().err
    assert "openapi.E001" in err and "pip install openapi-ui-bundles" in err
