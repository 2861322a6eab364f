"""Registration: conflicts, names, groups, freezing and the dump."""

from __future__ import annotations

import uuid

import pytest

from fastcore.exceptions import ImproperlyConfigured, RouteConflict, RouteError
from fastcore.routing import Converter, Route, Router, register_converter


def test_add_returns_the_route() -> None:
    router = Router()
    route = router.add("/users/{user_id:int}/{key:uuid}", "show", ["get", "Post"], name="show")
    assert isinstance(route, Route)
    assert route.pattern == "/users/{user_id:int}/{key:uuid}"
    assert route.methods == frozenset({"GET", "POST"})
    assert route.name == "show"
    assert route.endpoint == "show"
    assert route.param_types == {"user_id": int, "key": uuid.UUID}
    assert router.routes == [route]


def test_param_types_of_every_builtin() -> None:
    route = Router().add("/{a}/{b:int}/{c:float}/{d:uuid}/{e:slug}/{f:path}", "x")
    assert route.param_types == {
        "a": str, "b": int, "c": float, "d": uuid.UUID, "e": str, "f": str,
    }  # fmt: skip


def test_single_method_string_is_one_method() -> None:
    assert Router().add("/", "x", "DELETE").methods == frozenset({"DELETE"})


@pytest.mark.parametrize("methods", [[], ["GE T"], ["GET\r\n"], [""]])
def test_invalid_methods(methods: list[str]) -> None:
    with pytest.raises(RouteError, match="method"):
        Router().add("/", "x", methods)


def test_duplicate_route_names_both() -> None:
    router = Router()
    router.add("/a/{x:int}", "first", ["GET", "POST"], name="one")
    with pytest.raises(RouteConflict) as info:
        router.add("/a/{x:int}", "second", ["POST"], name="two")
    message = str(info.value)
    assert "duplicate route" in message
    assert "name='one'" in message and "name='two'" in message
    assert "POST" in message


def test_same_pattern_other_method_is_fine() -> None:
    router = Router()
    router.add("/a/{x:int}", "get")
    router.add("/a/{x:int}", "post", ["POST"])
    router.freeze()
    assert router.match("POST", "/a/1").endpoint == "post"


def test_ambiguous_shadowing_names_both() -> None:
    router = Router()
    router.add("/a/{x}", "first", name="first")
    with pytest.raises(RouteConflict) as info:
        router.add("/a/{y}", "second", name="second")
    message = str(info.value)
    assert "ambiguous" in message
    assert "'/a/{x}'" in message and "'/a/{y}'" in message


def test_same_shape_different_methods_keeps_each_name() -> None:
    router = Router()
    router.add("/a/{x}", "get")
    router.add("/a/{y}", "post", ["POST"])
    router.freeze()
    assert router.match("GET", "/a/v").params == {"x": "v"}
    assert router.match("POST", "/a/v").params == {"y": "v"}


def test_different_converters_are_not_ambiguous() -> None:
    router = Router()
    router.add("/a/{x:int}", "int")
    router.add("/a/{x}", "str")
    router.freeze()
    assert router.match("GET", "/a/1").endpoint == "int"


def test_route_names_must_be_unique_across_patterns() -> None:
    router = Router()
    router.add("/a", "a", name="page")
    router.add("/a", "a-post", ["POST"], name="page")  # same pattern: one URL
    with pytest.raises(RouteConflict, match="'page' is used by"):
        router.add("/b", "b", name="page")
    with pytest.raises(RouteError, match="cannot be empty"):
        router.add("/c", "c", name="")


def test_add_after_freeze_is_an_error() -> None:
    router = Router()
    router.add("/", "home")
    router.freeze()
    router.freeze()  # idempotent
    assert router.frozen
    with pytest.raises(ImproperlyConfigured, match="frozen"):
        router.add("/late", "late")
    with pytest.raises(RouteError, match="frozen"):
        router.include("/x", Router())


def test_include_with_prefix_and_name_prefix() -> None:
    users = Router()
    users.add("/", "list", name="list")
    users.add("/{user_id:int}", "show", ["GET", "DELETE"], name="show")
    users.add("/anonymous", "anon")
    api = Router()
    api.include("/api/orgs/{org}/users", users, name_prefix="api")
    api.include("", users, name_prefix="plain.")
    api.freeze()
    match = api.match("DELETE", "/api/orgs/acme/users/7")
    assert match.endpoint == "show"
    assert match.params == {"org": "acme", "user_id": 7}
    assert match.route.name == "api.show"
    assert api.match("GET", "/api/orgs/acme/users/").endpoint == "list"
    assert api.match("GET", "/7").route.name == "plain.show"
    assert api.url_for("api.show", org="a b", user_id=3) == "/api/orgs/a%20b/users/3"
    assert [r.name for r in api.routes].count(None) == 2
    assert not users.frozen


