"""collectstatic end to end: the CLI, fingerprints, manifest, precompressed variants, static_url."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastcore.app_loader import import_app
from fastcore.exceptions import ImproperlyConfigured
from fastcore.staticfiles import collect
from fastcore.staticfiles.collect import fingerprint_name
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch

CSS = b"body { color: #333; margin: 0 auto; }\n" * 50
JS = b"export const greeting = 'hello';\n" * 30
EXTENSION_JS = b"// the widget extension's own script\n" * 20

APP_MODULE = """
from fastcore import App, Extension


class Widget(Extension):
    name = "widget"

    def init_app(self, app):
        app.extensions["static"].add_source({widget!r})


app = App(security=False)
app.static("/static", {source!r}, root={root!r})
app.install(Widget())


@app.get("/")
def home():
    return app.templates.from_string(
        "<link href=\\"{{{{ static_url('css/app.css') }}}}\\"> "
        "<script src=\\"{{{{ static_url('widget.js') }}}}\\"></script>"
    ).render()
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from fastcore.cli import main; raise SystemExit(main())", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("project")
    source = base / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "app.css").write_bytes(CSS)
    (source / "app.js").write_bytes(JS)
    (source / "logo.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 8)
    (source / ".hidden").write_bytes(b"never collected")
    widget = base / "widget_static"
    widget.mkdir()
    (widget / "widget.js").write_bytes(EXTENSION_JS)
    (widget / "app.js").write_bytes(b"// shadowed by the app's own app.js")
    (base / "siteapp.py").write_text(
        APP_MODULE.format(source=str(source), root=str(base / "collected"), widget=str(widget))
    )
    result = run_cli(base, "collectstatic", "siteapp:app")
    assert result.returncode == 0, result.stderr
    assert "4 file(s)" in result.stdout  # css, js, png and the widget's script
    return base


@pytest.fixture(scope="module")
def served(project: Path) -> Iterator[str]:
    sys.path.insert(0, str(project))
    try:
        app = import_app("siteapp:app")
        with LiveServer(app) as server:
            yield server.url
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("siteapp", None)


def manifest(project: Path) -> dict[str, dict[str, object]]:
    data = json.loads((project / "collected" / "staticfiles.json").read_text())
    assert data["version"] == 1
    files: dict[str, dict[str, object]] = data["files"]
    return files


def test_the_manifest_lists_fingerprinted_names_and_codings(project: Path) -> None:
    files = manifest(project)
    assert sorted(files) == ["app.js", "css/app.css", "logo.png", "widget.js"]
    assert files["css/app.css"]["name"] == fingerprint_name("css/app.css", CSS)
    assert str(files["css/app.css"]["name"]).startswith("css/app.")
    assert files["css/app.css"]["encodings"] == ["br", "zstd", "gzip"]
    assert files["logo.png"]["encodings"] == []  # already compressed: no variants
    collected = project / "collected"
    assert (collected / "app.js").read_bytes() == JS  # the app's own wins
    assert gzip.decompress((collected / "css" / "app.css.gz").read_bytes()) == CSS
    assert not (collected / ".hidden").exists()


def test_fingerprints_follow_the_content() -> None:
    assert fingerprint_name("css/app.css", b"a") != fingerprint_name("css/app.css", b"b")
    assert fingerprint_name("css/app.css", b"a") == fingerprint_name("css/app.css", b"a")
    assert fingerprint_name("LICENSE", b"a").startswith("LICENSE.")


def test_static_url_gives_the_fingerprinted_url(project: Path, served: str) -> None:
    files = manifest(project)
    page = fetch(served, "/").body.decode()
    assert f'href="/static/{files["css/app.css"]["name"]}"' in page
    assert f'src="/static/{files["widget.js"]["name"]}"' in page


def test_fingerprinted_files_are_immutable(project: Path, served: str) -> None:
    name = manifest(project)["css/app.css"]["name"]
    reply = fetch(served, f"/static/{name}")
    assert (reply.status, reply.body) == (200, CSS)
    assert reply.header("cache-control") == "public, max-age=31536000, immutable"
    plain = fetch(served, "/static/css/app.css")
    assert (plain.status, plain.body) == (200, CSS)
    assert plain.header("cache-control") == "no-cache"


@pytest.mark.parametrize(
    ("accept", "coding"),
    [("br", "br"), ("gzip", "gzip"), ("zstd", "zstd"), ("gzip, br", "br"), ("identity", None)],
)
def test_the_precompressed_variant_follows_accept_encoding(
    project: Path, served: str, accept: str, coding: str | None
) -> None:
    name = manifest(project)["css/app.css"]["name"]
    reply = fetch(served, f"/static/{name}", headers={"accept-encoding": accept})
    assert reply.status == 200
    assert reply.header("content-encoding") == coding
    assert reply.header("vary") == "Accept-Encoding"
    suffix = {"br": ".br", "gzip": ".gz", "zstd": ".zst", None: ""}[coding]
    assert reply.body == (project / "collected" / f"{name}{suffix}").read_bytes()


def test_each_variant_has_its_own_etag_and_ranges_apply_to_it(project: Path, served: str) -> None:
    name = manifest(project)["css/app.css"]["name"]
    tags = {
        fetch(served, f"/static/{name}", headers={"accept-encoding": accept}).header("etag")
        for accept in ("br", "gzip", "identity")
    }
    assert len(tags) == 3
    stored = (project / "collected" / f"{name}.gz").read_bytes()
    reply = fetch(
        served, f"/static/{name}", headers={"accept-encoding": "gzip", "range": "bytes=0-9"}
    )
    assert (reply.status, reply.body) == (206, stored[:10])


def test_files_without_variants_do_not_vary(served: str) -> None:
    reply = fetch(served, "/static/logo.png", headers={"accept-encoding": "gzip"})
    assert reply.status == 200
    assert reply.header("vary") is None
    assert reply.header("content-encoding") is None


@pytest.mark.parametrize(
    "path",
    [
        "/static/",
        "/static/css",
        "/static/staticfiles.json",  # in the root, but not collected
        "/static/css/app.css.gz",  # variants only through Accept-Encoding
        "/static/../siteapp.py",
        "/static/%2e%2e/siteapp.py",
        "/static/..%2f..%2fsiteapp.py",
        "/static/.hidden",
    ],
)
def test_only_collected_names_are_served(served: str, path: str) -> None:
    reply = fetch(served, path)
    assert reply.status in (400, 404), path
    assert b"import" not in reply.body


def test_missing_codings_are_skipped_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastcore.staticfiles import codings

    monkeypatch.setitem(codings._modules, "brotli", None)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.css").write_bytes(CSS)
    result = collect([str(tmp_path / "src")], str(tmp_path / "out"))
    assert result.skipped_codings == ["br: the 'brotli' package is not installed"]
    assert not (tmp_path / "out" / "a.css.br").exists()
    assert (tmp_path / "out" / "a.css.gz").exists()


def test_without_a_root_collectstatic_names_the_fix(tmp_path: Path) -> None:
    (tmp_path / "noroot.py").write_text(
        "from fastcore import App\napp = App(security=False)\napp.static('/static', 'static')\n"
    )
    result = run_cli(tmp_path, "collectstatic", "noroot:app")
    assert result.returncode == 1
    assert 'pass root="..." to app.static("/static", ...)' in result.stderr


def test_a_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    from fastcore.staticfiles import StaticFiles

    (tmp_path / "staticfiles.json").write_text("{not json")
    files = StaticFiles("/static", tmp_path, root=tmp_path)
    with pytest.raises(ImproperlyConfigured, match="staticfiles.json: not a readable"):
        files.load()
