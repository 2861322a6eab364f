"""The Router: register, validate and freeze routes, then match and reverse them.

Registration runs in Python (it happens once and needs good error messages);
:meth:`Router.freeze` compiles the routes into the Cython radix tree of
``fastcore._speedups.router``, which answers every lookup.

Matching rules, in the order they are applied:

1. The path must be the raw, percent-encoded path of the request line
   (no query). It is split on ``/`` first and each segment is then decoded as
   UTF-8, so ``%2F`` stays inside its segment and never creates a new one.
   A segment that is not valid UTF-8 once decoded matches nothing (404).
2. Exact static routes are found with one dictionary lookup.
3. Otherwise the tree is searched segment by segment. At every place, a
   static segment is tried first, then typed parameters by converter weight
   (``int`` 10, ``float`` 20, ``uuid`` 30, user converters 50 by default,
   ``slug`` 80), then ``str`` (100), then ``path`` (1000, the rest of the
   path). Equal weights are tried in converter-name order. The search
   backtracks, so the first route *in that priority order* whose whole path
   matches and that accepts the method wins; registration order never matters.
4. A ``path`` value is never empty or absolute and never holds a ``..``
   component or NUL (such a request is a 404), so it cannot escape.
5. Status: 200 with the route; 405 with ``allowed`` when some route matches
   the path but none accepts the method; 404 when no route matches the path.
   ``HEAD`` uses the ``GET`` route unless a ``HEAD`` route exists. ``OPTIONS``
   without an ``OPTIONS`` route gives status 200, ``endpoint`` None,
   ``auto_options`` True and ``allowed`` so the App answers 204 with ``Allow``.
   ``allowed`` always lists ``OPTIONS``, and ``HEAD`` wherever ``GET`` is.
6. Trailing slashes are strict: ``/a`` and ``/a/`` are different routes.
   With ``redirect_slashes=True`` a 404 path whose twin with (or without) the
   trailing slash matches gives 308 and ``redirect_to`` (the twin, still
   percent-encoded; the App appends the query string).

Registration errors name both routes: the same pattern and method twice
(duplicate), two patterns of the same shape that differ only in parameter
names for one method (ambiguous), and any pattern error from
:mod:`fastcore.routing.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fastcore._speedups.router import RadixTree, RouteMatch
from fastcore.exceptions import RouteConflict, RouteError
from fastcore.routing.converters import Converter
from fastcore.routing.rules import Param, ParsedPattern, join_patterns, parse_pattern
from fastcore.routing.urls import URLBuilder, URLBuildError

__all__ = ["Route", "RouteMatch", "Router", "normalize_methods"]

#: The most parameters one pattern may have (the compiled search keeps them
#: in a fixed-size array).
MAX_PARAMS = 32

# RFC 9110 section 9.1: a method is a token.
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Route:
    """One registered route: a pattern, its methods, a name and an endpoint.

    Attributes:
        pattern: The pattern as written, prefixes included.
        methods: The upper-case methods it answers.
        name: The name for ``url_for``, or None.
        endpoint: Whatever the App registered (the router never calls it).
        param_types: Parameter name to the Python type its converter returns.
    """

    __slots__ = ("_builder", "endpoint", "methods", "name", "param_types", "parsed", "pattern")

    def __init__(
        self,
        parsed: ParsedPattern,
        endpoint: object,
        methods: frozenset[str],
        name: str | None,
    ) -> None:
        self.parsed = parsed
        self.pattern = parsed.pattern
        self.endpoint = endpoint
        self.methods = methods
        self.name = name
        self.param_types: dict[str, type] = {
            param.name: param.converter.python_type for param in parsed.params
        }
        # PERF: the path builder is prepared once per route; url_for only
        # fills the values in (bench/micro/callgrind_router.py: url_for).
        self._builder = URLBuilder(parsed, self.__repr__)

    def url_path(self, **params: Any) -> str:
        """Build this route's percent-encoded path from parameter values."""
        return self._builder.build(params)

    def __repr__(self) -> str:
        methods = ",".join(sorted(self.methods))
        named = f", name={self.name!r}" if self.name else ""
        return f"Route({self.pattern!r}, methods={methods}{named})"


