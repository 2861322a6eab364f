"""Middleware: ordered layers around the handlers, each a class with one contract."""

from __future__ import annotations

from fastcore.middleware_base import (
    FunctionMiddleware as FunctionMiddleware,
)
from fastcore.middleware_base import (
    Handler as Handler,
)
from fastcore.middleware_base import (
    Middleware as Middleware,
)
from fastcore.middleware_base import (
    MiddlewareSpec as MiddlewareSpec,
)

__all__ = ["FunctionMiddleware", "Handler", "Middleware", "MiddlewareSpec"]
