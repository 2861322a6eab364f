"""The extension API as a third-party package uses it: a package outside fastcore.

The package is written to a temporary folder with its own distribution
metadata (an ``entry_points.txt`` naming a ``fastcore.commands`` entry), put
on ``sys.path``, and installed into an App: its routes, middleware, template
filter and global reach requests, and its command reaches the ``fastcore``
command line.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastcore import App
from fastcore.exceptions import ImproperlyConfigured
from fastcore.extensions import Extension
from fastcore.testing import TestClient

PACKAGE = '''
"""A third-party fastcore extension: a greeting route, a header, a filter, a command."""

from fastcore.extensions import Extension
from fastcore.middleware_base import Middleware


class StampMiddleware(Middleware):
    async def __call__(self, request):
        response = await self.next(request)
        response.headers["x-greeted-by"] = "greeter"
        return response


class Greeter(Extension):
    name = "greeter"

    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def init_app(self, app):
        app.add_route("/greet/{who}", self.greet, name="greeter.greet")
        app.add_middleware(StampMiddleware)
        app.template_filter("shout")(lambda text: text.upper() + "!")
        app.template_global("greeting")(lambda: self.greeting)

    async def greet(self, who: str) -> dict:
        return {"greeting": f"{self.greeting}, {who}"}


def register(commands):
    greet = commands.add_parser("greet", help="print a greeting")
    greet.add_argument("who")
    greet.set_defaults(handler=lambda args: print(f"hello, {args.who}") or 0)
'''


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    (site / "greeter").mkdir(parents=True)
    (site / "greeter" / "__init__.py").write_text(PACKAGE)
    info = site / "greeter-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: greeter\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[fastcore.commands]\ngreet = greeter:register\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("greeter", None)


def test_an_outside_extension_adds_routes_middleware_and_template_names(
    third_party: Path, tmp_path: Path
) -> None:
    from greeter import Greeter  # type: ignore[import-not-found]

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("{{ greeting() }} {{ 'world' | shout }}")
    app = App(security=False)
    app.settings.template_folders = [str(templates)]
    greeter = app.install(Greeter("bonjour"))
    assert app.extensions["greeter"] is greeter

    @app.get("/page")
    async def page() -> object:
        return app.render("page.html")

    with TestClient(app) as client:
        response = client.get("/greet/ada")
        assert response.status_code == 200
        assert response.json() == {"greeting": "bonjour, ada"}
        assert response.headers["x-greeted-by"] == "greeter"
        assert client.get("/page").text == "bonjour WORLD!"
    assert app.url_for("greeter.greet", who="bob") == "/greet/bob"


def test_an_outside_package_adds_a_command_through_its_entry_point(third_party: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(third_party), os.getcwd()])}
    result = subprocess.run(
        [sys.executable, "-m", "fastcore.server.cli", "greet", "ada"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello, ada"
    listed = subprocess.run(
        [sys.executable, "-m", "fastcore.server.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert "greet" in listed.stdout and "run" in listed.stdout and "db" in listed.stdout


class _Named(Extension):
    name = "named"


def test_install_refuses_a_nameless_or_a_second_extension_of_a_name() -> None:
    app = App()
    first = app.install(_Named())
    assert app.install(first) is first  # the same object again: nothing happens
    with pytest.raises(ImproperlyConfigured, match="'named' is taken"):
        app.install(_Named())
    with pytest.raises(ImproperlyConfigured, match="has no name"):
        app.install(Extension())
    with pytest.raises(ImproperlyConfigured, match="is not an extension"):
        app.install(object())  # type: ignore[type-var]


def test_finalize_hooks_run_once_in_order_when_the_app_is_built() -> None:
    calls: list[str] = []

    class Recorder(Extension):
        name = "recorder"

        def finalize_routes(self, app: App) -> None:  # type: ignore[override]
            calls.append("routes")
            app.add_route("/late", lambda: "late")

        def finalize(self, app: App) -> None:  # type: ignore[override]
            calls.append("build")

    app = App(security=False)
    app.install(Recorder())
    with TestClient(app) as client:
        assert client.get("/late").text == "late"
        client.get("/late")
    assert calls == ["routes", "build"]


def test_a_failing_startup_check_stops_the_app_and_names_every_error() -> None:
    from fastcore.checks import CheckMessage

    app = App(security=False)
    app.add_check(lambda app: [CheckMessage("error", "demo.E001", "first problem", "fix one")])
    app.add_check(lambda app: [CheckMessage("error", "demo.E002", "second problem", "fix two")])
    app.add_check(lambda app: [CheckMessage("warning", "demo.W001", "a doubt", "look")])
    assert [message.id for message in app.run_checks()] == ["demo.E001", "demo.E002", "demo.W001"]
    with pytest.raises(ImproperlyConfigured, match="demo.E001.*demo.E002"):
        app.build_dispatch()


def test_request_attributes_are_made_on_first_read_only() -> None:
    made: list[str] = []
    app = App(security=False)

    def tenant(request: object) -> str:
        made.append("tenant")
        return "acme"

    app.add_request_attribute("tenant", tenant)
    with pytest.raises(ImproperlyConfigured, match="taken"):
        app.add_request_attribute("headers", tenant)

    @app.get("/reads")
    async def reads(request) -> str:  # type: ignore[no-untyped-def]
        return f"{request.tenant} {request.tenant}"

    @app.get("/ignores")
    async def ignores() -> str:
        return "no tenant"

    with TestClient(app) as client:
        assert client.get("/ignores").text == "no tenant"
        assert made == []
        assert client.get("/reads").text == "acme acme"
        assert made == ["tenant"]  # once per request, however often read


def test_a_template_filter_added_after_the_environment_exists_reaches_templates() -> None:
    app = App(security=False)
    environment = app.templates  # built now
    app.template_filter("twice")(lambda text: text * 2)
    assert environment.from_string("{{ 'ab' | twice }}").render({}) == "abab"


def test_a_failed_start_runs_the_shutdown_hooks_and_leaves_the_lifespan() -> None:
    from fastcore.checks import CheckMessage

    events: list[str] = []
    app = App(security=False)
    app.on_startup(lambda: events.append("opened"))
    app.on_shutdown(lambda: events.append("closed"))
    app.add_check(lambda app: [CheckMessage("error", "demo.E001", "refused", "fix it")])
    with pytest.raises(ImproperlyConfigured, match="demo.E001"):
        asyncio.run(app.startup())
    assert events == ["opened", "closed"]
    assert not app.state_started
