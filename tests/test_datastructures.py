"""Headers, query parameters, URLs and cookie-header parsing."""

from __future__ import annotations

import pytest

from fastcore.datastructures import URL, Headers, MutableHeaders, QueryParams, parse_cookie_header


def test_headers_are_case_insensitive_multi_dicts() -> None:
    headers = Headers(raw=[(b"accept", b"a"), (b"x-tag", b"1"), (b"x-tag", b"2")])
    assert headers["Accept"] == "a"
    assert headers["X-TAG"] == "1"
    assert headers.getlist("x-tag") == ["1", "2"]
    assert "ACCEPT" in headers and "missing" not in headers and 3 not in headers
    assert list(headers) == ["accept", "x-tag"]
    assert len(headers) == 2
    with pytest.raises(KeyError):
        headers["missing"]
    assert Headers({"A": "1"}) == Headers(raw=[(b"a", b"1")])


def test_mutable_headers_edit_the_shared_list() -> None:
    raw: list[tuple[bytes, bytes]] = [(b"x", b"1"), (b"x", b"2")]
    headers = MutableHeaders(raw=raw)
    headers["X"] = "3"
    assert raw == [(b"x", b"3")]
    headers.append("y", "4")
    del headers["x"]
    assert raw == [(b"y", b"4")]
    assert headers.setdefault("y", "5") == "4"
    with pytest.raises(KeyError):
        del headers["x"]


def test_query_params() -> None:
    params = QueryParams("a=1&a=2&b=&c=%20x")
    assert params["a"] == "2"
    assert params.getlist("a") == ["1", "2"]
    assert params["b"] == ""
    assert params["c"] == " x"
    assert str(QueryParams({"q": "a b"})) == "q=a+b"
    assert QueryParams([("k", "v")]) == QueryParams("k=v")


def test_url_parts() -> None:
    url = URL("http", "example.com:8080", "/p%20q", "x=1")
    assert (url.hostname, url.port) == ("example.com", 8080)
    assert str(url) == "http://example.com:8080/p%20q?x=1"
    assert str(url.replace_query(y=[1, 2])) == "http://example.com:8080/p%20q?y=1&y=2"
    v6 = URL("https", "[::1]:443", "/")
    assert (v6.hostname, v6.port) == ("::1", 443)
    assert URL("http", "h", "/").port is None


def test_cookie_header_parsing_tolerates_junk() -> None:
    assert parse_cookie_header('a=1; b="two"; junk; =x; c=%3D; a=ignored') == {
        "a": "1",
        "b": "two",
        "c": "=",
    }
    assert parse_cookie_header(None) == {}
