"""The layers hold: kernels import only the bottom modules, and an app loads only what it uses.

import-linter checks the Python modules (the contracts in pyproject.toml, run
by .ci/run); it cannot read the compiled kernels, so their imports are read
here from the Cython sources.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOTTOM = {"fastcore.exceptions", "fastcore.status", "fastcore.types"}
BATTERIES = ("server", "forms", "templating", "orm", "auth", "openapi")
IMPORT = re.compile(r"^\s*(?:from\s+(fastcore[\w.]*)\s+c?import|c?import\s+(fastcore[\w.]*))", re.M)


def _kernel_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source in sorted((ROOT / "ext").rglob("*.p[yx][xd]")):
        names = {a or b for a, b in IMPORT.findall(source.read_text())}
        found[source.name] = names
    return found


def test_the_kernels_import_only_the_bottom_modules_and_each_other() -> None:
    imports = _kernel_imports()
    assert imports, "no Cython sources found under ext/"
    upward = {
        source: sorted(
            name for name in names if not (name in BOTTOM or name.startswith("fastcore._speedups"))
        )
        for source, names in imports.items()
    }
    assert {source: names for source, names in upward.items() if names} == {}


def test_the_import_scan_sees_an_upward_import() -> None:
    # The scan above must be able to fail: the pattern finds both spellings.
    sample = (
        "from fastcore.server.x import y\n"
        "import fastcore.orm\n"
        "from fastcore._speedups.router cimport Z\n"
    )
    assert {a or b for a, b in IMPORT.findall(sample)} == {
        "fastcore.server.x",
        "fastcore.orm",
        "fastcore._speedups.router",
    }


def test_every_module_of_the_package_sits_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["id"] == "layers")["layers"]
    listed = {name.strip() for layer in layers for name in re.split(r"[:|]", layer)}
    package = ROOT / "fastcore"
    present = {
        f"fastcore.{path.stem if path.is_file() else path.name}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert present - listed == set(), "new modules must be placed in the layers contract"


def _loaded_after(code: str) -> list[str]:
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import sys
        print(sorted(name for name in sys.modules
                     if name.split(".")[:2][-1] in {BATTERIES!r} and name.startswith("fastcore.")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 - our own printed list


HELLO = """
import fastcore
app = fastcore.App()

@app.get("/")
async def index() -> str:
    return "Hello, world!"
"""


def test_import_fastcore_and_a_hello_world_app_load_no_battery() -> None:
    assert _loaded_after(HELLO) == []


@pytest.mark.parametrize("battery", ["templating", "openapi"])
def test_a_battery_loads_when_used(battery: str) -> None:
    use = {"templating": "app.templates", "openapi": "app.openapi"}[battery]
    loaded = _loaded_after(HELLO + use + "\n")
    assert f"fastcore.{battery}" in loaded
    assert not any(
        name.startswith(("fastcore.orm", "fastcore.auth", "fastcore.server")) for name in loaded
    )


def test_a_core_app_serves_without_any_battery() -> None:
    loaded = _loaded_after(
        """
        import asyncio
        from fastcore.app import App

        app = App()

        @app.get("/")
        async def index() -> str:
            return "Hello, world!"

        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/",
                 "query_string": b"", "headers": [(b"host", b"x")], "http_version": "1.1"}
        asyncio.run(app(scope, receive, send))
        assert sent[0]["status"] == 200, sent
        assert sent[1]["body"] == b"Hello, world!", sent
        """
    )
    assert loaded == []


def test_a_served_api_app_loads_only_the_openapi_battery() -> None:
    # Built (as the server builds it), the app installs its docs routes and
    # checks that their assets are installed (openapi.E001: the asset list);
    # the document builder, templates, forms, the ORM, auth and server stay out.
    loaded = _loaded_after(HELLO + "app.build_dispatch()\n")
    assert loaded == [
        "fastcore.openapi",
        "fastcore.openapi.assets",
        "fastcore.openapi.config",
        "fastcore.openapi.pages",
    ]
