"""Parameter markers: where a handler argument comes from and how it is checked.

A marker goes in ``Annotated`` metadata or serves as the parameter's default::

    async def search(
        q: Annotated[str, Query(max_length=50)],
        page: int = Query(1, ge=1),
        agent: Annotated[str | None, Header(alias="user-agent")] = None,
        user: Annotated[User, Depends(current_user)],
    ): ...

Constraints (``gt``, ``ge``, ``lt``, ``le``, ``min_length``, ``max_length``,
``pattern``, ``multiple_of``) are pydantic ``Field`` constraints; they are
checked by the adapter built once for the route and appear in the OpenAPI
document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "Body",
    "Cookie",
    "CurrentUser",
    "Depends",
    "Form",
    "Header",
    "Param",
    "Path",
    "Query",
]

#: The default of a marker that has none: the parameter is required.
REQUIRED: Any = ...


class Param:
    """Base of the source markers (query, header, cookie, form, body, path).

    Args:
        default: The value when the client sends none; ``...`` means required.
        alias: The name on the wire, when it differs from the argument name.
        title: A short title for the OpenAPI document.
        description: The parameter's description in the OpenAPI document.
        examples: Example values for the OpenAPI document.
        deprecated: Mark the parameter deprecated in the OpenAPI document.
        include_in_schema: Leave the parameter out of the OpenAPI document.
        constraints: Pydantic ``Field`` constraints (``ge=1``, ``max_length=50``, ...).
    """

    #: The OpenAPI ``in`` value, or the request part the value comes from.
    source: str = ""

    __slots__ = (
        "alias",
        "constraints",
        "default",
        "deprecated",
        "description",
        "examples",
        "include_in_schema",
        "title",
    )

    def __init__(
        self,
        default: Any = REQUIRED,
        *,
        alias: str | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: list[Any] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        **constraints: Any,
    ) -> None:
        self.default = default
        self.alias = alias
        self.title = title
        self.description = description
        self.examples = examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.constraints = constraints

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


class Query(Param):
    """Take the argument from the query string (``?q=...``; lists repeat the key)."""

    source = "query"
    __slots__ = ()


class Header(Param):
    """Take the argument from a request header.

    Without an alias, underscores in the argument name become hyphens
    (``user_agent`` reads ``User-Agent``); header names are case-insensitive.
    """

    source = "header"
    __slots__ = ()


class Cookie(Param):
    """Take the argument from a request cookie."""

    source = "cookie"
    __slots__ = ()


class Path(Param):
    """Document or constrain a path parameter (its value comes from the router)."""

    source = "path"
    __slots__ = ()


class Form(Param):
    """Take the argument from a form field (urlencoded or multipart body)."""

    source = "form"
    __slots__ = ()


class Body(Param):
    """Take the argument from the JSON body.

    Args:
        embed: Read the argument from the body's key of its name instead of
            using the whole body (always the case with several body arguments).
        media_type: The request media type documented in the OpenAPI document.
    """

    source = "body"
    __slots__ = ("embed", "media_type")

    def __init__(
        self,
        default: Any = REQUIRED,
        *,
        embed: bool = False,
        media_type: str = "application/json",
        **options: Any,
    ) -> None:
        super().__init__(default, **options)
        self.embed = embed
        self.media_type = media_type


class CurrentUser:
    """Bind ``request.user``: the authenticated user, else 401.

    An argument annotated ``Annotated[User | None, CurrentUser()]`` (or with a
    ``None`` default) receives ``None`` for an anonymous request instead.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "CurrentUser()"


class Depends:
    """Bind the value returned by a dependency provider.

    A provider is a function (sync or async) or a generator (sync or async)
    whose code after ``yield`` runs once the handler's response is built, also
    when the handler failed. Its own parameters are bound like a handler's,
    so providers can take query parameters, the request or other
    dependencies. Within one request each provider runs once and its value
    is shared (``use_cache=False`` calls it again for this use).

    Args:
        dependency: The provider.
        use_cache: Share the value with the request's other uses of the provider.
    """

    __slots__ = ("dependency", "use_cache")

    def __init__(self, dependency: Callable[..., Any], *, use_cache: bool = True) -> None:
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable, not {dependency!r}")
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name})"
