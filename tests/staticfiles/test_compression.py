"""The compression middleware over real sockets: codings, q-values, what it leaves alone."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fastcore import App, Request
from fastcore.responses import PlainTextResponse, Response, StreamingResponse
from fastcore.staticfiles import Compression, uncompressed
from fastcore.staticfiles import codings as coding_support
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch

PAGE = ("<p>" + "fastcore compresses pages " * 800 + "</p>").encode()
brotli = pytest.importorskip("brotli", reason="the brotli package is not installed")
zstandard = pytest.importorskip("zstandard", reason="the zstandard package is not installed")


def decode(coding: str | None, body: bytes) -> bytes:
    if coding is None:
        return body
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return bytes(brotli.decompress(body))
    assert coding == "zstd"
    return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(body))


def add_streams(app: App) -> None:
    @app.get("/events")
    async def events() -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            for n in range(50):
                yield f"data: {n}\n\n".encode() * 20

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.get("/stream")
    async def stream_page() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(40):
                yield PAGE[:5000]

        return StreamingResponse(chunks(), media_type="text/html")


def build_app() -> App:
    app = App(security=False)
    app.add_middleware(Compression, exclude_paths=["/private/"])

    @app.get("/page")
    async def page() -> Response:
        return Response(PAGE, media_type="text/html", headers={"etag": '"v1"', "vary": "Cookie"})

    @app.get("/json")
    async def json_list() -> list[int]:
        return list(range(2000))

    @app.get("/tiny")
    async def tiny() -> PlainTextResponse:
        return PlainTextResponse("small")

    @app.get("/image")
    async def image() -> Response:
        return Response(b"\x89PNG" + b"\0" * 5000, media_type="image/png")

    add_streams(app)

    @app.get("/secret")
    @uncompressed
    async def secret(request: Request) -> Response:
        return Response(PAGE, media_type="text/html")

    @app.get("/private/page")
    async def private() -> Response:
        return Response(PAGE, media_type="text/html")

    @app.get("/partial")
    async def partial() -> Response:
        return Response(
            PAGE[:1000],
            status_code=206,
            media_type="text/html",
            headers={"content-range": f"bytes 0-999/{len(PAGE)}"},
        )

    @app.get("/encoded")
    async def encoded() -> Response:
        return Response(
            gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"}
        )

    @app.get("/no-transform")
    async def no_transform() -> Response:
        return Response(PAGE, media_type="text/html", headers={"cache-control": "no-transform"})

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with LiveServer(build_app()) as live:
        yield live.url


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "br"),  # a tie: the server's preference
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0, gzip;q=0.1", "gzip"),
        ("*", "br"),
        ("*;q=0.5, gzip;q=0.9", "gzip"),
        ("identity", None),
        ("gzip;q=0", None),
        ("gzip;q=nonsense", None),
        ("x-gzip", "gzip"),
        ("", None),
    ],
)
def test_the_coding_follows_the_q_values(server: str, accept: str, expected: str | None) -> None:
    reply = fetch(server, "/page", headers={"accept-encoding": accept})
    assert reply.status == 200
    assert reply.header("content-encoding") == expected
    assert decode(expected, reply.body) == PAGE
    assert reply.header("vary") == "Cookie, Accept-Encoding"
    if expected is not None:
        assert len(reply.body) < len(PAGE) // 10
        assert reply.header("content-length") == str(len(reply.body))
        assert reply.header("etag") == 'W/"v1"'  # other bytes: a weak tag
    else:
        assert reply.header("etag") == '"v1"'


def test_json_is_compressed(server: str) -> None:
    reply = fetch(server, "/json", headers={"accept-encoding": "gzip"})
    assert reply.header("content-encoding") == "gzip"
    assert gzip.decompress(reply.body) == b"[" + ",".join(map(str, range(2000))).encode() + b"]"


def test_a_streamed_page_is_compressed_as_it_flows(server: str) -> None:
    for coding in ("gzip", "br", "zstd"):
        reply = fetch(server, "/stream", headers={"accept-encoding": coding})
        assert reply.header("content-encoding") == coding
        assert decode(coding, reply.body) == PAGE[:5000] * 40


def test_each_streamed_chunk_is_decodable_on_arrival() -> None:
    encoder = coding_support.encoder("gzip")
    decoder = zlib.decompressobj(31)
    for part in (b"first event\n", b"second event\n"):
        assert decoder.decompress(encoder.compress(part)) == part


@pytest.mark.parametrize(
    "path",
    [
        "/tiny",
        "/image",
        "/events",
        "/secret",
        "/private/page",
        "/partial",
        "/encoded",
        "/no-transform",
    ],
)
def test_what_is_left_alone(server: str, path: str) -> None:
    reply = fetch(server, path, headers={"accept-encoding": "gzip, br, zstd"})
    assert reply.status in (200, 206)
    expected = "gzip" if path == "/encoded" else None  # its own coding, untouched
    assert reply.header("content-encoding") == expected
    assert reply.header("vary") is None


def test_head_is_not_compressed_but_varies(server: str) -> None:
    reply = fetch(server, "/page", method="HEAD", headers={"accept-encoding": "gzip"})
    assert reply.status == 200
    assert reply.header("content-encoding") is None
    assert "Accept-Encoding" in (reply.header("vary") or "")


def test_an_unknown_coding_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="deflate"):
        Compression(build_app().build_dispatch(), encodings=["deflate"])


def test_a_large_static_file_is_compressed_whole(tmp_path: Path) -> None:
    text = b"".join(b".rule-%d { color: #%06x; }\n" % (n, n) for n in range(200_000))
    assert len(text) > 4 * 1024 * 1024  # streamed with its length when not compressed
    (tmp_path / "big.css").write_bytes(text)
    app = App(security=False)
    app.add_middleware(Compression)
    app.static("/static", tmp_path)
    with LiveServer(app) as live:
        for coding in ("gzip", "br", "zstd"):
            reply = fetch(live.url, "/static/big.css", headers={"accept-encoding": coding})
            assert reply.header("content-encoding") == coding
            assert decode(coding, reply.body) == text
        plain = fetch(live.url, "/static/big.css")
        assert plain.header("content-length") == str(len(text))
        assert plain.body == text
        etag = plain.header("etag")
        assert etag is not None
        again = fetch(
            live.url,
            "/static/big.css",
            headers={"accept-encoding": "gzip", "if-none-match": f"W/{etag}"},
        )
        assert again.status == 304
