"""Response classes: bodies, headers, cookies, redirects and streaming."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

import pytest

from fastcore import (
    App,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastcore._speedups.response_writer import ResponseWriter
from fastcore.testing import TestClient


def test_content_types_and_charset() -> None:
    assert PlainTextResponse("x").headers["content-type"] == "text/plain; charset=utf-8"
    assert HTMLResponse("x").headers["content-type"] == "text/html; charset=utf-8"
    assert JSONResponse({}).headers["content-type"] == "application/json"
    custom = Response(b"x", media_type="application/xml", headers={"Content-Type": "text/csv"})
    assert custom.headers.getlist("content-type") == ["text/csv"]


def test_json_serializes_dataclasses_datetimes_uuids_and_sets() -> None:
    @dataclasses.dataclass
    class Item:
        id: uuid.UUID
        at: datetime.date

    item = Item(uuid.UUID(int=1), datetime.date(2026, 1, 2))
    response = JSONResponse({"item": item, "tags": {"a"}})
    assert response.body == (
        b'{"item":{"id":"00000000-0000-0000-0000-000000000001","at":"2026-01-02"},"tags":["a"]}'
    )
    with pytest.raises(TypeError, match="not JSON serializable"):
        JSONResponse({"x": object()})


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        Response(b"", headers={"x-evil": "a\r\nSet-Cookie: pwned=1"})
    response = Response(b"")
    with pytest.raises(ValueError, match="line break"):
        response.headers["x"] = "a\nb"
    with pytest.raises(ValueError):
        response.set_cookie("name", "v", path="/\r\nx: y")


def test_set_cookie_with_every_attribute() -> None:
    response = Response(b"")
    response.set_cookie(
        "sid",
        "a b;c",
        max_age=60,
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    header = response.headers["set-cookie"]
    assert header.startswith("sid=a%20b%3Bc; ")
    for part in ("Max-Age=60", "Path=/app", "Domain=example.com", "Secure", "HttpOnly"):
        assert part in header
    assert "SameSite=Strict" in header
    assert "expires=" not in header


def test_samesite_none_forces_secure_and_bad_names_are_refused() -> None:
    response = Response(b"")
    response.set_cookie("x", "1", samesite="none")
    assert "Secure" in response.headers["set-cookie"]
    with pytest.raises(ValueError, match="cookie name"):
        response.set_cookie("bad name", "1")


def test_cookies_round_trip_through_the_client() -> None:
    app = App()

    @app.get("/login")
    async def login():
        response = Response(b"in")
        response.set_cookie("sid", "token123", httponly=True)
        return response

    @app.get("/whoami")
    async def whoami(request):
        return {"sid": request.cookies.get("sid")}

    @app.get("/logout")
    async def logout():
        response = Response(b"out")
        response.delete_cookie("sid")
        return response

    client = TestClient(app)
    client.get("/login")
    assert client.get("/whoami").json() == {"sid": "token123"}
    client.get("/logout")
    assert client.get("/whoami").json() == {"sid": None}


def test_redirects() -> None:
    app = App()
    app.add_route("/old", lambda: RedirectResponse("/new place"), name="old")
    app.add_route("/new place", lambda: "arrived", name="new")
    client = TestClient(app, follow_redirects=False)
    response = client.get("/old")
    assert response.status_code == 307
    assert response.headers["location"] == "/new%20place"
    assert TestClient(app).get("/old").text == "arrived"


def test_streaming_from_async_and_sync_iterators() -> None:
    app = App()

    @app.get("/async")
    async def stream_async():
        async def numbers():
            for i in range(3):
                yield f"{i},"

        return StreamingResponse(numbers(), media_type="text/csv")

    @app.get("/sync")
    async def stream_sync():
        return StreamingResponse(iter([b"a", "b", b"c"]))

    client = TestClient(app)
    response = client.get("/async")
    assert response.text == "0,1,2,"
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert client.get("/sync").text == "abc"


def test_subclasses_choose_their_charset_media_type_and_render() -> None:
    class Latin1Text(PlainTextResponse):
        charset = "latin-1"

    class Upper(PlainTextResponse):
        def render(self, content: object) -> bytes:
            return str(content).upper().encode()

    class Wrapped(JSONResponse):
        def render(self, content: object) -> bytes:
            return b'{"data":' + super().render(content) + b"}"

    latin = Latin1Text("café")
    assert latin.body == "café".encode("latin-1")
    assert latin.headers["content-type"] == "text/plain; charset=latin-1"
    assert Upper("shout").body == b"SHOUT"
    assert Wrapped([1]).body == b'{"data":[1]}'
    assert Response("x", media_type="text/csv").headers["content-type"] == "text/csv; charset=utf-8"
    with pytest.raises(TypeError, match="content must be str or bytes"):
        PlainTextResponse(12)


def test_header_changes_after_construction_reach_the_wire() -> None:
    app = App()

    @app.get("/added")
    async def added() -> PlainTextResponse:
        response = PlainTextResponse("hi")
        response.raw_headers.append((b"x-extra", b"1"))
        return response

    @app.get("/replaced")
    async def replaced() -> PlainTextResponse:
        response = PlainTextResponse("hi")
        response.raw_headers = [(b"content-type", b"text/csv")]
        return response

    client = TestClient(app)
    added_response = client.get("/added")
    assert added_response.headers["x-extra"] == "1"
    assert added_response.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/replaced").headers["content-type"] == "text/csv"
    # SECURITY: a line break smuggled through the media type never reaches the wire.
    with pytest.raises(ValueError, match="line break"):
        ResponseWriter().serialize(
            Response("hi", media_type="text/plain\r\nx-evil: 1"), 1, True, False
        )


def test_class_attributes_changed_after_use_take_effect() -> None:
    class Report(PlainTextResponse):
        pass

    assert Report("x").headers["content-type"] == "text/plain; charset=utf-8"
    Report.media_type = "text/csv"
    assert Report("x").headers["content-type"] == "text/csv; charset=utf-8"
    Report.charset = "latin-1"
    assert Report("é").body == b"\xe9"
    Report.render = lambda self, content: b"rendered"  # type: ignore[method-assign,assignment]
    assert Report("x").body == b"rendered"
    del Report.render
    assert Report("x").body == b"x"


def test_constructors_and_their_overrides_are_honoured_on_every_call() -> None:
    # A response class keeping the base constructor is built by a fast path
    # from its second response on; every other shape of call, and a class
    # whose __init__ or __new__ is its own (or becomes so later), is not.
    class Note(PlainTextResponse):
        pass

    class Shout(PlainTextResponse):
        def __init__(self, content: str) -> None:
            super().__init__(content.upper(), status_code=201)

    class Tagged(PlainTextResponse):
        def __new__(cls, *args: object, **kwargs: object) -> Tagged:
            instance = super().__new__(cls)
            instance.tag = "new"  # type: ignore[attr-defined]
            return instance

        __slots__ = ("tag",)

    for _ in range(3):
        note = Note("a")
        assert (type(note), note.body, note.status_code) == (Note, b"a", 200)
        assert note.headers["content-type"] == "text/plain; charset=utf-8"
        other = Note("b", status_code=404, headers={"x-n": "1"})
        assert (other.body, other.status_code, other.headers["x-n"]) == (b"b", 404, "1")
        assert Note().body == b""
        assert Note(content=b"kw").body == b"kw"
        shout = Shout("hi")
        assert (shout.body, shout.status_code) == (b"HI", 201)
        assert Tagged("t").tag == "new"  # type: ignore[attr-defined]
        with pytest.raises(TypeError, match="content must be str or bytes"):
            Note(3.5)
        with pytest.raises(TypeError):
            Note("a", "b", "c", "d", "e")

    def loud(self: Note, content: str) -> None:
        PlainTextResponse.__init__(self, content + "!")

    Note.__init__ = loud  # type: ignore[method-assign,assignment]
    assert Note("a").body == b"a!"


def test_a_response_nobody_holds_is_made_again_as_new() -> None:
    # PERF: the response a class made last is reused for its next one when
    # nothing else refers to it; it must then read as a new response.
    first = PlainTextResponse("first")
    first.status_code = 404
    first.set_cookie("sid", "secret")
    first.headers["x-first"] = "1"
    first_id = id(first)
    del first
    second = PlainTextResponse("second")
    assert id(second) == first_id  # made again, not allocated
    assert (second.body, second.status_code) == (b"second", 200)
    assert second.raw_headers == [(b"content-type", b"text/plain; charset=utf-8")]
    wire = ResponseWriter().serialize(second, 1, True, False)
    assert b"sid" not in wire and b"x-first" not in wire

    class Tagged(PlainTextResponse):
        __slots__ = ("tag",)

    Tagged("warm-up")  # (a class is built through the fast path from its second response)
    tagged = Tagged("a")
    tagged.tag = "from the first response"
    tagged_id = id(tagged)
    del tagged
    again = Tagged("b")
    assert id(again) == tagged_id
    assert not hasattr(again, "tag")  # a subclass's __slots__ are emptied too


def test_a_response_somebody_keeps_is_never_reused() -> None:
    kept = JSONResponse({"n": 1})
    kept.set_cookie("k", "v")
    before = (kept.body, kept.status_code, list(kept.raw_headers))
    later = [JSONResponse({"n": n}) for n in range(2, 5)]
    assert all(response is not kept for response in later)
    assert (kept.body, kept.status_code, kept.raw_headers) == before
    assert [response.body for response in later] == [b'{"n":2}', b'{"n":3}', b'{"n":4}']


class Watchable(PlainTextResponse):
    """A response class whose instances take weak references."""

    __slots__ = ("__weakref__",)


def test_responses_with_weak_references_or_big_bodies_are_freed() -> None:
    import weakref

    finalized: list[str] = []
    Watchable("warm-up")  # (a class is built through the fast path from its second response)
    watched = Watchable("watched")
    weakref.finalize(watched, finalized.append, "watched")
    del watched
    replacement = Watchable("next")  # the watched one is dropped, not reused
    assert finalized == ["watched"]
    big = Watchable("x" * (64 * 1024))
    weakref.finalize(big, finalized.append, "big")
    del big  # not kept for reuse: its body is not held on to
    assert finalized == ["watched", "big"]
    assert replacement.body == b"next"


def test_a_response_class_with_del_is_never_reused() -> None:
    finalized: list[bytes] = []

    class Audited(PlainTextResponse):
        __slots__ = ()

        def __del__(self) -> None:
            finalized.append(self.body)

    Audited("one")
    Audited("two")
    assert finalized == [b"one", b"two"]


def test_json_integers_beyond_64_bits_are_json_numbers() -> None:
    # orjson refuses them; JSON numbers have no range (FastAPI/Starlette's
    # json.dumps writes them too), so a handler echoing a big int is no 500.
    @dataclasses.dataclass
    class Measure:
        value: int
        day: datetime.date

    huge = 2**70
    cases = [
        ({"n": huge, "small": 1, "flag": True}, b'{"n":%d,"small":1,"flag":true}' % huge),
        ([-(2**80), (huge,)], b"[%d,[%d]]" % (-(2**80), huge)),
        (
            Measure(value=2**64, day=datetime.date(2026, 12, 7)),
            b'{"value":18446744073709551616,"day":"2026-12-07"}',
        ),
    ]
    for _ in range(2):  # the constructor's first call and its compiled fast path
        for content, expected in cases:
            assert JSONResponse(content).body == expected
    with pytest.raises(TypeError, match="not JSON serializable"):
        JSONResponse({"big": huge, "other": object()})

    app = App(security=False)

    @app.get("/echo/{number:int}")
    async def echo(number: int) -> dict[str, int]:
        return {"number": number}

    response = TestClient(app).get(f"/echo/{huge}")
    assert response.status_code == 200
    assert response.content == b'{"number":%d}' % huge
