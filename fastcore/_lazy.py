"""Lazy package exports: names imported from their module on first use.

Packages whose exports pull in heavy or cyclic imports (SQLAlchemy for the
ORM, the middleware for the security helpers) list ``name -> module`` and
install the pair of functions this module builds as their module-level
``__getattr__`` and ``__dir__`` (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``(__getattr__, __dir__)`` for ``package``.

    Args:
        package: The package's ``__name__`` (for error messages).
        namespace: The package's ``globals()``; a loaded name is stored there so
            later lookups skip ``__getattr__``.
        exports: Each lazy name and the full name of the module defining it.
        public: The package's ``__all__``.
    """
    names = sorted({*public})

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__
