"""Jinja-compatible templates: compiled to Python, rendered on a Cython runtime.

The names below are loaded on first use (PEP 562), so a module that needs only
``Markup`` or ``escape`` (forms, the CSRF middleware) does not load the
compiler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports

if TYPE_CHECKING:
    from .environment import Environment as Environment
    from .environment import Template as Template
    from .environment import select_autoescape as select_autoescape
    from .exceptions import TemplateAssertionError as TemplateAssertionError
    from .exceptions import TemplateError as TemplateError
    from .exceptions import TemplateNotFound as TemplateNotFound
    from .exceptions import TemplateRuntimeError as TemplateRuntimeError
    from .exceptions import TemplatesNotFound as TemplatesNotFound
    from .exceptions import TemplateSyntaxError as TemplateSyntaxError
    from .exceptions import UndefinedError as UndefinedError
    from .filters import pass_context as pass_context
    from .filters import pass_environment as pass_environment
    from .filters import pass_eval_context as pass_eval_context
    from .loaders import BaseLoader as BaseLoader
    from .loaders import ChoiceLoader as ChoiceLoader
    from .loaders import DictLoader as DictLoader
    from .loaders import FileSystemLoader as FileSystemLoader
    from .loaders import FunctionLoader as FunctionLoader
    from .loaders import PackageLoader as PackageLoader
    from .loaders import PrefixLoader as PrefixLoader
    from .runtime import Markup as Markup
    from .runtime import StrictUndefined as StrictUndefined
    from .runtime import Undefined as Undefined
    from .runtime import escape as escape
    from .undefined import ChainableUndefined as ChainableUndefined
    from .undefined import DebugUndefined as DebugUndefined
    from .undefined import is_undefined as is_undefined
    from .undefined import make_logging_undefined as make_logging_undefined

__all__ = [
    "BaseLoader",
    "ChainableUndefined",
    "ChoiceLoader",
    "DebugUndefined",
    "DictLoader",
    "Environment",
    "FileSystemLoader",
    "FunctionLoader",
    "Markup",
    "PackageLoader",
    "PrefixLoader",
    "StrictUndefined",
    "Template",
    "TemplateAssertionError",
    "TemplateError",
    "TemplateNotFound",
    "TemplateRuntimeError",
    "TemplateSyntaxError",
    "TemplatesNotFound",
    "Undefined",
    "UndefinedError",
    "escape",
    "is_undefined",
    "make_logging_undefined",
    "pass_context",
    "pass_environment",
    "pass_eval_context",
    "select_autoescape",
]

_LAZY = {
    "Environment": "fastcore.templating.environment",
    "Template": "fastcore.templating.environment",
    "select_autoescape": "fastcore.templating.environment",
    "TemplateAssertionError": "fastcore.templating.exceptions",
    "TemplateError": "fastcore.templating.exceptions",
    "TemplateNotFound": "fastcore.templating.exceptions",
    "TemplateRuntimeError": "fastcore.templating.exceptions",
    "TemplatesNotFound": "fastcore.templating.exceptions",
    "TemplateSyntaxError": "fastcore.templating.exceptions",
    "UndefinedError": "fastcore.templating.exceptions",
    "pass_context": "fastcore.templating.filters",
    "pass_environment": "fastcore.templating.filters",
    "pass_eval_context": "fastcore.templating.filters",
    "BaseLoader": "fastcore.templating.loaders",
    "ChoiceLoader": "fastcore.templating.loaders",
    "DictLoader": "fastcore.templating.loaders",
    "FileSystemLoader": "fastcore.templating.loaders",
    "FunctionLoader": "fastcore.templating.loaders",
    "PackageLoader": "fastcore.templating.loaders",
    "PrefixLoader": "fastcore.templating.loaders",
    "ChainableUndefined": "fastcore.templating.undefined",
    "DebugUndefined": "fastcore.templating.undefined",
    "is_undefined": "fastcore.templating.undefined",
    "make_logging_undefined": "fastcore.templating.undefined",
    "Markup": "fastcore.templating.runtime",
    "StrictUndefined": "fastcore.templating.runtime",
    "Undefined": "fastcore.templating.runtime",
    "escape": "fastcore.templating.runtime",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)
