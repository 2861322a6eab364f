"""Routing: patterns, converters, the Router and reverse URLs.

Priority at every place in a path: a static segment, then typed parameters by
converter weight (``int`` < ``float`` < ``uuid`` < user converters < ``slug``),
then ``str``, then ``path``. See :mod:`fastcore.routing.router` for the full
matching rules and :mod:`fastcore.routing.converters` for the weights.
"""

from __future__ import annotations

from fastcore.routing.converters import Converter as Converter
from fastcore.routing.converters import get_converter as get_converter
from fastcore.routing.converters import register_converter as register_converter
from fastcore.routing.router import Route as Route
from fastcore.routing.router import RouteMatch as RouteMatch
from fastcore.routing.router import Router as Router
from fastcore.routing.rules import ParsedPattern as ParsedPattern
from fastcore.routing.rules import parse_pattern as parse_pattern
from fastcore.routing.urls import URLBuildError as URLBuildError
from fastcore.routing.urls import quote_segment as quote_segment

__all__ = [
    "Converter",
    "ParsedPattern",
    "Route",
    "RouteMatch",
    "Router",
    "URLBuildError",
    "get_converter",
    "parse_pattern",
    "quote_segment",
    "register_converter",
]
