"""Jinja-compatible templates: compiled to Python, rendered on a Cython runtime."""

from __future__ import annotations

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
from .runtime import Markup as Markup
from .runtime import StrictUndefined as StrictUndefined
from .runtime import Undefined as Undefined
from .runtime import escape as escape

__all__ = [
    "BaseLoader",
    "ChoiceLoader",
    "DictLoader",
    "Environment",
    "FileSystemLoader",
    "FunctionLoader",
    "Markup",
    "PackageLoader",
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
    "pass_context",
    "pass_environment",
    "pass_eval_context",
    "select_autoescape",
]
