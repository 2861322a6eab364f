"""Pattern syntax: what parses, and the errors for what does not."""

from __future__ import annotations

import pytest

from fastcore.exceptions import RouteError
from fastcore.routing import Router, parse_pattern
from fastcore.routing.converters import IntConverter, PathConverter, StringConverter


def test_static_and_typed_segments() -> None:
    parsed = parse_pattern("/users/{user_id:int}/posts/{slug}")
    assert parsed.segments[0] == "users"
    assert parsed.segments[2] == "posts"
    user_id, slug = parsed.params
    assert (user_id.name, user_id.converter_name) == ("user_id", "int")
    assert isinstance(user_id.converter, IntConverter)
    assert (slug.name, slug.converter_name) == ("slug", "str")
    assert isinstance(slug.converter, StringConverter)
    assert not parsed.is_static


def test_root_and_trailing_slash_are_distinct_shapes() -> None:
    assert parse_pattern("/").segments == ("",)
    assert parse_pattern("/a").segments == ("a",)
    assert parse_pattern("/a/").segments == ("a", "")
    assert parse_pattern("/a/").is_static


def test_unicode_static_text_is_written_decoded() -> None:
    assert parse_pattern("/café/a b").segments == ("café", "a b")


def test_path_parameter_last() -> None:
    parsed = parse_pattern("/files/{rest:path}")
    assert isinstance(parsed.params[0].converter, PathConverter)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("users", "must be a str starting with '/'"),
        ("", "must be a str starting with '/'"),
        ("/a//b", "empty segment"),
        ("/a/{id", "unbalanced brace"),
        ("/a/id}", "unbalanced brace"),
        ("/a/{{id}}", "unbalanced brace"),
        ("/a/x{id}", "does not fill its whole segment"),
        ("/a/{id}.json", "does not fill its whole segment"),
        ("/a/{}", "empty parameter name"),
        ("/a/{:int}", "empty parameter name"),
        ("/a/{1x}", "not an identifier"),
        ("/a/{x:}", "empty converter"),
        ("/a/{x}/{x:int}", "duplicate parameter name 'x'"),
        ("/a/{rest:path}/b", "must be the last segment"),
        ("/a/{x:nosuch}", "unknown converter 'nosuch'"),
        ("/caf%C3%A9", "character '%'"),
        ("/a?b", "character '?'"),
        ("/a#b", "character '#'"),
        ("/a/../b", "can never be requested"),
        ("/./b", "can never be requested"),
        ("/a\x00b", "character '\\x00'"),
    ],
)
def test_bad_patterns_raise_route_error(pattern: str, message: str) -> None:
    with pytest.raises(RouteError, match=None) as info:
        parse_pattern(pattern)
    assert message in str(info.value)
    assert repr(pattern) in str(info.value) or not pattern.startswith("/")


def test_error_names_the_column() -> None:
    with pytest.raises(RouteError, match="at column 8"):
        parse_pattern("/users/{id:nosuch}")


def test_router_add_reports_pattern_errors() -> None:
    router = Router()
    with pytest.raises(RouteError, match="unknown converter 'nosuch'"):
        router.add("/a/{x:nosuch}", "endpoint")
    assert router.routes == []


def test_unknown_converter_error_lists_known_ones() -> None:
    with pytest.raises(RouteError, match="known converters: .*int.*uuid"):
        parse_pattern("/a/{x:integer}")
