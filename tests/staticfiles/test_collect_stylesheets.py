"""collectstatic rewrites stylesheets' url(...) and @import references to fingerprinted names."""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from fastcore import App
from fastcore.staticfiles import collect
from fastcore.staticfiles.collect import fingerprint_name
from fastcore.staticfiles.extension import IMMUTABLE
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch
from tests.staticfiles.test_collectstatic import run_cli

LOGO = b"\x89PNG" + bytes(range(256)) * 4
FONT = b"wOF2" + bytes(range(200))
BASE_CSS = b"html { font-family: serif; }\n" * 20
DARK_CSS = b".dark { background: url(../../img/logo.png); }\n"
APP_CSS = b"""@import "base.css";
@import url(theme/dark.css) screen;
.logo { background: url(../img/logo.png); }
.query { background: url("../img/logo.png?v=2#top"); }
@font-face { src: url('../fonts/my font.woff2') format("woff2"); }
.absolute { background: url(/static/img/logo.png); }
.inline { background: url(data:image/png;base64,iVBORw0KGgo=); }
.remote { background: url(https://cdn.example.com/x.png); }
.relative-scheme { background: url(//cdn.example.com/y.png); }
.svg-filter { filter: url(#blur); }
.elsewhere { background: url(/media/upload.png); }
/* url(../img/logo.png) in a comment stays */
.upper { background: URL( ../img/logo.png ); }
"""


