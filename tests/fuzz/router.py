"""Fuzz the compiled router with arbitrary raw paths and percent-encoding.

Input: byte 0 picks the method and the router (with or without
``redirect_slashes``); the rest is the raw path, taken as latin-1 text (what
the parser hands the router). Checked on every input:

- ``match`` never raises and answers 200, 308, 404 or 405 (405 with the
  allowed methods, never the requested one);
- a ``path`` parameter never escapes: relative, no NUL, no ``..`` component,
  and joined under a root it stays under it; a ``str`` parameter is never
  empty;
- a match round-trips: ``url_for`` of the matched route with the converted
  parameters leads back to the same route with equal parameters; a 308
  redirect leads to a path that matches.
"""

from __future__ import annotations

import math
import posixpath
import re
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    from fastcore.routing import Router

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get")
ROUTES = [
    ("/", ["GET"], "home"),
    ("/users/new", ["GET"], "new_user"),
    ("/users/{user_id:int}", ["GET", "POST"], "user"),
    ("/users/{user_id:int}/posts/{slug:slug}", ["GET"], "post"),
    ("/users/{name:str}/profile", ["GET"], "profile"),
    ("/files/{name:str}/raw/", ["GET"], "raw"),
    ("/static/{rest:path}", ["GET", "HEAD"], "static"),
    ("/f/{x:float}", ["PUT"], "float"),
    ("/u/{key:uuid}", ["DELETE"], "uuid"),
    ("/a/b/c", ["GET"], "abc"),
    ("/café/{name:str}", ["GET"], "cafe"),
]


def build(redirect_slashes: bool) -> Router:
    router = Router(redirect_slashes=redirect_slashes)
    for pattern, methods, name in ROUTES:
        router.add(pattern, name, methods, name=name)
    router.freeze()
    return router


ROUTERS = (build(False), build(True))
ROOT = "/srv/static"


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, float) and isinstance(other, float):
            if not (value == other or (math.isnan(value) and math.isnan(other))):
                return False
        elif value != other or type(value) is not type(other):
            return False
    return True


def check_params(route: Any, params: dict[str, Any]) -> None:
    for param in route.parsed.params:
        value = params[param.name]
        if param.converter_name == "path":
            assert isinstance(value, str) and value, value
            assert value[0] not in "/\\" and "\x00" not in value, value
            assert ".." not in re.split(r"[/\\]", value), value
            joined = posixpath.normpath(posixpath.join(ROOT, value.replace("\\", "/")))
            assert joined == ROOT or joined.startswith(ROOT + "/"), (value, joined)
        elif param.converter_name == "str":
            assert isinstance(value, str) and value, value


def one_input(data: bytes) -> None:
    if not data:
        return
    method = METHODS[data[0] % len(METHODS)]
    router = ROUTERS[(data[0] >> 3) & 1]
    path = data[1:].decode("latin-1")
    match = router.match(method, path)
    status = match.status
    assert status in (200, 308, 404, 405), status
    if status == 405:
        assert match.allowed and method not in match.allowed, (method, match.allowed)
    if status == 308:
        assert isinstance(match.redirect_to, str), match.redirect_to
        assert router.match(method, match.redirect_to).status in (200, 405), match.redirect_to
        return
    if status != 200 or match.route is None:
        return
    route = match.route
    params = match.params
    check_params(route, params)
    url = router.url_for(route.name, **params)
    again = router.match(method, url)
    assert again.status == 200 and again.route is route, (path, url, again.status)
    assert same(again.params, params), (path, url, params, again.params)


if __name__ == "__main__":
    main(one_input)
