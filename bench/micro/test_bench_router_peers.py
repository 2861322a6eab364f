"""Router lookups from Python: fastcore against the compiled routers.

The peers are the fastest routers a Python program can call: matchit (Rust,
through the ``pymatchit`` binding), xrtr (a Cython radix tree) and falcon's
``CompiledRouter`` (it generates and compiles Python source for the route
set). Each is called through its public API in the same loop shape, and each
call yields the same two things a framework needs: the endpoint for the
method and the dict of path parameters::

    fastcore  m = match(method, path); m.endpoint; m.params
    matchit   value, params = at(path); value[method]
    xrtr      endpoint, _middlewares, params = get(path, method)
    falcon    resource, method_map, params, _ = find(path); method_map[method]

Routes: bench/data/github_routes.txt, translated to each router's syntax, minus
the 11 patterns xrtr refuses (it cannot hold ``/gists/public`` next to
``/gists/{gist_id}``), so every router holds the same set. matchit and xrtr
have no typed parameters (``{id:int}`` is a plain segment for them, so they
convert nothing), and only matchit has a catch-all; requests whose answer
differs between routers are dropped, and every router's answers are checked
before timing.

Sets: ``found`` (the concrete path of every pattern, with its first method)
and ``404`` (paths no router matches). ns per lookup = median /
``extra_info["lookups"]``.

Run (pinned; the peers interleave in one run, so the ratios are same-run)::

    taskset -c 1 python -m pytest bench/micro/test_bench_router_peers.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=median,rounds
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import falcon.routing
import pymatchit
import pytest
import xrtr

from bench.micro.github_routes import PARAM, concrete, load_routes
from fastcore.routing import Router

Routes = dict[str, list[str]]
# lookup(method, path) -> (endpoint, params), or None for "no route"
Lookup = Callable[[str, str], Any]
Runner = Callable[[list[tuple[str, str]]], None]


def _xrtr_pattern(pattern: str) -> str:
    return PARAM.sub(lambda m: ":" + m.group(1), pattern)


def _matchit_pattern(pattern: str) -> str:
    return PARAM.sub(
        lambda m: "{*" + m.group(1) + "}" if m.group(2) == "path" else "{" + m.group(1) + "}",
        pattern,
    )


def common_routes() -> Routes:
    """The GitHub set minus the patterns xrtr refuses (the other three take all)."""
    probe = xrtr.RadixTree()
    kept: Routes = {}
    for pattern, methods in load_routes().items():
        try:
            probe.insert(_xrtr_pattern(pattern), pattern, methods)
        except ValueError:
            continue
        kept[pattern] = methods
    return kept


# ---- builders: each returns (lookup for checking answers, runner for timing) ---------


def build_fastcore(routes: Routes) -> tuple[Lookup, Runner]:
    router = Router()
    for pattern, methods in routes.items():
        router.add(pattern, pattern, methods)
    router.freeze()
    match = router.match

    def lookup(method: str, path: str) -> Any:
        m = match(method, path)
        return (m.endpoint, m.params) if m.status == 200 else None

    def run(requests: list[tuple[str, str]]) -> None:
        for method, path in requests:
            m = match(method, path)
            m.endpoint, m.params  # noqa: B018 (what a framework reads)

    return lookup, run


def build_matchit(routes: Routes) -> tuple[Lookup, Runner]:
    router = pymatchit.PyRouter()
    for pattern, methods in routes.items():
        router.insert(_matchit_pattern(pattern), dict.fromkeys(methods, pattern))
    at = router.at

    def lookup(method: str, path: str) -> Any:
        found = at(path)
        if found is None or method not in found[0]:
            return None
        return found[0][method], found[1]

    def run(requests: list[tuple[str, str]]) -> None:
        for method, path in requests:
            found = at(path)
            if found is not None:
                value, params = found
                value[method]  # noqa: B018 (the endpoint for the method)

    return lookup, run


def build_xrtr(routes: Routes) -> tuple[Lookup, Runner]:
    tree = xrtr.RadixTree()
    for pattern, methods in routes.items():
        tree.insert(_xrtr_pattern(pattern), pattern, methods)
    get = tree.get

    def lookup(method: str, path: str) -> Any:
        endpoint, _middlewares, params = get(path, method)
        return None if endpoint is None else (endpoint, params)

    def run(requests: list[tuple[str, str]]) -> None:
        for method, path in requests:
            endpoint, _middlewares, params = get(path, method)

    return lookup, run


def build_falcon(routes: Routes) -> tuple[Lookup, Runner]:
    router = falcon.routing.CompiledRouter()
    for pattern, methods in routes.items():
        attrs = {f"on_{m.lower()}": lambda self, req, resp, **kw: None for m in methods}
        attrs["pattern"] = pattern
        router.add_route(pattern, type("Resource", (), attrs)())
    find = router.find
    find("/")  # compile the generated finder now, not in the first round

    def lookup(method: str, path: str) -> Any:
        found = find(path)
        if found is None or getattr(found[0], f"on_{method.lower()}", None) is None:
            return None
        return found[0].pattern, found[2]

    def run(requests: list[tuple[str, str]]) -> None:
        for method, path in requests:
            found = find(path)
            if found is not None:
                resource, method_map, params, _template = found
                method_map[method]  # noqa: B018 (the responder for the method)

    return lookup, run


BUILDERS = {
    "fastcore": build_fastcore,
    "matchit": build_matchit,
    "xrtr": build_xrtr,
    "falcon": build_falcon,
}


@functools.cache
def request_sets() -> dict[str, tuple[Routes, list[tuple[str, str]]]]:
    routes = common_routes()
    lookups = {name: builder(routes)[0] for name, builder in BUILDERS.items()}

    def agreed(method: str, path: str) -> bool:
        answers = {name: lookup(method, path) for name, lookup in lookups.items()}
        reference = answers["fastcore"]
        if reference is None:
            return all(answer is None for answer in answers.values())
        endpoint, params = reference
        # Untyped peers give strings where fastcore converts: compare as text.
        text = {key: str(value) for key, value in params.items()}
        return all(
            answer is not None
            and answer[0] == endpoint
            and {k: str(v) for k, v in answer[1].items()} == text
            for answer in answers.values()
        )

    found = [(methods[0], concrete(pattern)) for pattern, methods in routes.items()]
    misses = []
    for pattern in routes:
        path = concrete(pattern)
        misses += [("GET", path + "/zz/zz"), ("GET", path.rsplit("/", 1)[0] + "/zz/q")]
    fastcore = lookups["fastcore"]
    found = [r for r in found if fastcore(*r) is not None and agreed(*r)]
    misses = sorted({r for r in misses if fastcore(*r) is None and agreed(*r)})
    return {"found": (routes, found), "404": (routes, misses)}


@pytest.mark.parametrize("implementation", list(BUILDERS))
@pytest.mark.parametrize("request_set", ["found", "404"])
def test_router_peers(benchmark: Any, request_set: str, implementation: str) -> None:
    routes, requests = request_sets()[request_set]
    _lookup, run = BUILDERS[implementation](routes)
    benchmark.group = f"router github vs compiled peers: {request_set} ({len(requests)}/round)"
    benchmark.extra_info["lookups"] = len(requests)
    benchmark.extra_info["routes"] = len(routes)
    benchmark(run, requests)
