"""Matching through the public Router API: status, params, priority, encoding."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from urllib.parse import quote

import pytest

from fastcore.exceptions import RouteError
from fastcore.routing import Router


def frozen(*routes: tuple[str, str] | tuple[str, str, Iterable[str]], **options: bool) -> Router:
    router = Router(**options)
    for route in routes:
        pattern, endpoint, *methods = route
        router.add(pattern, endpoint, *methods)
    router.freeze()
    return router


def test_static_route_found() -> None:
    router = frozen(("/about", "about"))
    match = router.match("GET", "/about")
    assert match.status == 200
    assert match.endpoint == "about"
    assert match.route is router.routes[0]
    assert match.params == {}
    assert match.redirect_to is None
    assert match.auto_options is False


def test_root_route() -> None:
    router = frozen(("/", "home"))
    assert router.match("GET", "/").endpoint == "home"
    assert router.match("GET", "").status == 404
    assert router.match("GET", "*").status == 404


def test_typed_params_are_converted() -> None:
    router = frozen(
        ("/users/{user_id:int}/posts/{slug}", "post"),
        ("/price/{amount:float}", "price"),
        ("/orders/{order:uuid}", "order"),
        ("/tags/{tag:slug}", "tag"),
        ("/files/{rest:path}", "file"),
    )
    assert router.match("GET", "/users/42/posts/hello").params == {"user_id": 42, "slug": "hello"}
    assert router.match("GET", "/price/3.25").params == {"amount": 3.25}
    assert router.match("GET", "/price/7").params == {"amount": 7.0}
    value = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    match = router.match("GET", "/orders/12345678-9ABC-def0-1234-56789abcdef0")
    assert match.params == {"order": value}
    assert type(match.params["order"]) is uuid.UUID
    assert router.match("GET", "/tags/my-tag_2").params == {"tag": "my-tag_2"}
    assert router.match("GET", "/files/a/b/c.txt").params == {"rest": "a/b/c.txt"}
    big = "123456789012345678901234567890"
    assert router.match("GET", f"/users/{big}/posts/x").params["user_id"] == int(big)


@pytest.mark.parametrize(
    "path",
    [
        "/users/-1/posts/x",
        "/users/1.5/posts/x",
        "/users//posts/x",
        "/users/ 1/posts/x",
        "/users/١٢/posts/x",  # Arabic-Indic digits are not ASCII digits
        "/price/.5",
        "/price/5.",
        "/price/1e5",
        "/price/nan",
        "/price/1.2.3",
        "/orders/12345678-9abc-def0-1234-56789abcdef",
        "/orders/12345678x9abc-def0-1234-56789abcdef0",
        "/orders/g2345678-9abc-def0-1234-56789abcdef0",
        "/tags/a.b",
        "/tags/caf%C3%A9",
        "/files/",
    ],
)
def test_converters_refuse_bad_segments(path: str) -> None:
    router = frozen(
        ("/users/{user_id:int}/posts/{slug}", "post"),
        ("/price/{amount:float}", "price"),
        ("/orders/{order:uuid}", "order"),
        ("/tags/{tag:slug}", "tag"),
        ("/files/{rest:path}", "file"),
    )
    assert router.match("GET", path).status == 404


def test_priority_static_then_typed_then_str_then_path() -> None:
    router = frozen(
        ("/items/{rest:path}", "path"),
        ("/items/{name}", "str"),
        ("/items/{tag:slug}", "slug"),
        ("/items/{key:uuid}", "uuid"),
        ("/items/{amount:float}", "float"),
        ("/items/{item_id:int}", "int"),
        ("/items/new", "static"),
    )
    assert router.match("GET", "/items/new").endpoint == "static"
    assert router.match("GET", "/items/7").endpoint == "int"
    assert router.match("GET", "/items/7.5").endpoint == "float"
    key = "12345678-9abc-def0-1234-56789abcdef0"
    assert router.match("GET", f"/items/{key}").endpoint == "uuid"
    assert router.match("GET", "/items/some-slug").endpoint == "slug"
    assert router.match("GET", "/items/a%20b").endpoint == "str"
    assert router.match("GET", "/items/a/b").endpoint == "path"


def test_search_backtracks_from_a_static_dead_end() -> None:
    router = frozen(("/a/b/{y}/e", "static-first"), ("/a/{x}/c/d", "param"))
    match = router.match("GET", "/a/b/c/d")
    assert match.endpoint == "param"
    assert match.params == {"x": "b"}
    assert router.match("GET", "/a/b/c/e").params == {"y": "c"}


def test_static_route_with_other_method_falls_through_to_dynamic() -> None:
    router = frozen(("/users/me", "me"), ("/users/{name}", "delete", ["DELETE"]))
    assert router.match("GET", "/users/me").endpoint == "me"
    match = router.match("DELETE", "/users/me")
    assert match.status == 200
    assert match.endpoint == "delete"
    assert match.params == {"name": "me"}


def test_method_picks_the_route_that_accepts_it() -> None:
    router = frozen(("/a/{n:int}", "get-int"), ("/a/{s}", "post-str", ["POST"]))
    assert router.match("GET", "/a/5").endpoint == "get-int"
    assert router.match("POST", "/a/5").endpoint == "post-str"
    assert router.match("GET", "/a/x").status == 405


def test_404_and_405_with_allowed() -> None:
    router = frozen(("/things/{n:int}", "get"), ("/things/{n:int}", "put", ["PUT", "patch"]))
    assert router.match("GET", "/nothing").status == 404
    assert router.match("GET", "/things/x").status == 404
    match = router.match("DELETE", "/things/3")
    assert match.status == 405
    assert match.route is None and match.endpoint is None
    assert match.allowed == ("GET", "HEAD", "OPTIONS", "PATCH", "PUT")


def test_405_on_static_route() -> None:
    router = frozen(("/login", "form"), ("/login", "submit", ["POST"]))
    match = router.match("PUT", "/login")
    assert match.status == 405
    assert match.allowed == ("GET", "HEAD", "OPTIONS", "POST")


def test_405_allowed_is_the_union_over_matching_routes() -> None:
    router = frozen(("/a/{n:int}", "int", ["GET"]), ("/a/{s}", "str", ["POST"]))
    assert router.match("PUT", "/a/1").allowed == ("GET", "HEAD", "OPTIONS", "POST")
    assert router.match("PUT", "/a/x").allowed == ("OPTIONS", "POST")


def test_head_served_by_get_unless_defined() -> None:
    router = frozen(("/page", "get"), ("/other", "get2"), ("/other", "head2", ["HEAD"]))
    match = router.match("HEAD", "/page")
    assert match.status == 200 and match.endpoint == "get"
    assert router.match("HEAD", "/other").endpoint == "head2"
    post_only = frozen(("/form", "post", ["POST"]))
    assert post_only.match("HEAD", "/form").status == 405


def test_automatic_options() -> None:
    router = frozen(("/page/{n:int}", "get"), ("/page/{n:int}", "post", ["POST"]))
    match = router.match("OPTIONS", "/page/1")
    assert match.status == 200
    assert match.endpoint is None and match.route is None
    assert match.auto_options is True
    assert match.allowed == ("GET", "HEAD", "OPTIONS", "POST")
    assert router.match("OPTIONS", "/page/x").status == 404


def test_explicit_options_route_wins() -> None:
    router = frozen(("/page", "get"), ("/page", "options", ["OPTIONS"]))
    match = router.match("OPTIONS", "/page")
    assert match.endpoint == "options"
    assert match.auto_options is False


def test_trailing_slash_is_strict_by_default() -> None:
    router = frozen(("/a", "a"), ("/b/", "b"))
    assert router.match("GET", "/a/").status == 404
    assert router.match("GET", "/b").status == 404


def test_redirect_slashes() -> None:
    router = frozen(
        ("/a", "a"),
        ("/b/", "b"),
        ("/c/{n:int}", "c"),
        ("/both", "x"),
        ("/both/", "y"),
        redirect_slashes=True,
    )
    match = router.match("GET", "/a/")
    assert (match.status, match.redirect_to, match.endpoint) == (308, "/a", None)
    assert router.match("GET", "/b").redirect_to == "/b/"
    assert router.match("POST", "/c/5/").redirect_to == "/c/5"
    assert router.match("GET", "/c/x/").status == 404
    assert router.match("GET", "/both/").endpoint == "y"
    assert router.match("GET", "/caf%C3%A9/").status == 404
    assert router.match("GET", "/").status == 404


def test_percent_encoded_segments_match_decoded_text() -> None:
    router = frozen(("/café/{name}", "cafe"), ("/a b", "space"))
    assert router.match("GET", "/caf%C3%A9/Zo%C3%AB").params == {"name": "Zoë"}
    assert router.match("GET", "/a%20b").endpoint == "space"
    assert router.match("GET", "/caf%c3%a9/x").endpoint == "cafe"


def test_encoded_slash_never_splits_a_segment() -> None:
    router = frozen(("/a/b", "static"), ("/a/{x}", "one"), ("/a/{x}/{y}", "two"))
    assert router.match("GET", "/a%2Fb").status == 404
    match = router.match("GET", "/a/b%2Fc")
    assert match.endpoint == "one"
    assert match.params == {"x": "b/c"}
    assert router.match("GET", "/a/b%2fc/d").params == {"x": "b/c", "y": "d"}


def test_bad_percent_encoding() -> None:
    router = frozen(("/a/{x}", "one"))
    assert router.match("GET", "/a/%FF").status == 404  # not UTF-8
    assert router.match("GET", "/a/%zz").params == {"x": "%zz"}  # not an escape: literal
    assert router.match("GET", "/a/100%").params == {"x": "100%"}


@pytest.mark.parametrize(
    "path",
    [
        "/files/..",
        "/files/a/../../etc/passwd",
        "/files/%2E%2E/secret",
        "/files/a%2F..%2F..%2Fb",
        "/files/a/..%5C..%5Cb",
        "/files//etc/passwd",
        "/files/%2Fetc/passwd",
        "/files/%5Cetc",
        "/files/a%00b",
    ],
)
def test_path_parameter_never_escapes(path: str) -> None:
    router = frozen(("/files/{rest:path}", "file"))
    assert router.match("GET", path).status == 404


def test_path_parameter_keeps_harmless_dots() -> None:
    router = frozen(("/files/{rest:path}", "file"))
    assert router.match("GET", "/files/a..b/.c/x.").params == {"rest": "a..b/.c/x."}
    assert router.match("GET", "/files/dir/").params == {"rest": "dir/"}


def test_empty_segments_match_no_parameter() -> None:
    router = frozen(("/a/{x}/b", "x"))
    assert router.match("GET", "/a//b").status == 404


def test_match_before_freeze_is_an_error() -> None:
    router = Router()
    router.add("/", "home")
    with pytest.raises(RouteError, match="freeze"):
        router.match("GET", "/")


def test_user_converter_from_functions() -> None:
    from fastcore.routing.converters import get_converter, register_converter

    try:
        converter = get_converter("test_hexcolor")
    except RouteError:
        converter = register_converter(
            "test_hexcolor",
            regex="[0-9a-f]{6}",
            to_python=lambda text: int(text, 16),
            to_url=lambda value: format(value, "06x"),
        )
    router = Router()
    router.add("/color/{c:test_hexcolor}", "color", name="color")
    router.add("/color/{name}", "named")
    router.freeze()
    assert router.match("GET", "/color/ff0000").params == {"c": 0xFF0000}
    assert router.match("GET", "/color/red").endpoint == "named"
    assert router.url_for("color", c=255) == "/color/0000ff"
    assert converter.weight == 50


def test_long_static_paths_and_unusual_methods() -> None:
    long_path = "/" + "x" * 300
    router = frozen((long_path, "long"), ("/a", "purge", ["PURGE"]), ("/a/{n:int}", "m", ["MKCOL"]))
    assert router.match("GET", long_path).endpoint == "long"
    assert router.match("PURGE", "/a").endpoint == "purge"
    assert router.match("MKCOL", "/a/1").endpoint == "m"
    assert router.match("get", "/a").status == 405  # methods are case-sensitive
    assert router.match("GET", "/a").allowed == ("OPTIONS", "PURGE")


def test_many_static_siblings() -> None:
    # Past a few dozen siblings a node switches from scanning to hashing.
    router = Router()
    for index in range(300):
        router.add(f"/api/res{index}/{{item_id:int}}", index)
    router.add("/api/res7x/{name}", "other")
    router.freeze()
    assert router.match("GET", "/api/res299/5").endpoint == 299
    assert router.match("GET", "/api/res7/5").params == {"item_id": 5}
    assert router.match("GET", "/api/res7x/5").endpoint == "other"
    assert router.match("GET", "/api/res300/5").status == 404


def test_wide_node_with_non_ascii_siblings() -> None:
    # A wide node hashes its children's code points: a key and a segment
    # stored at different widths (one byte, two, four) must still meet.
    names = [f"s{index}" for index in range(20)] + ["café", "ĉapo", "日本", "😀x", "ca"]
    router = Router()
    for name in names:
        router.add(f"/w/{name}/{{n:int}}", name)
    router.freeze()
    for name in names:
        found = router.match("GET", f"/w/{quote(name)}/3")
        assert (found.endpoint, found.params) == (name, {"n": 3})
    assert router.match("GET", "/w/caf/3").status == 404
    assert router.match("GET", "/w/cafe/3").status == 404
    assert router.match("GET", "/w/%E6%97%A5/3").status == 404


def test_a_miss_leaves_later_matches_alone() -> None:
    # Every 404 is one shared answer: its params stay empty whatever was
    # matched before or after it.
    router = frozen(("/a/{x}", "a"))
    first = router.match("GET", "/nope")
    assert router.match("GET", "/a/1").params == {"x": "1"}
    second = router.match("GET", "/b/c")
    assert (first.status, first.params, first.endpoint) == (404, {}, None)
    assert (second.status, second.params, second.allowed) == (404, {}, ())


def test_paths_deeper_than_every_route_below_a_place() -> None:
    # Backtracking through deeper and shallower branches: a path longer or
    # shorter than every route below a place is a 404, a `path` route still
    # takes any depth.
    router = frozen(
        ("/a/{x}", "short"),
        ("/a/{x}/b/{y:int}", "long", ("POST",)),
        ("/a/static/{z}/c/d", "static"),
        ("/files/{name}/{rest:path}", "files"),
        ("/", "root"),
    )
    assert router.match("GET", "/a/1").endpoint == "short"
    assert router.match("GET", "/a/1/b/2/c").status == 404
    assert router.match("GET", "/a/1/b/2").status == 405
    assert router.match("POST", "/a/1/b/2").params == {"x": "1", "y": 2}
    assert router.match("GET", "/a/static/q/c/d").endpoint == "static"
    assert router.match("GET", "/a/static/q/c/d/e").status == 404
    assert router.match("GET", "/a/static/q/c").status == 404
    deep = "/files/n/" + "/".join("s" * 60)
    assert router.match("GET", deep).params == {"name": "n", "rest": "/".join("s" * 60)}
    assert router.match("GET", "/x/y").status == 404
    assert router.match("GET", "/").endpoint == "root"


def test_routes_and_paths_deeper_than_sixty_three_segments() -> None:
    # Depths past 63 segments are one class for the search: routes of 70 and
    # 71 segments and a `path` route below 65 segments still match exactly.
    seventy = "/" + "/".join(f"s{i}" for i in range(69)) + "/{last:int}"
    router = frozen(
        (seventy, "seventy"),
        (seventy + "/tail", "seventy-one", ("POST",)),
        ("/" + "/".join(f"s{i}" for i in range(65)) + "/{rest:path}", "rest"),
    )
    base = "/" + "/".join(f"s{i}" for i in range(69))
    assert router.match("GET", base + "/7").params == {"last": 7}
    assert router.match("POST", base + "/7/tail").endpoint == "seventy-one"
    refused = router.match("DELETE", base + "/7/tail")
    assert (refused.status, refused.allowed) == (405, ("GET", "HEAD", "OPTIONS", "POST"))
    assert router.match("GET", base + "/7/tail/more").params == {
        "rest": "s65/s66/s67/s68/7/tail/more"
    }
    assert router.match("GET", base).params == {"rest": "s65/s66/s67/s68"}
    assert router.match("GET", "/" + "/".join(f"s{i}" for i in range(65))).status == 404
    assert router.match("GET", base + "/x").params == {"rest": "s65/s66/s67/s68/x"}
