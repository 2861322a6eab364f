"""Path-parameter converters: the built-in ones and the user registry.

A converter turns one decoded path segment into a typed Python value
(``to_python``) and a value back into a segment (``to_url``). The built-in
converters have C fast paths in the compiled router; user converters are
called from it through :meth:`Converter.convert`.

Weights decide the order in which parameters are tried at the same place in
the tree (lower first). A static segment always comes before every parameter.
The built-in weights are fixed and documented:

=========  ======  =================================================
converter  weight  matches (one decoded segment unless noted)
=========  ======  =================================================
``int``    10      ``[0-9]+`` (non-negative), value ``int``
``float``  20      ``[0-9]+(\\.[0-9]+)?`` (non-negative), value ``float``
``uuid``   30      ``8-4-4-4-12`` hex digits, value ``uuid.UUID``
(user)     50      by default; any weight may be given at registration
``slug``   80      ``[-a-zA-Z0-9_]+``, value ``str``
``str``    100     any non-empty segment, value ``str`` (the default)
``path``   1000    the rest of the path (several segments), value ``str``
=========  ======  =================================================

Two converters with the same weight are tried in the order of their names, so
the result never depends on the order routes were registered in.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from fastcore.exceptions import RouteError

__all__ = [
    "BUILTIN_CONVERTERS",
    "Converter",
    "FloatConverter",
    "IntConverter",
    "PathConverter",
    "SlugConverter",
    "StringConverter",
    "UUIDConverter",
    "get_converter",
    "register_converter",
]

#: Weight of a user converter registered without an explicit one.
DEFAULT_USER_WEIGHT = 50


class Converter:
    """A path-parameter type: matching, conversion and URL building.

    Subclass it (or call :func:`register_converter` with a ``regex`` and a pair
    of functions). ``regex`` must match a whole decoded segment; ``to_python``
    may raise ``ValueError`` to reject a segment the regex accepted.

    Attributes:
        regex: The pattern a decoded segment must match entirely.
        weight: Priority among parameters at the same place (lower first).
        python_type: The type ``to_python`` returns (for ``Route.param_types``).
        kind: The compiled fast path; ``"custom"`` for user converters.
    """

    regex: ClassVar[str] = r"[^/]+"
    weight: ClassVar[int] = DEFAULT_USER_WEIGHT
    python_type: ClassVar[type] = str
    kind: ClassVar[str] = "custom"

    def __init__(self) -> None:
        self._compiled = re.compile(self.regex)

    def to_python(self, value: str) -> Any:
        """Convert a decoded segment (already matched by ``regex``)."""
        return value

    def to_url(self, value: Any) -> str:
        """Convert a value into a decoded segment; raise ValueError if invalid."""
        text = str(value)
        if self._compiled.fullmatch(text) is None:
            raise ValueError(f"{text!r} does not match {self.regex!r}")
        return text

    def convert(self, segment: str) -> Any:
        """Match and convert a segment; raise ValueError when it does not match.

        The compiled router calls this for user converters only.
        """
        if self._compiled.fullmatch(segment) is None:
            raise ValueError(segment)
        return self.to_python(segment)


class StringConverter(Converter):
    """Any non-empty segment, as ``str`` (the default converter)."""

    # Any decoded text: an encoded "/" (%2F) stays inside the segment.
    regex = r"(?s).+"
    weight = 100
    kind = "str"

    def to_url(self, value: Any) -> str:
        """Return the string itself; it must be a non-empty ``str``."""
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a non-empty str, got {value!r}")
        return value


class PathConverter(Converter):
    """The rest of the path, several segments, as a relative ``str``.

    The value is never empty or absolute and never contains a ``..``
    component or a NUL, so it cannot escape a directory it is joined to.
    """

    regex = r"(?s).+"
    weight = 1000
    kind = "path"

    def to_url(self, value: Any) -> str:
        """Return the relative path; refuse ``..``, absolute paths and NUL."""
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a non-empty str, got {value!r}")
        # SECURITY: refuse what the matcher refuses, so url_for cannot build
        # a URL that escapes (RFC 3986 section 5.2.4 dot-segment removal).
        if value.startswith(("/", "\\")) or "\x00" in value:
            raise ValueError(f"path {value!r} must be relative and contain no NUL")
        if ".." in re.split(r"[/\\]", value):
            raise ValueError(f"path {value!r} must not contain a '..' component")
        return value


class IntConverter(Converter):
    """A non-negative decimal integer, as ``int``."""

    regex = r"[0-9]+"
    weight = 10
    python_type = int
    kind = "int"

    def to_python(self, value: str) -> int:
        """Parse the digits."""
        return int(value)

    def to_url(self, value: Any) -> str:
        """Format a non-negative ``int`` (``bool`` is refused)."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"expected a non-negative int, got {value!r}")
        return str(value)


