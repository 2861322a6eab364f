"""Static files over real sockets: validators, conditional requests, ranges, HEAD, types."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from fastcore import App
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch

CSS = b"body { color: #123456; }\n" * 40
BLOB = bytes(range(256)) * 4096  # 1 MiB, above the inline read limit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("site") / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "app.css").write_bytes(CSS)
    (folder / "data.bin").write_bytes(BLOB)
    (folder / "big.bin").write_bytes(BLOB * 6)  # above the buffer limit: streamed
    (folder / "page.html").write_text("<p>héllo</p>", encoding="utf-8")
    (folder / "app.js").write_text("console.log(1)", encoding="utf-8")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    (folder / "empty.txt").write_bytes(b"")
    app = App(security=False)
    app.static("/static", folder)
    with LiveServer(app) as server:
        yield server.url, folder


def test_a_file_is_served_with_its_validators(site: tuple[str, Path]) -> None:
    url, folder = site
    reply = fetch(url, "/static/css/app.css")
    assert reply.status == 200
    assert reply.body == CSS
    assert reply.header("content-type") == "text/css; charset=utf-8"
    assert reply.header("content-length") == str(len(CSS))
    assert (reply.header("etag") or "").startswith('"')
    modified = (folder / "css" / "app.css").stat().st_mtime
    assert reply.header("last-modified") == time.strftime(
        "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(modified))
    )
    assert reply.header("accept-ranges") == "bytes"
    assert reply.header("cache-control") == "no-cache"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("logo.png", "image/png"),
        ("data.bin", "application/octet-stream"),
    ],
)
def test_content_types_carry_a_charset_for_text(
    site: tuple[str, Path], name: str, content_type: str
) -> None:
    assert fetch(site[0], f"/static/{name}").header("content-type") == content_type


def test_large_files_are_sent_whole(site: tuple[str, Path]) -> None:
    url, folder = site
    assert fetch(url, "/static/data.bin").body == BLOB
    big = fetch(url, "/static/big.bin")
    assert big.status == 200
    assert big.header("content-length") == str(len(BLOB) * 6)  # streamed, with its length
    assert big.header("transfer-encoding") is None
    assert big.body == (folder / "big.bin").read_bytes()


def test_an_empty_file(site: tuple[str, Path]) -> None:
    reply = fetch(site[0], "/static/empty.txt")
    assert (reply.status, reply.body, reply.header("content-length")) == (200, b"", "0")


def test_head_sends_the_headers_and_length_without_a_body(site: tuple[str, Path]) -> None:
    url, _ = site
    for name, size in (("css/app.css", len(CSS)), ("big.bin", len(BLOB) * 6)):
        reply = fetch(url, f"/static/{name}", method="HEAD")
        assert reply.status == 200
        assert reply.body == b""
        assert reply.header("content-length") == str(size)
        assert reply.header("etag")


def test_if_none_match_answers_304(site: tuple[str, Path]) -> None:
    url, _ = site
    etag = fetch(url, "/static/css/app.css").header("etag")
    assert etag is not None
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        reply = fetch(url, "/static/css/app.css", headers={"if-none-match": header})
        assert reply.status == 304, header
        assert reply.body == b""
        assert reply.header("etag") == etag
        assert reply.header("content-length") is None
    stale = fetch(url, "/static/css/app.css", headers={"if-none-match": '"stale"'})
    assert (stale.status, stale.body) == (200, CSS)


def test_if_modified_since_answers_304_unless_changed(site: tuple[str, Path]) -> None:
    url, _ = site
    last_modified = fetch(url, "/static/css/app.css").header("last-modified")
    assert last_modified is not None
    reply = fetch(url, "/static/css/app.css", headers={"if-modified-since": last_modified})
    assert reply.status == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert fetch(url, "/static/css/app.css", headers={"if-modified-since": old}).status == 200
    # An invalid date is ignored; If-None-Match wins over If-Modified-Since.
    assert (
        fetch(url, "/static/css/app.css", headers={"if-modified-since": "yesterday"}).status == 200
    )
    both = {"if-modified-since": last_modified, "if-none-match": '"stale"'}
    assert fetch(url, "/static/css/app.css", headers=both).status == 200


def test_if_match_and_if_unmodified_since_answer_412(site: tuple[str, Path]) -> None:
    url, _ = site
    assert fetch(url, "/static/css/app.css", headers={"if-match": '"stale"'}).status == 412
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    reply = fetch(url, "/static/css/app.css", headers={"if-unmodified-since": old})
    assert reply.status == 412


def test_a_changed_file_gets_a_new_etag(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"one")
    app = App(security=False)
    app.static("/static", tmp_path)
    with LiveServer(app) as server:
        first = fetch(server.url, "/static/a.txt")
        (tmp_path / "a.txt").write_bytes(b"two!")
        os.utime(tmp_path / "a.txt", (time.time() + 5, time.time() + 5))
        etag = first.header("etag")
        assert etag is not None
        second = fetch(server.url, "/static/a.txt", headers={"if-none-match": etag})
    assert (second.status, second.body) == (200, b"two!")
    assert second.header("etag") != etag


# -- ranges ---------------------------------------------------------------------


def test_a_single_range(site: tuple[str, Path]) -> None:
    url, _ = site
    reply = fetch(url, "/static/data.bin", headers={"range": "bytes=10-19"})
    assert reply.status == 206
    assert reply.body == BLOB[10:20]
    assert reply.header("content-range") == f"bytes 10-19/{len(BLOB)}"
    assert reply.header("content-length") == "10"
    suffix = fetch(url, "/static/data.bin", headers={"range": "bytes=-5"})
    assert (suffix.status, suffix.body) == (206, BLOB[-5:])
    open_ended = fetch(url, "/static/css/app.css", headers={"range": "bytes=990-"})
    assert open_ended.body == CSS[990:]
    past_end = fetch(url, "/static/css/app.css", headers={"range": "bytes=5-99999"})
    assert past_end.body == CSS[5:]
    assert past_end.header("content-range") == f"bytes 5-{len(CSS) - 1}/{len(CSS)}"


def test_a_range_of_a_streamed_file(site: tuple[str, Path]) -> None:
    url, folder = site
    start, end = 100, 5 * 1024 * 1024
    reply = fetch(url, "/static/big.bin", headers={"range": f"bytes={start}-{end}"})
    assert reply.status == 206
    assert reply.body == (folder / "big.bin").read_bytes()[start : end + 1]


def _parts(reply: object) -> list[tuple[str, bytes]]:
    content_type = reply.header("content-type")  # type: ignore[attr-defined]
    assert content_type.startswith("multipart/byteranges; boundary=")
    message = message_from_bytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + reply.body  # type: ignore[attr-defined]
    )
    assert message.is_multipart()
    return [
        (part["content-range"], part.get_payload(decode=True))
        for part in message.get_payload()  # type: ignore[union-attr]
    ]


def test_several_ranges_are_sent_as_multipart_byteranges(site: tuple[str, Path]) -> None:
    url, _ = site
    reply = fetch(url, "/static/data.bin", headers={"range": "bytes=0-9, 100-109, -3"})
    assert reply.status == 206
    assert reply.header("content-length") == str(len(reply.body))
    size = len(BLOB)
    assert _parts(reply) == [
        (f"bytes 0-9/{size}", BLOB[0:10]),
        (f"bytes 100-109/{size}", BLOB[100:110]),
        (f"bytes {size - 3}-{size - 1}/{size}", BLOB[-3:]),
    ]


def test_overlapping_ranges_are_coalesced(site: tuple[str, Path]) -> None:
    url, _ = site
    reply = fetch(url, "/static/data.bin", headers={"range": "bytes=0-99, 50-149, 150-160"})
    assert reply.status == 206
    assert reply.header("content-range") == f"bytes 0-160/{len(BLOB)}"
    assert reply.body == BLOB[:161]


def test_too_many_ranges_get_the_whole_file(site: tuple[str, Path]) -> None:
    url, _ = site
    many = ", ".join(f"{n * 10}-{n * 10}" for n in range(200))
    reply = fetch(url, "/static/css/app.css", headers={"range": f"bytes={many}"})
    assert (reply.status, reply.body) == (200, CSS)


@pytest.mark.parametrize("header", ["bytes=5-1", "bytes=abc", "items=0-1", "bytes=", "bytes=--1"])
def test_invalid_ranges_are_ignored(site: tuple[str, Path], header: str) -> None:
    reply = fetch(site[0], "/static/css/app.css", headers={"range": header})
    assert (reply.status, reply.body) == (200, CSS)


@pytest.mark.parametrize("header", [f"bytes={len(CSS)}-", "bytes=99999-99999", "bytes=-0"])
def test_unsatisfiable_ranges_answer_416(site: tuple[str, Path], header: str) -> None:
    reply = fetch(site[0], "/static/css/app.css", headers={"range": header})
    assert reply.status == 416
    assert reply.header("content-range") == f"bytes */{len(CSS)}"


def test_if_range_with_a_current_validator_sends_the_range(site: tuple[str, Path]) -> None:
    url, _ = site
    first = fetch(url, "/static/css/app.css")
    for validator in (first.header("etag"), first.header("last-modified")):
        assert validator is not None
        reply = fetch(
            url, "/static/css/app.css", headers={"range": "bytes=0-3", "if-range": validator}
        )
        assert (reply.status, reply.body) == (206, CSS[:4])


@pytest.mark.parametrize(
    "validator", ['"stale"', "Mon, 01 Jan 2001 00:00:00 GMT", "not a validator"]
)
def test_if_range_with_a_stale_validator_sends_everything(
    site: tuple[str, Path], validator: str
) -> None:
    reply = fetch(
        site[0], "/static/css/app.css", headers={"range": "bytes=0-3", "if-range": validator}
    )
    assert (reply.status, reply.body) == (200, CSS)


def test_if_range_never_matches_a_weak_etag(site: tuple[str, Path]) -> None:
    url, _ = site
    etag = fetch(url, "/static/css/app.css").header("etag")
    reply = fetch(
        url, "/static/css/app.css", headers={"range": "bytes=0-3", "if-range": f"W/{etag}"}
    )
    assert reply.status == 200


def test_ranges_on_head_are_ignored(site: tuple[str, Path]) -> None:
    reply = fetch(site[0], "/static/css/app.css", method="HEAD", headers={"range": "bytes=0-3"})
    assert reply.status == 200
    assert reply.header("content-length") == str(len(CSS))
    assert reply.header("content-range") is None


def test_other_methods_are_refused(site: tuple[str, Path]) -> None:
    reply = fetch(site[0], "/static/css/app.css", method="POST")
    assert reply.status == 405
    assert "GET" in (reply.header("allow") or "")
