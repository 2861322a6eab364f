"""The compiled router kernel, through its Python surface."""

from __future__ import annotations

import gc
import sys

import pytest

from fastcore._speedups.router import RadixTree
from fastcore._speedups.router import RouteMatch as KernelRouteMatch
from fastcore.routing import RouteMatch, Router


def test_the_compiled_kernel_is_in_use() -> None:
    router = Router()
    router.add("/a/{n:int}", "a")
    router.freeze()
    match = router.match("GET", "/a/1")
    assert RouteMatch is KernelRouteMatch
    assert type(match).__module__ == "fastcore._speedups.router"
    assert RadixTree.__module__ == "fastcore._speedups.router"
    module = sys.modules["fastcore._speedups.router"]
    assert module.__file__ is not None and not module.__file__.endswith(".py")
    # After freeze(), Router.match is the compiled method itself.
    assert isinstance(getattr(router.match, "__self__", None), RadixTree)


def test_route_match_is_read_only() -> None:
    match = RouteMatch(200, "route", "endpoint", {"a": 1}, ("GET",))
    assert (match.status, match.route, match.endpoint) == (200, "route", "endpoint")
    assert match.params == {"a": 1}
    assert match.allowed == ("GET",)
    assert match.redirect_to is None and match.auto_options is False
    with pytest.raises(AttributeError):
        match.status = 404  # type: ignore[misc]
    assert "status=200" in repr(match)


def test_tree_insert_and_match_directly() -> None:
    tree = RadixTree()
    tree.insert(("a", ("int", 10, "int", None)), "GET", "route", "endpoint", ("n",), "a")
    tree.insert(("b",), "POST", "static", "static-endpoint", (), "b")
    with pytest.raises(RuntimeError, match="before finalize"):
        tree.match("GET", "/a/1")
    tree.finalize()
    assert tree.match("GET", "/a/12").params == {"n": 12}
    assert tree.match("POST", "/b").endpoint == "static-endpoint"
    assert tree.match("GET", "/b").allowed == ("OPTIONS", "POST")
    with pytest.raises(RuntimeError, match="after finalize"):
        tree.insert(("c",), "GET", None, None, (), "c")


def test_tree_refuses_a_second_target_for_one_method() -> None:
    tree = RadixTree()
    tree.insert(("a",), "GET", 1, 1, (), "a")
    with pytest.raises(ValueError, match="already inserted"):
        tree.insert(("a",), "GET", 2, 2, (), "a2")


def test_custom_converter_exceptions_other_than_value_error_propagate() -> None:
    def broken(segment: str) -> object:
        raise KeyError(segment)

    tree = RadixTree()
    tree.insert(("a", ("custom", 50, "broken", broken)), "GET", 1, 1, ("x",), "a")
    tree.finalize()
    with pytest.raises(KeyError):
        tree.match("GET", "/a/x")


def test_int_fast_path_at_the_64_bit_boundary() -> None:
    router = Router()
    router.add("/n/{n:int}", "n")
    router.freeze()
    for digits in ("9" * 18, "9" * 19, "1" + "0" * 18, "0" * 30 + "7"):
        assert router.match("GET", f"/n/{digits}").params == {"n": int(digits)}


def test_int_segments_past_64_bits_convert_exactly() -> None:
    # Found by tests/fuzz/router.py under `make asan` (UBSan: signed overflow
    # while summing the digits of a long segment; corpus: router/ubsan-int-overflow).
    # The normal build shows no symptom; this pins the values around the fix.
    router = Router()
    router.add("/n/{n:int}", "n")
    router.freeze()
    for digits in ("7" * 20, "9" * 40, "1" + "0" * 30, "18446744073709551616"):
        assert router.match("GET", f"/n/{digits}").params == {"n": int(digits)}


def test_matching_does_not_leak() -> None:
    router = Router(redirect_slashes=True)
    router.add("/a/{n:int}/{s}", "a")
    router.add("/static", "s")
    router.add("/f/{p:path}", "f")
    router.add("/u/{u:uuid}", "u")
    router.freeze()
    paths = ["/a/1/x", "/static", "/f/a/b", "/nope", "/a/x/y", "/a/1/%C3%A9", "/static/",
             "/u/12345678-9abc-def0-1234-56789abcdef0", "/f/%2E%2E", "/a/1/%FF"]  # fmt: skip

    def run() -> None:
        for _ in range(200):
            for path in paths:
                router.match("GET", path)
                router.match("DELETE", path)

    run()
    gc.collect()
    before = sys.getallocatedblocks()
    run()
    gc.collect()
    assert sys.getallocatedblocks() - before < 200
