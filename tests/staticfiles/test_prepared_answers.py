"""Collected small files answered from their encoded heads: the same answers, changes seen."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from fastcore import App, Settings
from fastcore.responses import PreparedHeaders
from fastcore.staticfiles.collect import collect
from fastcore.testing import LiveServer
from tests.staticfiles.support import Reply, fetch

CSS = b"body { color: #333; }\n" * 40


def collected_app(tmp_path: Path, **options: object) -> tuple[App, Path]:
    source = tmp_path / "src"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_bytes(CSS)
    root = tmp_path / "collected"
    collect([str(source)], str(root), encodings=["gzip"])
    app = App(security=False)
    app.static("/static", source, root=root, **options)  # type: ignore[arg-type]
    return app, root


def headers_of(reply: Reply) -> dict[str, str]:
    return {name.lower(): value for name, value in reply.headers.items() if name.lower() != "date"}


def test_prepared_answers_equal_the_first_ones(tmp_path: Path) -> None:
    app, _ = collected_app(tmp_path)
    gzip_ = {"accept-encoding": "gzip"}
    with LiveServer(app) as server:
        # The first answer of each kind comes from the file, the next ones
        # from what it prepared: nothing may differ but the Date.
        first = fetch(server.url, "/static/css/site.css")
        etag = first.header("etag")
        assert etag is not None
        first_304 = fetch(server.url, "/static/css/site.css", headers={"if-none-match": etag})
        first_gzip = fetch(server.url, "/static/css/site.css", headers=gzip_)
        again = [fetch(server.url, "/static/css/site.css") for _ in range(3)]
        again_304 = fetch(server.url, "/static/css/site.css", headers={"if-none-match": etag})
        again_gzip = fetch(server.url, "/static/css/site.css", headers=gzip_)
        stale = fetch(server.url, "/static/css/site.css", headers={"if-none-match": '"old"'})
        dated = fetch(
            server.url,
            "/static/css/site.css",
            headers={"if-modified-since": first.header("last-modified") or ""},
        )
        ranged = fetch(server.url, "/static/css/site.css", headers={"range": "bytes=0-3"})
        head = fetch(server.url, "/static/css/site.css", method="HEAD")
    assert (first.status, first.body) == (200, CSS)
    assert first.header("content-type") == "text/css; charset=utf-8"
    for reply in again:
        assert (reply.status, reply.body, headers_of(reply)) == (200, CSS, headers_of(first))
    assert (first_304.status, first_304.body) == (304, b"")
    assert (again_304.status, headers_of(again_304)) == (304, headers_of(first_304))
    assert gzip.decompress(first_gzip.body) == CSS
    assert first_gzip.header("content-encoding") == "gzip"
    assert (again_gzip.body, headers_of(again_gzip)) == (first_gzip.body, headers_of(first_gzip))
    assert (stale.status, stale.body) == (200, CSS)
    assert (dated.status, dated.body) == (304, b"")
    assert (ranged.status, ranged.body) == (206, CSS[:4])
    assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(CSS)))


def test_a_file_changed_in_place_is_seen_at_once_without_recheck_delay(tmp_path: Path) -> None:
    app, root = collected_app(tmp_path, recheck_after=0)
    with LiveServer(app) as server:
        first = fetch(server.url, "/static/css/site.css")
        fetch(server.url, "/static/css/site.css")  # answered from memory
        (root / "css" / "site.css").write_bytes(b"p { margin: 0 }\n")
        changed = fetch(server.url, "/static/css/site.css")
        etag = first.header("etag") or ""
        revalidated = fetch(server.url, "/static/css/site.css", headers={"if-none-match": etag})
    assert (changed.status, changed.body) == (200, b"p { margin: 0 }\n")
    assert changed.header("etag") != first.header("etag")
    assert revalidated.status == 200


def test_a_changed_file_is_served_whole_as_it_was_until_rechecked(tmp_path: Path) -> None:
    app, root = collected_app(tmp_path, recheck_after=0.5)
    with LiveServer(app) as server:
        first = fetch(server.url, "/static/css/site.css")
        fetch(server.url, "/static/css/site.css")
        (root / "css" / "site.css").write_bytes(b"p { margin: 0 }\n")
        soon = fetch(server.url, "/static/css/site.css")
        time.sleep(0.6)
        later = fetch(server.url, "/static/css/site.css")
    # Within recheck_after the old file, whole and with its own validators
    # (never the new bytes under the old ETag); then the new one.
    assert (soon.body, soon.header("etag")) == (CSS, first.header("etag"))
    assert later.body == b"p { margin: 0 }\n"
    assert later.header("etag") != first.header("etag")


def test_a_deleted_file_is_gone_after_the_recheck(tmp_path: Path) -> None:
    app, root = collected_app(tmp_path, recheck_after=0)
    with LiveServer(app) as server:
        assert fetch(server.url, "/static/css/site.css").status == 200
        assert fetch(server.url, "/static/css/site.css").status == 200
        os.remove(root / "css" / "site.css")
        assert fetch(server.url, "/static/css/site.css").status == 404


def test_security_headers_join_the_prepared_ones(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "site.css").write_bytes(CSS)
    collect([str(source)], str(tmp_path / "collected"), encodings=[])
    settings = Settings(
        secret_key="static3-prepared-answers-test-key-0123456789",
        allowed_hosts=["127.0.0.1", "localhost"],
    )
    app = App(settings=settings, security=True)
    app.static("/static", source, root=tmp_path / "collected")
    with LiveServer(app) as server:
        replies = [fetch(server.url, "/static/site.css") for _ in range(3)]
    for reply in replies:
        assert (reply.status, reply.body) == (200, CSS)
        assert reply.header("x-content-type-options") == "nosniff"
        assert reply.header("etag") is not None
        assert len(reply.headers.get_all("x-content-type-options") or []) == 1
    assert headers_of(replies[1]) == headers_of(replies[0]) == headers_of(replies[2])


@pytest.mark.parametrize(
    "headers",
    [
        {"content-length": "1"},
        {"Transfer-Encoding": "chunked"},
        {"x-evil": "a\r\nset-cookie: s=1"},
        {"x-nul": "a\x00b"},
        {"bad name": "v"},
    ],
)
def test_prepared_headers_refuse_framing_and_splitting(headers: dict[str, str]) -> None:
    # SECURITY: prepared lines are copied as they are, after the writer's own
    # framing: a second length, a transfer coding or a line break would let
    # a recipient split the stream.
    with pytest.raises(ValueError):
        PreparedHeaders(headers)


@pytest.mark.parametrize("seconds", [-1, float("nan")])
def test_recheck_after_must_be_zero_or_more_seconds(tmp_path: Path, seconds: float) -> None:
    from fastcore.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="recheck_after"):
        App(security=False).static("/static", tmp_path, recheck_after=seconds)