def tree(base: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return base


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tree(
        tmp_path / "static",
        {
            "css/app.css": APP_CSS,
            "css/base.css": BASE_CSS,
            "css/theme/dark.css": DARK_CSS,
            "img/logo.png": LOGO,
            "fonts/my font.woff2": FONT,
        },
    )


def collected_css(root: Path, name: str) -> str:
    return (root / name).read_text()


def test_references_point_at_fingerprinted_names(site: Path, tmp_path: Path) -> None:
    root = tmp_path / "collected"
    result = collect([str(site)], str(root), static_url="/static")
    names = {original: entry.name for original, entry in result.manifest.files.items()}
    logo = Path(names["img/logo.png"]).name
    assert logo == Path(fingerprint_name("img/logo.png", LOGO)).name
    text = collected_css(root, names["css/app.css"])
    assert f'@import "{Path(names["css/base.css"]).name}";' in text
    assert f"@import url(theme/{Path(names['css/theme/dark.css']).name}) screen;" in text
    assert f".logo {{ background: url(../img/{logo}); }}" in text
    # The query string and the fragment stay; a name with a space stays encoded.
    assert f'url("../img/{logo}?v=2#top")' in text
    font = Path(names["fonts/my font.woff2"]).name.replace(" ", "%20")
    assert f"url('../fonts/{font}')" in text
    assert f"url(/static/img/{logo})" in text  # absolute, under the static URL
    assert f"URL( ../img/{logo} )" in text  # CSS is case-insensitive; spacing kept
    assert result.warnings == []


def test_what_is_not_a_local_file_is_left_as_written(site: Path, tmp_path: Path) -> None:
    root = tmp_path / "collected"
    result = collect([str(site)], str(root), static_url="/static")
    text = collected_css(root, result.manifest.files["css/app.css"].name)
    for kept in (
        "url(data:image/png;base64,iVBORw0KGgo=)",
        "url(https://cdn.example.com/x.png)",
        "url(//cdn.example.com/y.png)",
        "url(#blur)",
        "url(/media/upload.png)",  # not under /static
        "/* url(../img/logo.png) in a comment stays */",
    ):
        assert kept in text


def test_the_original_name_keeps_the_original_text(site: Path, tmp_path: Path) -> None:
    root = tmp_path / "collected"
    result = collect([str(site)], str(root), static_url="/static")
    assert (root / "css" / "app.css").read_bytes() == APP_CSS
    entry = result.manifest.files["css/app.css"]
    hashed = (root / entry.name).read_bytes()
    assert hashed != APP_CSS
    # The stylesheet's fingerprint is taken after the rewrite, and its
    # precompressed variant holds the rewritten text too.
    assert entry.name == fingerprint_name("css/app.css", hashed)
    assert gzip.decompress((root / (entry.name + ".gz")).read_bytes()) == hashed
    assert gzip.decompress((root / "css" / "app.css.gz").read_bytes()) == APP_CSS


def test_a_changed_image_changes_the_stylesheets_that_use_it(site: Path, tmp_path: Path) -> None:
    before = collect([str(site)], str(tmp_path / "one")).manifest.files
    (site / "img" / "logo.png").write_bytes(LOGO + b"changed")
    after = collect([str(site)], str(tmp_path / "two")).manifest.files
    # app.css's own text did not change, but it (and dark.css, which app.css
    # imports) now name another logo, so their names change; base.css does not.
    assert after["css/app.css"].name != before["css/app.css"].name
    assert after["css/theme/dark.css"].name != before["css/theme/dark.css"].name
    assert after["css/base.css"].name == before["css/base.css"].name


def test_a_missing_file_is_a_warning_naming_the_stylesheet_and_line(tmp_path: Path) -> None:
    site = tree(tmp_path / "static", {"css/app.css": b"a {}\n.x { background: url(gone.png); }"})
    result = collect([str(site)], str(tmp_path / "collected"))
    assert result.warnings == ["css/app.css:2: gone.png: no such static file (left as written)"]
    text = collected_css(tmp_path / "collected", result.manifest.files["css/app.css"].name)
    assert "url(gone.png)" in text


def test_an_import_cycle_is_a_warning_and_ends(tmp_path: Path) -> None:
    site = tree(
        tmp_path / "static",
        {"a.css": b'@import "b.css";\n', "b.css": b'\n@import "a.css";\n'},
    )
    result = collect([str(site)], str(tmp_path / "collected"))
    assert result.warnings == [
        "b.css:2: a.css: import cycle a.css -> b.css -> a.css (left as written)"
    ]
    names = {original: entry.name for original, entry in result.manifest.files.items()}
    # a.css names b.css's fingerprint; b.css's reference back stays plain.
    assert f'@import "{names["b.css"]}";' in collected_css(tmp_path / "collected", names["a.css"])
    assert '@import "a.css";' in collected_css(tmp_path / "collected", names["b.css"])


def test_bytes_that_are_not_utf8_survive_the_rewrite(tmp_path: Path) -> None:
    latin1 = "/* caf\u00e9 */ .x { background: url(i.png); }".encode("latin-1")
    site = tree(tmp_path / "static", {"s.css": latin1, "i.png": LOGO})
    result = collect([str(site)], str(tmp_path / "collected"))
    hashed = (tmp_path / "collected" / result.manifest.files["s.css"].name).read_bytes()
    expected_name = Path(result.manifest.files["i.png"].name).name
    assert hashed == latin1.replace(b"i.png", expected_name.encode())


@pytest.fixture
def served_site(site: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path / "collected"
    app = App(security=False)
    app.static("/static", str(site), root=str(root))
    result = collect([str(site)], str(root), static_url="/static")
    with LiveServer(app) as server:
        yield server.url, {k: v.name for k, v in result.manifest.files.items()}


def test_every_rewritten_reference_is_served_as_immutable(
    served_site: tuple[str, dict[str, str]],
) -> None:
    # What a browser does: load the fingerprinted stylesheet, then each URL in
    # it, resolved against the stylesheet's own URL.
    base, names = served_site
    stylesheet = f"/static/{names['css/app.css']}"
    reply = fetch(base, stylesheet)
    assert reply.status == 200
    text = re.sub(r"/\*.*?\*/", "", reply.body.decode(), flags=re.DOTALL)
    urls = re.findall(r"""url\(\s*["']?([^"')\s]+)|@import "([^"]+)\"""", text, flags=re.I)
    local = [
        urljoin(stylesheet, a or b).partition("?")[0].partition("#")[0]
        for a, b in urls
        if (a or b).startswith(("../", "/static/", "theme/", "base."))
    ]
    assert len(local) == 7  # two imports, four logos, one font
    for path in local:
        answer = fetch(base, path)
        assert answer.status == 200, path
        assert answer.header("cache-control") == IMMUTABLE, path


def test_the_cli_prints_the_warnings(tmp_path: Path) -> None:
    site = tree(tmp_path / "static", {"app.css": b".x { background: url(img/none.png); }"})
    (tmp_path / "cssapp.py").write_text(
        "from fastcore import App\n"
        "app = App(security=False)\n"
        f"app.static('/static', {str(site)!r}, root={str(tmp_path / 'out')!r})\n"
    )
    result = run_cli(tmp_path, "collectstatic", "cssapp:app")
    assert result.returncode == 0, result.stderr
    assert (
        "fastcore collectstatic: warning: app.css:1: img/none.png: no such static file"
        in result.stderr
    )
    sys.modules.pop("cssapp", None)
