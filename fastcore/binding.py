"""Parameter binding: a handler signature turned into a list of binders, once per route.

:func:`analyze` reads a callable's parameters, type hints and markers and
returns a :class:`CallPlan`: one small closure per argument that takes the
value from its part of the request and validates it with a pydantic
``TypeAdapter`` built here, at registration. Per request a binder is a dict
lookup and (unless the type is plain ``str``) one adapter call; failures are
collected, so one 422 lists every bad argument.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import inspect
import operator
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin, get_type_hints

import orjson

from fastcore.background import BackgroundTasks
from fastcore.exceptions import BadRequest, HTTPException, ImproperlyConfigured
from fastcore.params import (
    REQUIRED,
    Body,
    CurrentUser,
    Depends,
    Form,
    Header,
    Param,
    Path,
    Query,
)
from fastcore.requests import Request
from fastcore.responses import JSONResponse, Response
from fastcore.uploads import UploadFile

if TYPE_CHECKING:
    import pydantic
    from pydantic import TypeAdapter

__all__ = [
    "BoundParam",
    "CallPlan",
    "RequestValidationError",
    "analyze",
    "is_async_callable",
    "validation_error_response",
]

MISSING: Any = inspect.Parameter.empty
Errors = list[dict[str, Any]]
SyncBinder = Callable[[Request, Mapping[str, Any], dict[str, Any], Errors], None]
AsyncBinder = Callable[[Request, dict[str, Any], Errors], Awaitable[None]]
BodyBinder = Callable[[Request, bytes, dict[str, Any], Errors], None]

_SCALARS = (str, int, float, bool, bytes)
_NONE = type(None)


class RequestValidationError(HTTPException):
    """The request's arguments failed validation; answered 422 with ``errors``.

    Attributes:
        errors: One dict per problem: ``loc`` (source then field path),
            ``field``, ``msg``, ``type`` and ``input``.
    """

    def __init__(self, errors: Errors) -> None:
        super().__init__(422, "Request validation failed")
        self.errors = errors

    def __reduce__(self) -> tuple[object, ...]:
        return (RequestValidationError, (self.errors,))


def validation_error_response(request: Request, exc: RequestValidationError) -> Response:
    """Answer a :class:`RequestValidationError`: 422 with its error list (the App's default)."""
    return JSONResponse(
        {"detail": exc.detail, "status": 422, "errors": exc.errors}, status_code=422
    )


def is_async_callable(obj: Any) -> bool:
    """Tell whether calling ``obj`` returns an awaitable (functions, partials, __call__)."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def describe(call: Callable[..., Any]) -> str:
    """The dotted name of a callable, for error messages."""
    name = getattr(call, "__qualname__", repr(call))
    module = getattr(call, "__module__", None)
    return f"{module}.{name}" if module else name


@dataclasses.dataclass(slots=True)
class BoundParam:
    """One argument of a handler or provider and where its value comes from.

    Attributes:
        name: The argument name.
        source: ``path``, ``query``, ``header``, ``cookie``, ``form``, ``body``,
            ``request``, ``db``, ``user``, ``background`` or ``depends``.
        alias: The name on the wire.
        annotation: The declared type, markers stripped.
        default: The default value, or ``MISSING`` when required.
        marker: The source marker, if one was given.
        adapter: The pydantic adapter that validates the value (None: taken as is).
        dependency: For ``depends``: the :class:`Depends` marker.
    """

    name: str
    source: str
    alias: str
    annotation: Any
    default: Any = MISSING
    marker: Param | None = None
    adapter: TypeAdapter[Any] | None = None
    dependency: Depends | None = None

    @property
    def required(self) -> bool:
        """Whether the request must supply the value."""
        return self.default is MISSING


@dataclasses.dataclass(slots=True)
class CallPlan:
    """How to call a handler or provider: its bound parameters and binders.

    Attributes:
        call: The callable.
        name: Its dotted name.
        params: Every argument, in signature order.
        sync_binders: Binders that need no I/O (path, query, header, cookie, ...).
        body_binder: The JSON body binder (given the body bytes), if any.
        async_binders: Binders that read the body themselves (form).
        dependencies: ``(argument name, Depends)`` pairs, resolved in order.
        path_names: Path parameters passed on as the router converted them.
        body_adapter: The adapter of the whole JSON body (for the OpenAPI document).
        is_async: Whether calling returns an awaitable.
        is_generator: ``"async"`` or ``"sync"`` for a generator provider, else "".
        accepts_kwargs: Whether it takes ``**kwargs`` (then it gets every path parameter).
    """

    call: Callable[..., Any]
    name: str
    params: list[BoundParam]
    sync_binders: list[SyncBinder]
    body_binder: BodyBinder | None
    async_binders: list[AsyncBinder]
    dependencies: list[tuple[str, Depends]]
    path_names: tuple[str, ...]
    body_adapter: TypeAdapter[Any] | None
    is_async: bool
    is_generator: str
    accepts_kwargs: bool

    @property
    def only_path_and_request(self) -> bool:
        """Whether every argument is the request or a path parameter (the fast path)."""
        return all(p.source in ("path", "request") and p.adapter is None for p in self.params)

    def walk(self, plan_for: Callable[[Depends], CallPlan]) -> list[BoundParam]:
        """Every parameter of this plan and of its dependencies, depth first."""
        found = [p for p in self.params if p.source != "depends"]
        for _, dep in self.dependencies:
            found += plan_for(dep).walk(plan_for)
        return found


# -- types ---------------------------------------------------------------------


def _split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return base, metadata
    return annotation, []


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not _NONE]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_scalar(annotation: Any) -> bool:
    annotation = _without_none(_split_annotated(annotation)[0])
    if annotation is Any or get_origin(annotation) is typing.Literal:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return all(_is_scalar(arg) for arg in get_args(annotation) if arg is not _NONE)
    if not isinstance(annotation, type):
        return False
    import datetime
    import decimal
    import uuid

    simple = (*_SCALARS, decimal.Decimal, uuid.UUID, datetime.date, datetime.time, enum.Enum)
    return issubclass(annotation, simple) or issubclass(annotation, datetime.timedelta)


def _sequence_item(annotation: Any) -> Any | None:
    """The item type of ``list[int]``-like annotations of scalars, else None."""
    annotation = _without_none(_split_annotated(annotation)[0])
    if get_origin(annotation) in (list, set, frozenset, tuple, Sequence):
        args = get_args(annotation)
        item = args[0] if args else str
        return item if _is_scalar(item) else None
    return None


def _is_subclass(annotation: Any, names: tuple[str, str]) -> bool:
    annotation = _without_none(annotation)
    if not isinstance(annotation, type):
        return False
    return any((cls.__module__, cls.__name__) == names for cls in annotation.__mro__)


def _trivial(annotation: Any) -> bool:
    """Whether a raw string (or list of strings) needs no validation for this type."""
    base = _without_none(annotation)
    if base in (str, Any):
        return True
    item = _sequence_item(annotation)
    return get_origin(_without_none(annotation)) is list and item in (str, Any)


def _check_upload(value: Any) -> UploadFile:
    if not isinstance(value, UploadFile):
        raise ValueError("Expected a file upload")
    return value


@functools.cache
def _uploaded_file() -> Any:
    """How a form argument annotated ``UploadFile`` is validated and documented."""
    from pydantic import PlainValidator, WithJsonSchema

    return Annotated[
        UploadFile,
        PlainValidator(_check_upload, json_schema_input_type=str),
        WithJsonSchema({"type": "string", "format": "binary"}),
    ]


def _validation_error() -> type[pydantic.ValidationError]:
    """pydantic's ValidationError, for the binders of arguments that an adapter validates.

    PERF: pydantic is imported only by an app whose handlers need validation
    (bench/startup: it is most of a hello-world app's import time).
    """
    from pydantic_core import ValidationError

    return ValidationError


def _form_annotation(annotation: Any) -> Any:
    """``annotation`` with ``UploadFile`` (alone, optional or in a list) made validatable."""
    base = _without_none(annotation)
    if base is UploadFile:
        uploaded = _uploaded_file()
    elif get_origin(base) is list and get_args(base) == (UploadFile,):
        uploaded = list.__class_getitem__(_uploaded_file())
    else:
        return annotation
    return uploaded if base is annotation else uploaded | None


def _constrained(annotation: Any, marker: Param | None) -> Any:
    if marker is not None and marker.constraints:
        from pydantic import Field

        return Annotated[annotation, Field(**marker.constraints)]
    return annotation


# -- errors --------------------------------------------------------------------


def _convert_errors(exc: pydantic.ValidationError, loc: tuple[Any, ...]) -> Errors:
    from pydantic_core import to_jsonable_python

    converted = []
    for error in exc.errors(include_url=False, include_context=False):
        where = (*loc, *error["loc"])
        converted.append(
            {
                "loc": list(where),
                "field": ".".join(str(part) for part in where[1:]),
                "msg": error["msg"],
                "type": error["type"],
                "input": to_jsonable_python(error.get("input"), fallback=repr),
            }
        )
    return converted


def missing_error(loc: tuple[str, ...]) -> dict[str, Any]:
    """The error entry for a required value the request did not send."""
    return {
        "loc": list(loc),
        "field": ".".join(loc[1:]),
        "msg": "Field required",
        "type": "missing",
        "input": None,
    }


def _default_of(param: BoundParam) -> Any:
    # A mutable default (a list for a repeated query key) must not be shared.
    default = param.default
    return copy.copy(default) if isinstance(default, list | dict | set) else default


# -- binders -------------------------------------------------------------------


# The request attribute each head source reads from (C-level getters).
_CONTAINERS = {
    "query": operator.attrgetter("query"),
    "header": operator.attrgetter("headers"),
    "cookie": operator.attrgetter("cookies"),
}


def _value_binder(param: BoundParam, many: bool) -> SyncBinder:
    """A binder for a value read from the request head and checked by the adapter."""
    name, alias, loc = param.name, param.alias, (param.source, param.alias)
    container_of = _CONTAINERS[param.source]
    many = many and param.source != "cookie"  # a cookie name carries one value
    required = param.required
    validate = param.adapter.validate_python if param.adapter is not None else None
    # NOTE: `except ()` matches nothing: without an adapter nothing validates.
    invalid = _validation_error() if validate is not None else ()

    def bind(
        request: Request, path: Mapping[str, Any], kwargs: dict[str, Any], errors: Errors
    ) -> None:
        container = container_of(request)
        raw = (container.getlist(alias) or MISSING) if many else container.get(alias, MISSING)
        if raw is MISSING:
            if required:
                errors.append(missing_error(loc))
            else:
                kwargs[name] = _default_of(param)
        elif validate is None:
            kwargs[name] = raw
        else:
            try:
                kwargs[name] = validate(raw)
            except invalid as exc:
                errors.extend(_convert_errors(exc, loc))

    return bind


def _path_binder(param: BoundParam, adapter: TypeAdapter[Any]) -> SyncBinder:
    name, loc = param.name, ("path", param.alias)
    validate = adapter.validate_python
    invalid = _validation_error()

    def bind(
        request: Request, path: Mapping[str, Any], kwargs: dict[str, Any], errors: Errors
    ) -> None:
        try:
            kwargs[name] = validate(path[name])
        except invalid as exc:
            errors.extend(_convert_errors(exc, loc))

    return bind


def _user_binder(param: BoundParam) -> SyncBinder:
    name = param.name
    base = _split_annotated(param.annotation)[0]
    optional = not param.required or _without_none(base) is not base

    def bind(
        request: Request, path: Mapping[str, Any], kwargs: dict[str, Any], errors: Errors
    ) -> None:
        user = getattr(request, "_user", None)
        if user is None or not getattr(user, "is_authenticated", True):
            if not optional:
                raise HTTPException(401, "Authentication required")
            user = None
        kwargs[name] = user

    return bind


def _simple_binder(param: BoundParam) -> SyncBinder:
    name, source = param.name, param.source

    def bind(
        request: Request, path: Mapping[str, Any], kwargs: dict[str, Any], errors: Errors
    ) -> None:
        if source == "request":
            kwargs[name] = request
        elif source == "db":
            kwargs[name] = request.db
        else:  # background
            kwargs[name] = BackgroundTasks.of(request)

    return bind


_raw_headers_of = operator.attrgetter("raw_headers")


def _is_json(request: Request) -> bool:
    headers: list[tuple[bytes, bytes]] = _raw_headers_of(request)
    # PERF: one scan of the raw header pairs, without decoding every header
    # into a Headers mapping (bench/typed).
    for name, value in headers:
        if name == b"content-type":
            media = value.partition(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _check_json(request: Request) -> None:
    """Refuse (415) a non-empty body that is not declared as JSON."""
    # SECURITY: a cross-site <form> or a no-preflight fetch can only send
    # urlencoded, multipart or text/plain bodies; insisting on a JSON media
    # type keeps those from reaching a JSON endpoint (CSRF via text/plain).
    if not _is_json(request):
        raise HTTPException(415, "The request body must be JSON (Content-Type: application/json)")


def _raise_malformed(exc: pydantic.ValidationError) -> None:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        raise BadRequest(f"Malformed JSON body: {first['msg'].removeprefix('Invalid JSON: ')}")


def _body_binder(params: list[BoundParam], adapter: TypeAdapter[Any]) -> BodyBinder:
    """One binder for the whole JSON body: a single argument or several embedded ones.

    It takes the body already read, so binding adds no coroutine of its own.
    """
    embedded = len(params) > 1 or bool(
        isinstance(params[0].marker, Body) and params[0].marker.embed
    )
    required = any(p.required for p in params) if embedded else params[0].required
    plain = not embedded and _without_none(params[0].annotation) in (dict, list, Any)
    invalid = _validation_error()

    def bind(request: Request, body: bytes, kwargs: dict[str, Any], errors: Errors) -> None:
        if not body:
            if required:
                errors.append(missing_error(("body",)))
            else:
                for param in params:
                    kwargs[param.name] = _default_of(param)
            return
        _check_json(request)
        try:
            if plain:
                # PERF: plain dict/list bodies are parsed by orjson, not validated twice.
                try:
                    value = orjson.loads(body)
                except orjson.JSONDecodeError as exc:
                    raise BadRequest(f"Malformed JSON body: {exc}") from exc
                value = adapter.validate_python(value, strict=True)
            else:
                value = adapter.validate_json(body)
        except invalid as exc:
            _raise_malformed(exc)
            errors.extend(_convert_errors(exc, ("body",)))
            return
        if embedded:
            for param in params:
                kwargs[param.name] = getattr(value, param.name)
        else:
            kwargs[params[0].name] = value

    return bind


def _form_binder(params: list[BoundParam]) -> AsyncBinder:
    invalid = _validation_error() if any(param.adapter for param in params) else ()

    async def bind(request: Request, kwargs: dict[str, Any], errors: Errors) -> None:
        form = await request.form()
        for param in params:
            loc = ("form", param.alias)
            many = get_origin(_without_none(_split_annotated(param.annotation)[0])) is list
            raw = form.getlist(param.alias) if many else form.get(param.alias, MISSING)
            if raw is MISSING or (many and not raw):
                if param.required:
                    errors.append(missing_error(loc))
                else:
                    kwargs[param.name] = _default_of(param)
            elif param.adapter is None:
                kwargs[param.name] = raw
            else:
                try:
                    kwargs[param.name] = param.adapter.validate_python(raw)
                except invalid as exc:
                    errors.extend(_convert_errors(exc, loc))

    return bind


# -- analysis ------------------------------------------------------------------


def _find_marker(metadata: list[Any], default: Any) -> tuple[Any, Any]:
    """The marker in ``Annotated`` metadata or in the default, and the real default."""
    for item in metadata:
        if isinstance(item, Param | Depends | CurrentUser):
            if isinstance(item, Param) and item.default is not REQUIRED:
                return item, item.default if default is MISSING else default
            return item, default
    if isinstance(default, Param):
        return default, MISSING if default.default is REQUIRED else default.default
    if isinstance(default, Depends | CurrentUser):
        return default, MISSING
    return None, default


def _adapter(annotation: Any, marker: Param | None) -> TypeAdapter[Any] | None:
    has_constraints = marker is not None and bool(marker.constraints)
    if _trivial(annotation) and not has_constraints and not _split_annotated(annotation)[1]:
        return None
    from pydantic import TypeAdapter

    return TypeAdapter(_constrained(annotation, marker))


def _classify(
    name: str,
    annotation: Any,
    marker: Any,
    default: Any,
    path_params: Mapping[str, type],
    owner: str,
) -> BoundParam:
    if isinstance(marker, Depends):
        return BoundParam(name, "depends", name, annotation, MISSING, dependency=marker)
    if isinstance(marker, CurrentUser):
        return BoundParam(name, "user", name, annotation, default)
    base = _without_none(_split_annotated(annotation)[0])
    if isinstance(base, type) and issubclass(base, Request):
        return BoundParam(name, "request", name, annotation)
    if isinstance(base, type) and issubclass(base, BackgroundTasks):
        return BoundParam(name, "background", name, annotation)
    if _is_subclass(base, ("sqlalchemy.ext.asyncio.session", "AsyncSession")):
        return BoundParam(name, "db", name, annotation)
    if marker is None and name == "request" and name not in path_params:
        return BoundParam(name, "request", name, annotation)
    if name in path_params and (marker is None or isinstance(marker, Path)):
        has_rules = isinstance(marker, Path) and bool(marker.constraints)
        adapter = _adapter(annotation, marker) if has_rules else None
        return BoundParam(name, "path", name, annotation, MISSING, marker, adapter)
    if isinstance(marker, Path):
        raise ImproperlyConfigured(
            f"{owner}: {name!r} is marked Path() but the route has no {{{name}}}"
        )
    if marker is None:
        # A list of scalars with a default reads a repeated query key; a
        # required one, like any other non-scalar, is the JSON body.
        is_query_list = _sequence_item(annotation) is not None and default is not MISSING
        if _is_scalar(annotation) or is_query_list:
            if default is MISSING:
                known = ", ".join(path_params) or "none"
                raise ImproperlyConfigured(
                    f"{owner} takes a parameter {name!r} that is neither the request nor a "
                    f"path parameter of its route ({known}); give it a default or mark it, "
                    f"for example Annotated[{getattr(base, '__name__', base)}, Query()]"
                )
            marker = Query()
        else:
            marker = Body()
    if isinstance(marker, Form):
        inner, metadata = _split_annotated(annotation)
        annotation = _form_annotation(inner)
        if metadata:
            annotation = Annotated[(annotation, *metadata)]
    alias = marker.alias or (name.replace("_", "-") if isinstance(marker, Header) else name)
    if isinstance(marker, Header):
        alias = alias.lower()
    adapter = None if isinstance(marker, Body) else _adapter(annotation, marker)
    return BoundParam(name, marker.source, alias, annotation, default, marker, adapter)


def _body_adapter(params: list[BoundParam], owner: str) -> TypeAdapter[Any]:
    import pydantic

    TypeAdapter = pydantic.TypeAdapter  # noqa: N806 - the class
    first = params[0]
    if len(params) == 1 and not (isinstance(first.marker, Body) and first.marker.embed):
        return TypeAdapter(_constrained(first.annotation, first.marker))
    fields: dict[str, Any] = {}
    for param in params:
        default = ... if param.required else param.default
        fields[param.name] = (
            _constrained(param.annotation, param.marker),
            pydantic.Field(default, alias=param.alias),
        )
    title = owner.rsplit(".", 1)[-1].title().replace("_", "") + "Body"
    return TypeAdapter(pydantic.create_model(title, **fields))


def _type_hints(call: Callable[..., Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The resolved hints of ``call``, and the reason each unresolvable one failed."""
    try:
        return get_type_hints(call, include_extras=True), {}
    except Exception:  # NOTE: names local to a function cannot be resolved later
        pass
    hints: dict[str, Any] = {}
    failed: dict[str, str] = {}
    namespace = getattr(inspect.unwrap(call), "__globals__", {})
    for name, annotation in getattr(call, "__annotations__", {}).items():
        try:
            hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
    return hints, failed


def analyze(
    call: Callable[..., Any], path_params: Mapping[str, type], exclude: Iterable[str] = ()
) -> CallPlan:
    """Work out how to bind every argument of ``call`` (a handler or provider).

    Arguments named in ``exclude`` are left out (the caller passes them itself,
    as the WebSocket handlers' endpoint does with the ``WebSocket``).
    """
    skipped = frozenset(exclude)
    owner = describe(call)
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"cannot read the signature of {owner}: {exc}") from exc
    hints, unresolved = _type_hints(call)
    params: list[BoundParam] = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or name in skipped:
            continue
        if name in unresolved and name not in path_params and name != "request":
            # Guessing would bind the wrong source or skip validation.
            raise ImproperlyConfigured(
                f"cannot resolve the type hint of {name!r} in {owner} ({unresolved[name]}); "
                "import the names it uses at module level"
            )
        annotation = hints.get(name, Any)
        marker, default = _find_marker(_split_annotated(annotation)[1], parameter.default)
        params.append(_classify(name, annotation, marker, default, path_params, owner))
    sync_binders: list[SyncBinder] = []
    for param in params:
        if param.source in ("query", "header", "cookie"):
            many = _sequence_item(param.annotation) is not None
            sync_binders.append(_value_binder(param, many))
        elif param.source == "path" and param.adapter is not None:
            sync_binders.append(_path_binder(param, param.adapter))
        elif param.source == "user":
            sync_binders.append(_user_binder(param))
        elif param.source in ("request", "db", "background"):
            sync_binders.append(_simple_binder(param))
    async_binders: list[AsyncBinder] = []
    body_params = [p for p in params if p.source == "body"]
    body_adapter = _body_adapter(body_params, owner) if body_params else None
    body_binder = _body_binder(body_params, body_adapter) if body_adapter is not None else None
    form_params = [p for p in params if p.source == "form"]
    if form_params:
        if body_params:
            raise ImproperlyConfigured(f"{owner} takes both Form() and JSON body parameters")
        async_binders.append(_form_binder(form_params))
    generator = ""
    if inspect.isasyncgenfunction(call):
        generator = "async"
    elif inspect.isgeneratorfunction(call):
        generator = "sync"
    return CallPlan(
        call=call,
        name=owner,
        params=params,
        sync_binders=sync_binders,
        body_binder=body_binder,
        async_binders=async_binders,
        dependencies=[(p.name, p.dependency) for p in params if p.dependency is not None],
        path_names=tuple(p.name for p in params if p.source == "path" and p.adapter is None),
        body_adapter=body_adapter,
        is_async=is_async_callable(call),
        is_generator=generator,
        accepts_kwargs=any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()),
    )
