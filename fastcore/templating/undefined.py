"""The other kinds of undefined values: chainable, debug and logging ones.

``Undefined`` and ``StrictUndefined`` live in the compiled runtime; these are
Python subclasses of it, with Jinja's names and behaviour, for
``Environment(undefined=...)``.
"""

from __future__ import annotations

import logging
from typing import Any

from .runtime import Undefined, missing, object_type_repr

__all__ = ["ChainableUndefined", "DebugUndefined", "is_undefined", "make_logging_undefined"]


def is_undefined(obj: object) -> bool:
    """Tell whether ``obj`` is an undefined value (of any Undefined class).

    Handy in custom filters: ``return default if is_undefined(value) else value``.
    """
    return isinstance(obj, Undefined)


class ChainableUndefined(Undefined):
    """An undefined whose attributes and items are undefined too, instead of errors.

    ``{{ user.address.city|default("?") }}`` renders ``?`` when ``user`` is
    missing; any other use (arithmetic, calls) still raises.
    """

    def __html__(self) -> str:
        return str(self)

    def __getattribute__(self, name: str) -> Any:
        # The compiled base class fails in its own attribute hook, before a
        # Python __getattr__ would run: public names short-circuit here.
        if name[:1] != "_":
            return self
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Any:
        return self


class DebugUndefined(Undefined):
    """An undefined that prints itself: ``{{ name }}`` renders ``{{ name }}``.

    Leaves the placeholders of missing variables visible in the output, for
    debugging (or for templating a template).
    """

    def __str__(self) -> str:
        if self._undefined_hint:
            message = f"undefined value printed: {self._undefined_hint}"
        elif self._undefined_obj is missing:
            message = str(self._undefined_name)
        else:
            owner = object_type_repr(self._undefined_obj)
            message = f"no such element: {owner}[{self._undefined_name!r}]"
        return "{{ " + message + " }}"


def make_logging_undefined(
    logger: logging.Logger | None = None, base: type[Undefined] = Undefined
) -> type[Undefined]:
    """Build an Undefined class that logs every use of a missing value.

    Printing, iterating or testing one logs a warning; a use that fails logs
    an error, then raises as ``base`` does.

    Args:
        logger: Where to log; ``logging.getLogger("fastcore.templating")`` by
            default (no handler is added, unlike Jinja: logging stays the
            application's to configure).
        base: The Undefined class to extend (``StrictUndefined``, ``ChainableUndefined``...).
    """
    log = logger if logger is not None else logging.getLogger("fastcore.templating")

    class LoggingUndefined(base):  # type: ignore[valid-type, misc]
        def _fail_with_undefined_error(self, *args: object, **kwargs: object) -> Any:
            log.error("Template variable error: %s", self._undefined_message)
            return super()._fail_with_undefined_error(*args, **kwargs)

        def __str__(self) -> str:
            log.warning("Template variable warning: %s", self._undefined_message)
            return str(super().__str__())

        def __iter__(self) -> Any:
            log.warning("Template variable warning: %s", self._undefined_message)
            return super().__iter__()

        def __bool__(self) -> bool:
            log.warning("Template variable warning: %s", self._undefined_message)
            return bool(super().__bool__())

    LoggingUndefined.__name__ = LoggingUndefined.__qualname__ = f"Logging{base.__name__}"
    return LoggingUndefined
