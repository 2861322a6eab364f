"""Downloads (RFC 6266), send_file, Cache-Control decorators and conditional GET, over sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import unquote

import pytest

from fastcore import App, Request
from fastcore.responses import Response
from fastcore.staticfiles import (
    ConditionalGet,
    attachment,
    cache_control,
    content_disposition,
    never_cache,
    send_file,
)
from fastcore.staticfiles.caching import cache_control_value
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch

REPORT = b"%PDF-1.4 quarterly report\n" * 100


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("downloads")
    (folder / "report.pdf").write_bytes(REPORT)
    app = App(security=False)
    app.add_middleware(ConditionalGet)

    @app.get("/report")
    async def report(request: Request) -> Response:
        return await send_file(
            request, folder / "report.pdf", download_name="Rapport été 2026.pdf", as_attachment=True
        )

    @app.get("/missing")
    async def missing(request: Request) -> Response:
        return await send_file(request, folder / "nope.pdf")

    @app.get("/export.csv")
    async def export() -> Response:
        return attachment("id,name\n1,Zoë\n", "export.csv")

    @app.get("/stream.txt")
    async def stream() -> Response:
        async def lines() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"line {n}\n".encode()

        return attachment(lines(), 'weird "name".txt')

    @app.get("/cached")
    @cache_control(max_age=300, public=True)
    def cached() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/private")
    @never_cache
    async def private() -> str:
        return "<p>yours only</p>"

    @app.get("/page")
    async def page() -> str:
        return "<p>" + "dynamic page " * 50 + "</p>"

    with LiveServer(app) as live:
        yield live.url


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        (
            "Rapport été.pdf",
            'attachment; filename="Rapport _t_.pdf"; '
            "filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf",
        ),
        ('a"b.txt', "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("C:\\Users\\x\\evil.exe", 'attachment; filename="evil.exe"'),
        ("new\r\nline.txt", 'attachment; filename="newline.txt"'),
        ("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
    ],
)
def test_content_disposition_follows_rfc_6266(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_content_disposition_inline_and_refusals() -> None:
    assert content_disposition("a.png", inline=True) == 'inline; filename="a.png"'
    with pytest.raises(ValueError):
        content_disposition("dir/")


def test_send_file_as_a_download(server: str) -> None:
    reply = fetch(server, "/report")
    assert reply.status == 200
    assert reply.body == REPORT
    assert reply.header("content-type") == "application/pdf"
    disposition = reply.header("content-disposition") or ""
    assert disposition.startswith('attachment; filename="Rapport _t_ 2026.pdf"')
    assert unquote(disposition.split("UTF-8''")[1]) == "Rapport été 2026.pdf"
    ranged = fetch(server, "/report", headers={"range": "bytes=0-7"})
    assert (ranged.status, ranged.body) == (206, REPORT[:8])
    assert ranged.header("content-disposition") == disposition
    assert fetch(server, "/missing").status == 404


def test_attachments_from_text_and_streams(server: str) -> None:
    csv = fetch(server, "/export.csv")
    assert csv.body == "id,name\n1,Zoë\n".encode()
    assert csv.header("content-type") == "text/csv; charset=utf-8"
    assert csv.header("content-disposition") == 'attachment; filename="export.csv"'
    streamed = fetch(server, "/stream.txt")
    assert streamed.body == b"line 0\nline 1\nline 2\n"
    assert (streamed.header("content-disposition") or "").startswith(
        'attachment; filename="weird _name_.txt"'
    )


def test_cache_control_decorators(server: str) -> None:
    cached = fetch(server, "/cached")
    assert cached.header("cache-control") == "max-age=300, public"
    assert cached.body == b'{"hello":"world"}'
    private = fetch(server, "/private")
    assert (
        private.header("cache-control") == "no-cache, no-store, must-revalidate, max-age=0, private"
    )
    assert private.header("expires") == "0"


def test_cache_control_values() -> None:
    assert cache_control_value(no_cache=True, max_age=0) == "no-cache, max-age=0"
    assert cache_control_value(private=True, public=False) == "private"
    with pytest.raises(ValueError):
        cache_control_value(max_age=-1)
    with pytest.raises(ValueError):
        cache_control_value(community="a\r\nb")


def test_conditional_get_answers_304_for_dynamic_pages(server: str) -> None:
    first = fetch(server, "/page")
    etag = first.header("etag")
    assert first.status == 200 and etag is not None
    again = fetch(server, "/page", headers={"if-none-match": etag})
    assert (again.status, again.body) == (304, b"")
    assert again.header("etag") == etag
    changed = fetch(server, "/page", headers={"if-none-match": '"something else"'})
    assert changed.status == 200
    assert fetch(server, "/page", headers={"if-match": '"something else"'}).status == 412


def test_conditional_get_leaves_no_store_pages_alone(server: str) -> None:
    reply = fetch(server, "/private", headers={"if-none-match": "*"})
    assert reply.status == 200
    assert reply.header("etag") is None


def test_conditional_get_keeps_the_file_validators(server: str) -> None:
    first = fetch(server, "/report")
    assert first.header("etag") is not None
    modified = first.header("last-modified")
    assert modified is not None
    reply = fetch(server, "/report", headers={"if-modified-since": modified})
    assert reply.status == 304
