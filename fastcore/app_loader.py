"""Find an application from a ``module:attribute`` spec (the CLI's ``--app`` and ``run APP``)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["import_app"]


def import_app(spec: str) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted) and return it.

    The current directory is importable, as with ``python -m``.

    Raises:
        ImproperlyConfigured: The spec is malformed or names nothing.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ImproperlyConfigured(f"expected 'module:app', got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name and not module_name.startswith(f"{exc.name}."):
            raise  # a missing dependency inside the module: show the real error
        raise ImproperlyConfigured(f"cannot import module {module_name!r}") from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImproperlyConfigured(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    return target