def normalize_methods(methods: Iterable[str] | str, pattern: str) -> tuple[str, ...]:
    """Upper-case and de-duplicate a route's methods, in the order given.

    Raises:
        RouteError: a method is not an HTTP token, or none is given.
    """
    if isinstance(methods, str):
        methods = (methods,)
    normalized: dict[str, None] = {}
    for method in methods:
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise RouteError(f"route {pattern!r}: invalid HTTP method {method!r}")
        normalized[method.upper()] = None
    if not normalized:
        raise RouteError(f"route {pattern!r}: no HTTP method given")
    return tuple(normalized)


class Router:
    """A set of routes, compiled into a radix tree by :meth:`freeze`.

    See the module documentation for the matching rules and their priority.

    Args:
        redirect_slashes: Answer 308 to the canonical path when a path only
            differs from a route by its trailing slash.
        converters: Converters local to this router, by name (the global
            registry of :func:`fastcore.routing.register_converter` is
            searched too).
    """

    def __init__(
        self,
        redirect_slashes: bool = False,
        converters: Mapping[str, Converter] | None = None,
    ) -> None:
        self.redirect_slashes = redirect_slashes
        self._converters = dict(converters or {})
        self._routes: list[Route] = []
        self._by_shape: dict[tuple[object, ...], dict[str, Route]] = {}
        self._by_name: dict[str, Route] = {}
        self._converter_names: dict[str, Converter] = {}
        self._tree: RadixTree | None = None

    @property
    def routes(self) -> list[Route]:
        """The registered routes, in registration order (a copy)."""
        return list(self._routes)

    @property
    def frozen(self) -> bool:
        """Whether :meth:`freeze` has run."""
        return self._tree is not None

    def add(
        self,
        pattern: str,
        endpoint: object,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
    ) -> Route:
        """Register a route.

        Args:
            pattern: For example ``/users/{user_id:int}``.
            endpoint: Returned by :meth:`match`; the router never calls it.
            methods: HTTP methods (any case); a single string is one method.
            name: Optional name for :meth:`url_for`; several routes may share
                a name only if they share the pattern.

        Raises:
            RouteError: The router is frozen, the pattern is malformed or uses
                an unknown converter, or a method is invalid.
            RouteConflict: The route duplicates or ambiguously shadows one
                already registered (both are named).
        """
        return self._add_parsed(parse_pattern(pattern, self._converters), endpoint, methods, name)

    def include(self, prefix: str, other: Router, name_prefix: str = "") -> None:
        """Copy another router's routes in, under a path and a name prefix.

        ``include("/api", users, name_prefix="api")`` turns ``/users`` named
        ``list`` into ``/api/users`` named ``api.list``. An empty prefix
        copies the patterns unchanged. Routes added to ``other`` later are
        not copied.

        Raises:
            RouteError: A bad prefix (it must start and must not end with
                ``/``), or any error :meth:`add` raises for a copied route.
        """
        if self._tree is not None:
            raise RouteError(f"cannot include routes under {prefix!r}: the router is frozen")
        if other is self:
            raise RouteError("a router cannot include itself")
        parsed_prefix = parse_pattern(prefix, self._converters) if prefix else None
        name_prefix = name_prefix.rstrip(".")
        for route in other._routes:
            parsed = route.parsed
            if parsed_prefix is not None:
                parsed = join_patterns(parsed_prefix, parsed)
            name = route.name
            if name is not None and name_prefix:
                name = f"{name_prefix}.{name}"
            self._add_parsed(parsed, route.endpoint, route.methods, name)

    def _add_parsed(
        self,
        parsed: ParsedPattern,
        endpoint: object,
        methods: Iterable[str],
        name: str | None,
    ) -> Route:
        if self._tree is not None:
            raise RouteError(f"cannot add {parsed.pattern!r}: the router is frozen")
        if len(parsed.params) > MAX_PARAMS:
            raise RouteError(f"route {parsed.pattern!r} has more than {MAX_PARAMS} parameters")
        route = Route(parsed, endpoint, frozenset(normalize_methods(methods, parsed.pattern)), name)
        self._check_converters(route)
        self._check_name(route)
        by_method = self._by_shape.setdefault(parsed.shape, {})
        for method in sorted(route.methods):
            existing = by_method.get(method)
            if existing is None:
                continue
            if existing.pattern == route.pattern:
                raise RouteConflict(f"duplicate route: {route!r} repeats {existing!r} for {method}")
            raise RouteConflict(
                f"ambiguous routes: {route!r} and {existing!r} match the same paths for "
                f"{method} and differ only in parameter names"
            )
        for method in route.methods:
            by_method[method] = route
        if name is not None:
            self._by_name.setdefault(name, route)
        self._routes.append(route)
        return route

    def _check_converters(self, route: Route) -> None:
        for param in route.parsed.params:
            known = self._converter_names.setdefault(param.converter_name, param.converter)
            if known is not param.converter:
                raise RouteError(
                    f"{route!r}: converter name {param.converter_name!r} means two "
                    "different converters in this router"
                )

    def _check_name(self, route: Route) -> None:
        if route.name is None:
            return
        if not route.name:
            raise RouteError(f"{route!r}: a route name cannot be empty")
        existing = self._by_name.get(route.name)
        if existing is not None and existing.pattern != route.pattern:
            raise RouteConflict(f"route name {route.name!r} is used by {existing!r} and {route!r}")

    def freeze(self) -> None:
        """Compile the routes into the radix tree; :meth:`add` is refused after.

        Calling it again does nothing.
        """
        if self._tree is not None:
            return
        tree = RadixTree(self.redirect_slashes)
        for route in self._routes:
            segments = tuple(_segment_spec(segment) for segment in route.parsed.segments)
            names = tuple(param.name for param in route.parsed.params)
            label = route.name or route.pattern
            for method in sorted(route.methods):
                tree.insert(segments, method, route, route.endpoint, names, label)
        tree.finalize()
        self._tree = tree
        # PERF: after freezing, router.match is the compiled method itself, with
        # no Python frame in between (bench/micro/test_bench_router.py).
        self.match = tree.match  # type: ignore[method-assign]

    def match(self, method: str, path: str) -> RouteMatch:
        """Find the route for a method and a raw (percent-encoded) path.

        Returns:
            A RouteMatch: ``status`` 200, 308, 404 or 405, with ``route``,
            ``endpoint``, converted ``params``, ``allowed``, ``redirect_to``
            and ``auto_options`` (see the module documentation).

        Raises:
            RouteError: :meth:`freeze` has not been called.
        """
        raise RouteError("call Router.freeze() before Router.match()")

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the percent-encoded path of a named route.

        Args:
            name: The route name (with its include prefix, e.g. ``api.show``).
            **params: One value per parameter, of the converter's type.

        Raises:
            URLBuildError: Unknown name; missing, unexpected or badly typed
                parameter. It is both a RouteError and a LookupError.
        """
        route = self._by_name.get(name)
        if route is None:
            raise URLBuildError(f"no route named {name!r}")
        return route._builder.build(params)

    def dump(self) -> str:
        """Render the compiled tree as text, for debugging and snapshot tests.

        Raises:
            RouteError: :meth:`freeze` has not been called.
        """
        if self._tree is None:
            raise RouteError("call Router.freeze() before Router.dump()")
        text: str = self._tree.dump()
        return text


def _segment_spec(segment: str | Param) -> str | tuple[str, int, str, object]:
    if isinstance(segment, str):
        return segment
    converter = segment.converter
    convert = converter.convert if converter.kind == "custom" else None
    return (converter.kind, converter.weight, segment.converter_name, convert)
