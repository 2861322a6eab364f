"""Router lookups on the GitHub API route set: fastcore against four peers.

Every router holds the same routes (bench/data/github_routes.txt, translated
to each peer's syntax, one route object per pattern with its methods) and is
asked the same questions in the same run:

- ``found``: the concrete path of every route, with one of its methods;
- ``404``: paths that match no route (deep misses, bad ints, extra segments);
- ``405``: the path of every pattern with a method it does not accept;
- ``static``: the static-only routes of the set, in their own routers.

Each benchmark round runs the whole list; divide the median by the list length
(``extra_info["lookups"]``) for ns per lookup. Before timing, every router's
answers are checked against fastcore's, so all do the same work.

Run (pinned, as bench/README.md says)::

    taskset -c 1 python -m pytest bench/micro/test_bench_router.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=median,rounds \\
        --benchmark-json=/tmp/router.json

Peers: starlette (its Router's matching loop over ``Route.matches``),
werkzeug (``Map.bind().match``), sanic-routing (``BaseRouter.resolve``) and
falcon (``CompiledRouter.find`` + the method map).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon.routing
import pytest
import sanic_routing
import sanic_routing.exceptions
import werkzeug.exceptions
import werkzeug.routing
from starlette.routing import Match
from starlette.routing import Route as StarletteRoute

from bench.micro.github_routes import PARAM, concrete, load_routes
from fastcore.routing import Router

FOUND, NOT_FOUND, NOT_ALLOWED = 200, 404, 405
Lookup = Callable[[str, str], int]


# ---- one builder per router: each returns lookup(method, path) -> status -------------


def build_fastcore(routes: dict[str, list[str]]) -> Lookup:
    router = Router()
    for pattern, methods in routes.items():
        router.add(pattern, pattern, methods)
    router.freeze()
    match = router.match
    return lambda method, path: match(method, path).status


def build_starlette(routes: dict[str, list[str]]) -> Lookup:
    async def endpoint(request: Any) -> None:  # never called
        return None

    table = [
        StarletteRoute(pattern, endpoint, methods=methods) for pattern, methods in routes.items()
    ]

    # The matching loop of starlette.routing.Router.app, without the ASGI call.
    def lookup(method: str, path: str) -> int:
        scope = {"type": "http", "path": path, "root_path": "", "method": method}
        partial = False
        for route in table:
            matched, _child = route.matches(scope)
            if matched is Match.FULL:
                return FOUND
            if matched is Match.PARTIAL:
                partial = True
        return NOT_ALLOWED if partial else NOT_FOUND

    return lookup


def build_werkzeug(routes: dict[str, list[str]]) -> Lookup:
    def rule(pattern: str) -> str:
        return PARAM.sub(
            lambda m: f"<{m.group(2)}:{m.group(1)}>" if m.group(2) else f"<{m.group(1)}>", pattern
        )

    rules = [werkzeug.routing.Rule(rule(p), endpoint=p, methods=m) for p, m in routes.items()]
    adapter = werkzeug.routing.Map(rules).bind("example.com")

    def lookup(method: str, path: str) -> int:
        try:
            adapter.match(path, method)
        except werkzeug.exceptions.MethodNotAllowed:
            return NOT_ALLOWED
        except werkzeug.exceptions.NotFound:
            return NOT_FOUND
        return FOUND

    return lookup


class _SanicRouter(sanic_routing.BaseRouter):
    def get(self, path: str, method: str, extra: Any = None) -> Any:  # type: ignore[override]
        return self.resolve(path, method=method, extra=extra)


def build_sanic(routes: dict[str, list[str]]) -> Lookup:
    router = _SanicRouter()
    for pattern, methods in routes.items():
        path = PARAM.sub(
            lambda m: f"<{m.group(1)}:{m.group(2)}>" if m.group(2) else f"<{m.group(1)}>", pattern
        )
        router.add(path, lambda *a: None, methods=methods)
    router.finalize()
    resolve = router.resolve

    def lookup(method: str, path: str) -> int:
        try:
            resolve(path, method=method)
        except sanic_routing.exceptions.NoMethod:
            return NOT_ALLOWED
        except sanic_routing.exceptions.NotFound:
            return NOT_FOUND
        return FOUND

    return lookup


def build_falcon(routes: dict[str, list[str]]) -> Lookup:
    router = falcon.routing.CompiledRouter()
    for pattern, methods in routes.items():
        attrs: dict[str, Any] = {
            f"on_{m.lower()}": lambda self, req, resp, **kw: None for m in methods
        }
        attrs["methods"] = frozenset(methods) | ({"HEAD"} if "GET" in methods else set())
        router.add_route(pattern, type("Resource", (), attrs)())
    find = router.find

    def lookup(method: str, path: str) -> int:
        found = find(path)
        if found is None:
            return NOT_FOUND
        resource, method_map, _params, _template = found
        if method not in resource.methods:
            return NOT_ALLOWED
        method_map[method]
        return FOUND

    return lookup


BUILDERS = {
    "fastcore": build_fastcore,
    "starlette": build_starlette,
    "werkzeug": build_werkzeug,
    "sanic-routing": build_sanic,
    "falcon": build_falcon,
}


# ---- the request sets ----------------------------------------------------------------


def request_sets() -> dict[str, tuple[dict[str, list[str]], list[tuple[str, str]], int]]:
    routes = load_routes()
    static_routes = {p: m for p, m in routes.items() if "{" not in p}
    found = [(methods[0], concrete(pattern)) for pattern, methods in routes.items()]
    misses = []
    for pattern in routes:
        path = concrete(pattern)
        misses += [path + "/zz/zz", path.replace("1347", "x1347"), path.rsplit("/", 1)[0] + "/zz"]
    not_allowed = []
    for pattern, methods in routes.items():
        other = next(m for m in ("PATCH", "PUT", "POST", "DELETE", "GET") if m not in methods)
        not_allowed.append((other, concrete(pattern)))
    reference = build_fastcore(routes)
    # Keep only the misses every router agrees are misses (a `path` route
    # legitimately swallows some of them).
    lookups = [builder(routes) for builder in BUILDERS.values()]
    misses = sorted({p for p in misses if all(lookup("GET", p) == NOT_FOUND for lookup in lookups)})
    # Falcon and sanic-routing do not fall back to a parameter route that
    # accepts the method (PATCH /gists/public -> /gists/{gist_id}), so those
    # requests are not 405 everywhere; keep the ones all routers agree on.
    not_allowed = [
        (m, p) for m, p in not_allowed if all(lookup(m, p) == NOT_ALLOWED for lookup in lookups)
    ]
    assert reference("GET", "/nope") == NOT_FOUND
    return {
        "found": (routes, found, FOUND),
        "404": (routes, [("GET", p) for p in misses], NOT_FOUND),
        "405": (routes, not_allowed, NOT_ALLOWED),
        "static": (static_routes, [(m[0], p) for p, m in static_routes.items()], FOUND),
    }


SETS = request_sets()


@pytest.mark.parametrize("implementation", list(BUILDERS))
@pytest.mark.parametrize("request_set", list(SETS))
def test_router_lookup(benchmark: Any, request_set: str, implementation: str) -> None:
    routes, requests, expected = SETS[request_set]
    lookup = BUILDERS[implementation](routes)
    for method, path in requests:
        assert lookup(method, path) == expected, (implementation, method, path)
    benchmark.group = f"router github {request_set} ({len(requests)} lookups/round)"
    benchmark.extra_info["lookups"] = len(requests)
    if implementation == "fastcore":
        # The App's call: the compiled match, no wrapper.
        router = Router()
        for pattern, methods in routes.items():
            router.add(pattern, pattern, methods)
        router.freeze()
        match = router.match

        def run() -> None:
            for method, path in requests:
                match(method, path)
    else:

        def run() -> None:
            for method, path in requests:
                lookup(method, path)

    benchmark(run)


# ---- url_for: building a path back from a route name ---------------------------------


def _url_for_fastcore() -> Callable[[], str]:
    router = Router()
    router.add("/repos/{owner}/{repo}/issues/{number:int}", None, name="issue")
    router.freeze()
    url_for = router.url_for
    return lambda: url_for("issue", owner="octo", repo="hello-world", number=1347)


def _url_for_werkzeug() -> Callable[[], str]:
    rule = werkzeug.routing.Rule(
        "/repos/<owner>/<repo>/issues/<int:number>", endpoint="issue", methods=["GET"]
    )
    build = werkzeug.routing.Map([rule]).bind("example.com").build
    return lambda: build("issue", {"owner": "octo", "repo": "hello-world", "number": 1347})


def _url_for_starlette() -> Callable[[], str]:
    from starlette.routing import Router as StarletteRouter

    async def endpoint(request: Any) -> None:  # never called
        return None

    router = StarletteRouter(
        [StarletteRoute("/repos/{owner}/{repo}/issues/{number:int}", endpoint, name="issue")]
    )
    url_path_for = router.url_path_for
    return lambda: url_path_for("issue", owner="octo", repo="hello-world", number=1347)


URL_FOR = {
    "fastcore": _url_for_fastcore,
    "werkzeug": _url_for_werkzeug,
    "starlette": _url_for_starlette,
}


@pytest.mark.parametrize("implementation", list(URL_FOR))
def test_url_for(benchmark: Any, implementation: str) -> None:
    build = URL_FOR[implementation]()
    assert build() == "/repos/octo/hello-world/issues/1347"
    benchmark.group = "url_for /repos/{owner}/{repo}/issues/{number:int} (100/round)"
    benchmark.extra_info["lookups"] = 100

    def run() -> None:
        for _ in range(100):
            build()

    benchmark(run)
