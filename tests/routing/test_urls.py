"""url_for: encoding, type checks and errors."""

from __future__ import annotations

import uuid

import pytest

from fastcore.exceptions import RouteError
from fastcore.routing import Router, URLBuildError, quote_segment
from fastcore.routing.urls import build_path


@pytest.fixture
def router() -> Router:
    router = Router()
    router.add("/", "home", name="home")
    router.add("/users/{user_id:int}", "user", name="user")
    router.add("/search/{term}", "search", name="search")
    router.add("/price/{amount:float}", "price", name="price")
    router.add("/orders/{order:uuid}", "order", name="order")
    router.add("/tags/{tag:slug}", "tag", name="tag")
    router.add("/files/{rest:path}", "file", name="file")
    router.add("/café", "cafe", name="cafe")
    return router


def test_url_for_basic(router: Router) -> None:
    assert router.url_for("home") == "/"
    assert router.url_for("user", user_id=42) == "/users/42"
    assert router.url_for("cafe") == "/caf%C3%A9"
    assert router.url_for("tag", tag="a-b_c") == "/tags/a-b_c"
    key = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    assert router.url_for("order", order=key) == f"/orders/{key}"
    assert router.url_for("order", order=str(key).upper()) == f"/orders/{key}"


def test_url_for_works_before_and_after_freeze(router: Router) -> None:
    before = router.url_for("user", user_id=1)
    router.freeze()
    assert router.url_for("user", user_id=1) == before


@pytest.mark.parametrize(
    ("term", "encoded"),
    [
        ("a b", "a%20b"),
        ("a/b", "a%2Fb"),
        ("100%", "100%25"),
        ("q?x#y", "q%3Fx%23y"),
        ("Zoë", "Zo%C3%AB"),
        ("a:b@c!$&'()*+,;=", "a:b@c!$&'()*+,;="),
        (".", "%2E"),
        ("..", "%2E%2E"),
        ("...", "..."),
    ],
)
def test_str_params_are_percent_encoded(router: Router, term: str, encoded: str) -> None:
    url = router.url_for("search", term=term)
    assert url == f"/search/{encoded}"
    router.freeze()
    assert router.match("GET", url).params == {"term": term}


def test_path_params_keep_their_slashes(router: Router) -> None:
    assert router.url_for("file", rest="docs/a b/./x.txt") == "/files/docs/a%20b/%2E/x.txt"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (1.5, "1.5"),
        (3, "3.0"),
        (1e-7, "0.0000001"),
        (1e22, "10000000000000000000000"),
        (0.0, "0.0"),
    ],
)
def test_float_urls_never_use_exponents(router: Router, value: float, encoded: str) -> None:
    url = router.url_for("price", amount=value)
    assert url == f"/price/{encoded}"
    router.freeze()
    assert router.match("GET", url).params == {"amount": float(value)}


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nosuch", {}, "no route named 'nosuch'"),
        ("user", {}, "missing parameter.*user_id"),
        ("user", {"user_id": 1, "extra": 2}, "unexpected parameter.*extra"),
        ("user", {"user_id": "1"}, "user_id.*non-negative int"),
        ("user", {"user_id": -1}, "non-negative int"),
        ("user", {"user_id": True}, "non-negative int"),
        ("search", {"term": ""}, "non-empty str"),
        ("search", {"term": 5}, "non-empty str"),
        ("price", {"amount": float("inf")}, "finite"),
        ("price", {"amount": -1.0}, "non-negative"),
        ("price", {"amount": "1.0"}, "expected a float"),
        ("order", {"order": "not-a-uuid"}, "expected a UUID"),
        ("order", {"order": 5}, "expected a uuid.UUID"),
        ("tag", {"tag": "no spaces"}, "does not match"),
        ("file", {"rest": "../etc/passwd"}, r"'\.\.' component"),
        ("file", {"rest": "a\\..\\b"}, r"'\.\.' component"),
        ("file", {"rest": "/etc/passwd"}, "relative"),
        ("file", {"rest": "a\x00"}, "NUL"),
        ("file", {"rest": ""}, "non-empty"),
    ],
)
def test_url_for_errors(router: Router, name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(URLBuildError, match=message) as info:
        router.url_for(name, **params)
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, RouteError)


def test_url_for_error_names_the_route(router: Router) -> None:
    with pytest.raises(URLBuildError, match=r"Route\('/users/\{user_id:int\}'.*name='user'"):
        router.url_for("user")


def test_quote_segment() -> None:
    assert quote_segment("a/b c") == "a%2Fb%20c"
    assert quote_segment("~_.-") == "~_.-"


class _Text(str):
    """A str subclass: the prepared builder must not take it as a plain str."""


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "octo", "repo": "hello-world", "number": 1347},
        {"owner": "a b", "repo": "Zoë", "number": 0},
        {"owner": ".", "repo": "..", "number": 7},
        {"owner": "...", "repo": "a:b@c!$&'()*+,;=~", "number": 10**30},
        {"owner": _Text("x/y"), "repo": "r", "number": 1},
        {"owner": "o", "repo": "", "number": 1},
        {"owner": "o", "repo": 5, "number": 1},
        {"owner": "o", "repo": "r", "number": True},
        {"owner": "o", "repo": "r", "number": -1},
        {"owner": "o", "repo": "r", "number": "1"},
        {"owner": "o", "repo": "r"},
        {"owner": "o", "repo": "r", "number": 1, "extra": 2},
        {"owner": "o", "repo": "r", "numbr": 1},
    ],
)
def test_prepared_builder_agrees_with_build_path(params: dict[str, object]) -> None:
    # url_for uses a builder prepared once per route, with fast paths for
    # plain values; build_path is the reference it must equal, errors included.
    router = Router()
    route = router.add("/repos/{owner}/{repo}/issues/{number:int}/", None, name="issue")
    try:
        expected: str | None = build_path(route.parsed, params, repr(route))
    except URLBuildError as exc:
        with pytest.raises(URLBuildError) as info:
            router.url_for("issue", **params)
        assert str(info.value) == str(exc)
    else:
        assert router.url_for("issue", **params) == expected
        router.freeze()
        assert router.match("GET", expected).params == params


def test_slug_fast_path_still_checks_the_slug(router: Router) -> None:
    assert router.url_for("tag", tag="release-1_2") == "/tags/release-1_2"
    with pytest.raises(URLBuildError, match="does not match"):
        router.url_for("tag", tag="a.b")


def test_a_str_converter_subclass_keeps_its_own_to_url() -> None:
    from fastcore.routing.converters import StringConverter

    class Shouting(StringConverter):  # kind "str", inherited
        def to_url(self, value: object) -> str:
            return str(value).upper()

    router = Router(converters={"shout": Shouting()})
    router.add("/say/{word:shout}", None, name="say")
    assert router.url_for("say", word="hi") == "/say/HI"
