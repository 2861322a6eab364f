"""Router properties, checked with hypothesis against a plain-Python oracle.

The oracle matches a path route by route with each converter's regex and
``to_python`` (``Converter.convert``), independently of the compiled fast
paths, and picks the winner by the documented priority: at the first segment
where two routes differ, static beats every parameter, and parameters go by
(weight, converter name).
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastcore.routing import Route, Router
from fastcore.routing.converters import get_converter, register_converter
from fastcore.routing.rules import Param

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS")

try:
    get_converter("prop_hex")
except Exception:
    register_converter(
        "prop_hex",
        regex="[0-9a-f]{1,8}",
        to_python=lambda text: int(text, 16),
        to_url=lambda value: format(value, "x"),
        weight=15,
    )

# ---- the oracle -----------------------------------------------------------------


def _decoded_segments(path: str) -> list[str] | None:
    try:
        return [unquote(part, errors="strict") for part in path.split("/")[1:]]
    except UnicodeDecodeError:
        return None


def _safe_relative(value: str) -> bool:
    if not value or value[0] in "/\\" or "\x00" in value:
        return False
    return ".." not in re.split(r"[/\\]", value)


def _oracle_params(route: Route, segments: list[str]) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    pattern = route.parsed.segments
    for index, part in enumerate(pattern):
        if isinstance(part, Param) and part.converter_name == "path":
            value = "/".join(segments[index:])
            if not _safe_relative(value):
                return None
            params[part.name] = value
            return params
        if index >= len(segments):
            return None
        segment = segments[index]
        if isinstance(part, str):
            if part != segment:
                return None
            continue
        if not segment:
            return None
        try:
            params[part.name] = part.converter.convert(segment)
        except ValueError:
            return None
    return params if len(pattern) == len(segments) else None


def _priority(route: Route) -> tuple[tuple[int, str], ...]:
    return tuple(
        (part.converter.weight, part.converter_name) if isinstance(part, Param) else (0, "")
        for part in route.parsed.segments
    )


def _accepts(route: Route, method: str, routes: list[Route], path_routes: list[Route]) -> bool:
    if method in route.methods:
        return True
    # HEAD falls back to GET at the same tree place (same shape), unless a HEAD
    # route exists there.
    if method == "HEAD" and "GET" in route.methods:
        return not any(
            "HEAD" in other.methods and other.parsed.shape == route.parsed.shape for other in routes
        )
    return False


def oracle(routes: list[Route], method: str, path: str) -> tuple[int, Route | None, dict[str, Any]]:
    segments = _decoded_segments(path) if path.startswith("/") else None
    if segments is None:
        return 404, None, {}
    matching = []
    for route in routes:
        params = _oracle_params(route, segments)
        if params is not None:
            matching.append((route, params))
    if not matching:
        return 404, None, {}
    path_routes = [route for route, _ in matching]
    accepted = [(r, p) for r, p in matching if _accepts(r, method, routes, path_routes)]
    if not accepted:
        return (200 if method == "OPTIONS" else 405), None, {}
    route, params = min(accepted, key=lambda pair: _priority(pair[0]))
    return 200, route, params


# ---- strategies -------------------------------------------------------------------

STATIC_WORDS = ("users", "repos", "a", "new", "5", "x y", "café", "")
CONVERTERS = ("str", "int", "float", "uuid", "slug", "prop_hex", "path")


@st.composite
def patterns(draw: st.DrawFn) -> str:
    length = draw(st.integers(1, 4))
    parts = []
    for index in range(length):
        if draw(st.booleans()):
            word = draw(st.sampled_from(STATIC_WORDS))
            if word == "" and index != length - 1:
                word = "z"
            parts.append(word)
        else:
            converter = draw(st.sampled_from(CONVERTERS))
            if converter == "path" and index != length - 1:
                converter = "str"
            # Names by position: equal shapes are equal patterns, never ambiguous.
            parts.append(f"{{p{index}:{converter}}}")
    return "/" + "/".join(parts)


route_specs = st.lists(
    st.tuples(patterns(), st.sampled_from(METHODS[:4])), min_size=1, max_size=12, unique=True
)

text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
path_values = st.lists(
    text_values.filter(lambda s: "/" not in s and "\\" not in s and "\x00" not in s and s != ".."),
    min_size=1,
    max_size=3,
).map("/".join)
VALUES = {
    "str": text_values,
    "int": st.integers(0, 10**25),
    "float": st.floats(min_value=0, max_value=1e30, allow_nan=False, allow_infinity=False),
    "uuid": st.uuids(),
    "slug": st.from_regex(r"[-a-zA-Z0-9_]{1,8}", fullmatch=True),
    "prop_hex": st.integers(0, 0xFFFFFFFF),
    "path": path_values,
}
JUNK_SEGMENTS = ("users", "5", "5.5", "x%20y", "caf%C3%A9", "%2F", "..", "", "%FF", "new", "z",
                 "12345678-9abc-def0-1234-56789abcdef0", "ab-c", "a", "%2E%2E")  # fmt: skip


def build(specs: list[tuple[str, str]], order: list[int] | None = None) -> Router:
    router = Router()
    indexes = order if order is not None else list(range(len(specs)))
    for index in indexes:
        pattern, method = specs[index]
        router.add(pattern, (pattern, method), [method], name=f"r{index}")
    router.freeze()
    return router


def summary(match: Any) -> tuple[Any, ...]:
    route = match.route.pattern if match.route is not None else None
    return (match.status, route, match.params, match.allowed, match.auto_options)


# ---- properties -------------------------------------------------------------------


@SETTINGS
@given(specs=route_specs, data=st.data())
def test_url_for_then_match_round_trips(specs: list[tuple[str, str]], data: st.DataObject) -> None:
    router = build(specs)
    for route in router.routes:
        params = {
            param.name: data.draw(VALUES[param.converter_name]) for param in route.parsed.params
        }
        assert route.name is not None
        url = router.url_for(route.name, **params)
        method = next(iter(route.methods))
        match = router.match(method, url)
        assert match.status == 200, (url, router.dump())
        # The winner may be a higher-priority route of the same method that
        # also matches; the oracle says which. With a unique shape it is ours.
        expected = oracle(router.routes, method, url)
        assert match.route is expected[1], (url, router.dump())
        assert match.params == expected[2]
        if match.route is route:
            assert match.params == params or _floats_equal(match.params, params)


def _floats_equal(got: dict[str, Any], want: dict[str, Any]) -> bool:
    return all(got[key] == (float(value) if isinstance(value, int) else value)
               for key, value in want.items())  # fmt: skip


@SETTINGS
@given(specs=route_specs, data=st.data())
def test_unique_routes_round_trip_exactly(
    specs: list[tuple[str, str]], data: st.DataObject
) -> None:
    # A unique leading static segment per route removes every overlap.
    unique = [(f"/u{index}{pattern}", method) for index, (pattern, method) in enumerate(specs)]
    router = build(unique)
    for route in router.routes:
        params = {p.name: data.draw(VALUES[p.converter_name]) for p in route.parsed.params}
        assert route.name is not None
        match = router.match(next(iter(route.methods)), router.url_for(route.name, **params))
        assert match.route is route
        assert match.params == {
            name: float(value) if route.param_types[name] is float else value
            for name, value in params.items()
        }


@SETTINGS
@given(specs=route_specs, data=st.data())
def test_match_agrees_with_the_oracle(specs: list[tuple[str, str]], data: st.DataObject) -> None:
    # Covers "static beats dynamic", "405 exactly when another method matches
    # the path" and HEAD/OPTIONS, on built URLs and on junk paths.
    router = build(specs)
    paths = []
    for route in router.routes:
        params = {p.name: data.draw(VALUES[p.converter_name]) for p in route.parsed.params}
        assert route.name is not None
        paths.append(router.url_for(route.name, **params))
    junk = data.draw(st.lists(st.lists(st.sampled_from(JUNK_SEGMENTS), max_size=4), max_size=6))
    paths.extend("/" + "/".join(parts) for parts in junk)
    for path in paths:
        for method in METHODS:
            status, route, params = oracle(router.routes, method, path)
            match = router.match(method, path)
            assert match.status == status, (method, path, router.dump())
            assert match.route is route, (method, path, router.dump())
            assert match.params == params
            if status == 405 or (status == 200 and route is None):
                allowed = set()
                for other in router.routes:
                    if _oracle_params(other, _decoded_segments(path) or []) is not None:
                        allowed |= other.methods | ({"HEAD"} if "GET" in other.methods else set())
                assert set(match.allowed) == allowed | {"OPTIONS"}
                assert match.auto_options == (method == "OPTIONS")


@SETTINGS
@given(specs=route_specs, seed=st.integers(0, 2**32), data=st.data())
def test_registration_order_does_not_matter(
    specs: list[tuple[str, str]], seed: int, data: st.DataObject
) -> None:
    order = list(range(len(specs)))
    random.Random(seed).shuffle(order)
    first, second = build(specs), build(specs, order)
    assert first.dump() == second.dump()
    junk = data.draw(st.lists(st.lists(st.sampled_from(JUNK_SEGMENTS), max_size=4), max_size=8))
    for parts in junk:
        path = "/" + "/".join(parts)
        for method in METHODS:
            assert summary(first.match(method, path)) == summary(second.match(method, path))


@SETTINGS
@given(
    specs=route_specs, static=st.sampled_from(STATIC_WORDS[:6]), method=st.sampled_from(METHODS[:4])
)
def test_static_beats_dynamic(specs: list[tuple[str, str]], static: str, method: str) -> None:
    pattern = f"/{static}/{static}"
    router = Router()
    router.add(pattern, "static", [method])
    for pattern_, method_ in specs:
        if (pattern_, method_) != (pattern, method):
            router.add(pattern_, "dynamic", [method_])
    router.freeze()
    match = router.match(method, router.routes[0].url_path())
    assert match.endpoint == "static"


def test_uuid_values_are_real_uuids() -> None:
    router = Router()
    router.add("/{key:uuid}", "k")
    router.freeze()
    value = uuid.uuid4()
    got = router.match("GET", f"/{value}").params["key"]
    assert got == value and hash(got) == hash(value) and str(got) == str(value)
    assert got.version == value.version and got.is_safe == uuid.SafeUUID.unknown
