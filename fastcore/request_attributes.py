"""Request attributes added by extensions: a per-app Request subclass with lazy properties.

:meth:`App.add_request_attribute <fastcore.app.App.add_request_attribute>`
records ``name -> factory``; when the App is built it serves requests of a
subclass of its request class that has one property per name. The property
calls the factory on first read and keeps the value in a slot of its own, so
a request that never reads it pays nothing, and the class keeps a fixed
layout (``__slots__`` only, which the parser needs to recycle request heads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["with_request_attributes"]

R = TypeVar("R")


def _lazy_property(name: str, slot: str, factory: Callable[[Any], Any]) -> property:
    def read(request: Any) -> Any:
        try:
            return getattr(request, slot)
        except AttributeError:
            value = factory(request)
            setattr(request, slot, value)
            return value

    def write(request: Any, value: Any) -> None:
        setattr(request, slot, value)

    return property(read, write, doc=f"``{name}``, made by {factory!r} on first read.")


def with_request_attributes(
    base: type[R], factories: Mapping[str, Callable[[Any], Any]]
) -> type[R]:
    """Return a subclass of ``base`` with one lazy property per ``name -> factory``."""
    namespace: dict[str, Any] = {
        "__slots__": tuple(f"_attribute_{name}" for name in factories),
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
    }
    for name, factory in factories.items():
        namespace[name] = _lazy_property(name, f"_attribute_{name}", factory)
    return type(base.__name__, (base,), namespace)