class FloatConverter(Converter):
    """A non-negative decimal number (no exponent), as ``float``."""

    regex = r"[0-9]+(?:\.[0-9]+)?"
    weight = 20
    python_type = float
    kind = "float"

    def to_python(self, value: str) -> float:
        """Parse the number."""
        return float(value)

    def to_url(self, value: Any) -> str:
        """Format a finite, non-negative number in positional notation."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a float, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"expected a finite, non-negative float, got {value!r}")
        # NOTE: repr() is the shortest text that round-trips, but it may use an
        # exponent ("1e-07") that the URL grammar refuses; Decimal re-renders
        # those same digits positionally.
        text = format(Decimal(repr(float(value))), "f")
        return text


class UUIDConverter(Converter):
    """A UUID in its canonical 8-4-4-4-12 hex form, as ``uuid.UUID``."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    weight = 30
    python_type = uuid.UUID
    kind = "uuid"

    def to_python(self, value: str) -> uuid.UUID:
        """Parse the UUID."""
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        """Format a ``uuid.UUID`` (or a string that parses as one)."""
        if isinstance(value, str):
            if self._compiled.fullmatch(value) is None:
                raise ValueError(f"expected a UUID, got {value!r}")
            return value.lower()
        if not isinstance(value, uuid.UUID):
            raise ValueError(f"expected a uuid.UUID, got {value!r}")
        return str(value)


class SlugConverter(Converter):
    """ASCII letters, digits, hyphens and underscores, as ``str``."""

    regex = r"[-a-zA-Z0-9_]+"
    weight = 80
    kind = "slug"


class _FunctionConverter(Converter):
    """A user converter built from a regex and a pair of functions."""

    def __init__(
        self,
        regex: str,
        to_python: Callable[[str], Any] | None,
        to_url: Callable[[Any], str] | None,
        weight: int,
        python_type: type,
    ) -> None:
        # Per-instance values shadow the ClassVar defaults on purpose.
        self.regex = regex  # type: ignore[misc]
        self.weight = weight  # type: ignore[misc]
        self.python_type = python_type  # type: ignore[misc]
        super().__init__()
        self._to_python = to_python
        self._to_url = to_url

    def to_python(self, value: str) -> Any:
        """Apply the user's ``to_python`` (identity when none was given)."""
        return value if self._to_python is None else self._to_python(value)

    def to_url(self, value: Any) -> str:
        """Apply the user's ``to_url`` (``str`` when none), then check the regex."""
        text = str(value) if self._to_url is None else self._to_url(value)
        if not isinstance(text, str) or self._compiled.fullmatch(text) is None:
            raise ValueError(f"to_url gave {text!r}, which does not match {self.regex!r}")
        return text


#: The built-in converters by name; they cannot be replaced.
BUILTIN_CONVERTERS: Mapping[str, Converter] = {
    "str": StringConverter(),
    "int": IntConverter(),
    "float": FloatConverter(),
    "uuid": UUIDConverter(),
    "slug": SlugConverter(),
    "path": PathConverter(),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_registry: dict[str, Converter] = {}


def _return_type(function: Callable[..., Any] | None) -> type:
    annotation = getattr(function, "__annotations__", {}).get("return")
    return annotation if isinstance(annotation, type) else object


def register_converter(
    name: str,
    converter: Converter | None = None,
    *,
    regex: str | None = None,
    to_python: Callable[[str], Any] | None = None,
    to_url: Callable[[Any], str] | None = None,
    weight: int = DEFAULT_USER_WEIGHT,
) -> Converter:
    """Register a converter usable as ``{param:name}`` in every router.

    Either pass a :class:`Converter` instance, or a ``regex`` with optional
    ``to_python`` / ``to_url`` functions and a ``weight``. Registration
    happens at import time, before routes are added.

    Args:
        name: The name used in patterns (an identifier).
        converter: A ready converter instance.
        regex: The pattern a decoded segment must fully match.
        to_python: Segment to value; may raise ValueError to refuse a segment.
        to_url: Value to segment; its output must match ``regex``.
        weight: Priority among parameters (lower is tried first).

    Returns:
        The registered converter.

    Raises:
        RouteError: The name is invalid, built in or already taken, or the
            arguments are inconsistent.
    """
    if not _NAME.fullmatch(name):
        raise RouteError(f"converter name {name!r} is not an identifier")
    if name in BUILTIN_CONVERTERS:
        raise RouteError(f"converter {name!r} is built in and cannot be replaced")
    if converter is None:
        if regex is None:
            raise RouteError(f"converter {name!r} needs a regex or a Converter instance")
        try:
            re.compile(regex)
        except re.error as exc:
            raise RouteError(f"converter {name!r} has an invalid regex {regex!r}: {exc}") from exc
        converter = _FunctionConverter(regex, to_python, to_url, weight, _return_type(to_python))
    elif regex is not None or to_python is not None or to_url is not None:
        raise RouteError(f"converter {name!r}: pass a Converter instance or functions, not both")
    elif not isinstance(converter, Converter):
        raise RouteError(f"converter {name!r} must be a fastcore.routing.Converter instance")
    elif converter.kind != "custom":
        raise RouteError(f"converter {name!r}: built-in converter classes cannot be re-registered")
    existing = _registry.get(name)
    if existing is not None and existing is not converter:
        raise RouteError(f"converter {name!r} is already registered ({existing!r})")
    _registry[name] = converter
    return converter


def get_converter(name: str, extra: Mapping[str, Converter] | None = None) -> Converter:
    """Return the converter registered under ``name``.

    Args:
        name: The converter name from a pattern.
        extra: Router-local converters, looked up after the built-ins.

    Raises:
        RouteError: No such converter.
    """
    found = BUILTIN_CONVERTERS.get(name)
    if found is None and extra is not None:
        found = extra.get(name)
    if found is None:
        found = _registry.get(name)
    if found is None:
        known = sorted({*BUILTIN_CONVERTERS, *(extra or {}), *_registry})
        raise RouteError(f"unknown converter {name!r}; known converters: {', '.join(known)}")
    return found