@pytest.mark.parametrize(
    ("prefix", "message"),
    [("/api/", "must not end with '/'"), ("api", "starting with '/'"), ("/{p:path}", "path")],
)
def test_include_bad_prefix(prefix: str, message: str) -> None:
    other = Router()
    other.add("/x", "x")
    with pytest.raises(RouteError, match=message):
        Router().include(prefix, other)


def test_include_conflicts() -> None:
    other = Router()
    other.add("/{org}", "x")
    with pytest.raises(RouteError, match="both define parameter"):
        Router().include("/{org}", other)
    router = Router()
    with pytest.raises(RouteError, match="itself"):
        router.include("/a", router)
    router.add("/a/{name}", "mine")
    with pytest.raises(RouteConflict, match="ambiguous"):
        router.include("/a", other)


def test_register_converter_validation() -> None:
    with pytest.raises(RouteError, match="built in"):
        register_converter("int", regex="[0-9]+")
    with pytest.raises(RouteError, match="not an identifier"):
        register_converter("bad-name", regex="x")
    with pytest.raises(RouteError, match="needs a regex"):
        register_converter("test_noregex")
    with pytest.raises(RouteError, match="invalid regex"):
        register_converter("test_badregex", regex="(")
    with pytest.raises(RouteError, match="not both"):
        register_converter("test_both", Converter(), regex="x")


def test_converter_subclass_and_local_converters() -> None:
    class Even(Converter):
        regex = "[0-9]+"
        weight = 5
        python_type = int

        def to_python(self, value: str) -> int:
            number = int(value)
            if number % 2:
                raise ValueError("odd")
            return number

    router = Router(converters={"even": Even()})
    route = router.add("/n/{n:even}", "even", name="even")
    router.add("/n/{n:int}", "int")
    router.freeze()
    assert route.param_types == {"n": int}
    assert router.match("GET", "/n/4").endpoint == "even"
    assert router.match("GET", "/n/3").endpoint == "int"
    assert router.url_for("even", n=8) == "/n/8"
    with pytest.raises(RouteError, match="unknown converter 'even'"):
        Router().add("/n/{n:even}", "x")


def test_one_converter_name_means_one_converter_per_router() -> None:
    class A(Converter):
        regex = "a+"

    first, second = Router(converters={"letters": A()}), Router(converters={"letters": A()})
    first.add("/x/{v:letters}", "x")
    second.add("/y/{v:letters}", "y")
    with pytest.raises(RouteError, match="two different converters"):
        first.include("", second)


def test_dump_renders_the_tree() -> None:
    router = Router()
    router.add("/", "home", name="home")
    router.add("/users/{user_id:int}", "show", ["GET", "PUT"], name="users.show")
    router.add("/users/{name}", "by-name")
    router.add("/files/{rest:path}", "files", name="files")
    with pytest.raises(RouteError, match="freeze"):
        router.dump()
    router.freeze()
    assert router.dump() == (
        "static routes:\n"
        "  /  GET=home  HEAD=home\n"
        "dynamic tree:\n"
        "  /files\n"
        "    /{:path}  (rest of the path)\n"
        "      -> GET=files  HEAD=files\n"
        "  /users\n"
        "    /{:int}  (weight 10)\n"
        "      -> GET=users.show  HEAD=users.show  PUT=users.show\n"
        "    /{:str}  (weight 100)\n"
        "      -> GET=/users/{name}  HEAD=/users/{name}\n"
    )


def test_dump_does_not_depend_on_registration_order() -> None:
    patterns = ["/a/{x:int}", "/a/{x}", "/a/{x:uuid}", "/a/b", "/b/{p:path}", "/a/{x:slug}/c"]
    dumps = set()
    for rotation in range(len(patterns)):
        router = Router()
        for pattern in patterns[rotation:] + patterns[:rotation]:
            router.add(pattern, pattern)
        router.freeze()
        dumps.add(router.dump())
    assert len(dumps) == 1


def test_too_many_parameters() -> None:
    router = Router()
    router.add("/" + "/".join(f"{{p{i}:int}}" for i in range(32)), "ok")
    with pytest.raises(RouteError, match="more than 32 parameters"):
        router.add("/x/" + "/".join(f"{{p{i}}}" for i in range(33)), "too many")
    router.freeze()
    path = "/" + "/".join(str(i) for i in range(32))
    assert router.match("GET", path).params == {f"p{i}": i for i in range(32)}
