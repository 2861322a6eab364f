"""The runtime ABI of compiled templates: every name the generated code may use.

The per-render kernels (escaping, lookup, loop context, macros, undefined
values) come from the Cython module ``fastcore._speedups.template_runtime``;
this module adds the rarely-hot helpers (include, import, ``self``,
namespaces) and lists, in ``exported``, the names injected into every
compiled template's globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastcore._speedups.template_runtime import (
    Context,
    LoopContext,
    Macro,
    Markup,
    StrictUndefined,
    Undefined,
    context_call,
    escape,
    escape_silent,
    lookup_attr,
    lookup_item,
    markup_if,
    markup_join,
    missing,
    object_type_repr,
    render_block,
    render_escaped,
    render_str,
    render_super,
    soft_str,
    str_join,
)

from .exceptions import TemplateNotFound, TemplateRuntimeError, UndefinedError

if TYPE_CHECKING:
    from .environment import Environment, Template

__all__ = [
    "Context",
    "Cycler",
    "Joiner",
    "LoopContext",
    "Macro",
    "Markup",
    "Namespace",
    "StrictUndefined",
    "TemplateModule",
    "TemplateReference",
    "Undefined",
    "escape",
    "escape_silent",
    "exported",
    "lookup_attr",
    "lookup_item",
    "missing",
    "object_type_repr",
    "soft_str",
]

Writer = Callable[[str], object]


class TemplateReference:
    """The ``self`` variable: ``self.blockname()`` renders a block again."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def __getitem__(self, name: str) -> Callable[[], str]:
        context = self._context
        if name not in context.blocks:
            raise KeyError(name)

        def render() -> str:
            rendered: str = render_block(context, name)
            return rendered

        return render

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._context.name!r}>"


class TemplateModule:
    """A template imported with ``import``: its exported names as attributes.

    ``str(module)`` is the text the template rendered while being imported.
    """

    def __init__(self, template: Template, context: Context, body: str) -> None:
        self.__dict__.update(context.get_exported())
        self.__name__ = template.name
        self._body = body

    def __html__(self) -> Markup:
        return Markup(self._body)

    def __str__(self) -> str:
        return self._body

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__!r}>"


class Namespace:
    """A mutable attribute bag for ``{% set ns.attr = value %}`` across scopes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.__attrs = dict(*args, **kwargs)

    def __getattribute__(self, name: str) -> Any:
        if name in {"_Namespace__attrs", "__class__"}:
            return object.__getattribute__(self, name)
        try:
            return self.__attrs[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        self.__attrs[name] = value

    def __repr__(self) -> str:
        return f"<Namespace {self.__attrs!r}>"


class Cycler:
    """Cycle through values with ``next()``: the ``cycler`` global."""

    def __init__(self, *items: Any) -> None:
        if not items:
            raise RuntimeError("at least one item has to be provided")
        self.items = items
        self.pos = 0

    def reset(self) -> None:
        """Go back to the first item."""
        self.pos = 0

    @property
    def current(self) -> Any:
        """The item ``next()`` returns next."""
        return self.items[self.pos]

    def next(self) -> Any:
        """Return the current item and advance."""
        rv = self.current
        self.pos = (self.pos + 1) % len(self.items)
        return rv

    __next__ = next


class Joiner:
    """Return ``sep`` on every call but the first: the ``joiner`` global."""

    def __init__(self, sep: str = ", ") -> None:
        self.sep = sep
        self.used = False

    def __call__(self) -> str:
        if not self.used:
            self.used = True
            return ""
        return self.sep


def namespace_assign(namespace: object, attribute: str, value: object) -> None:
    """Run ``{% set ns.attribute = value %}``."""
    if not isinstance(namespace, Namespace):
        raise TemplateRuntimeError("cannot assign attribute on non-namespace object")
    namespace[attribute] = value


def _load(
    environment: Environment, template: object, parent: str | None, ignore_missing: bool
) -> Template | None:
    if isinstance(template, str):
        loader: Callable[..., Template] = environment.get_template
    elif isinstance(template, (list, tuple)):
        loader = environment.select_template
    else:
        return template  # type: ignore[return-value]
    try:
        return loader(template, parent)
    except TemplateNotFound:
        if ignore_missing:
            return None
        raise


def include_template(
    environment: Environment,
    template: object,
    parent: str | None,
    context: Context | None,
    local_vars: Mapping[str, object] | None,
    ignore_missing: bool,
    write: Writer,
) -> None:
    """Render ``{% include %}`` into the current output."""
    loaded = _load(environment, template, parent, ignore_missing)
    if loaded is None:
        return
    if context is None:
        new_context = loaded.new_context()
    else:
        new_context = loaded.new_context(context.get_all(), True, local_vars)
    loaded.root(new_context, write)


def import_template(
    environment: Environment,
    template: object,
    parent: str | None,
    context: Context | None,
    local_vars: Mapping[str, object] | None,
) -> TemplateModule:
    """Run ``{% import %}`` / ``{% from ... import %}`` and return the module."""
    loaded = _load(environment, template, parent, False)
    assert loaded is not None
    if context is None:
        return loaded.module
    return loaded.make_module(context.get_all(), True, local_vars)


def import_name(module: TemplateModule, name: str, lineno: int, undefined: type[Undefined]) -> Any:
    """Fetch one name of a ``from ... import``, or an undefined naming the problem."""
    try:
        return getattr(module, name)
    except AttributeError:
        return undefined(
            f"the template {module.__name__!r} (imported on line {lineno}) does not export"
            f" the requested name {name!r}",
            name=name,
        )


def context_call_with(
    ctx: Context, local_vars: Mapping[str, Any], function: Any, *args: Any, **kwargs: Any
) -> Any:
    """Call a global from a loop or block: a ``pass_context`` one sees ``local_vars`` too."""
    marker = getattr(function, "fastcore_pass_arg", None)
    if marker is None:
        marker = getattr(getattr(function, "jinja_pass_arg", None), "name", None)
    if marker == "context":
        ctx = ctx.derived(dict(local_vars))
    return context_call(ctx, function, *args, **kwargs)


def unknown_callable(kind: str, name: str) -> Callable[..., Any]:
    """Stand in for a filter or test the environment lacks, used under an ``if``.

    The template compiles; using it raises, as in Jinja 3.1.
    """

    def fail(*args: object, **kwargs: object) -> Any:
        raise TemplateRuntimeError(f"No {kind} named {name!r} found.")

    return fail


# The names a compiled template's globals receive: its ABI with this runtime.
_ABI: dict[str, Any] = {
    "Context": Context,
    "LoopContext": LoopContext,
    "Macro": Macro,
    "Markup": Markup,
    "TemplateNotFound": TemplateNotFound,
    "TemplateReference": TemplateReference,
    "TemplateRuntimeError": TemplateRuntimeError,
    "Undefined": Undefined,
    "UndefinedError": UndefinedError,
    "context_call": context_call,
    "context_call_with": context_call_with,
    "escape": escape,
    "import_name": import_name,
    "import_template": import_template,
    "include_template": include_template,
    "lookup_attr": lookup_attr,
    "lookup_item": lookup_item,
    "markup_if": markup_if,
    "markup_join": markup_join,
    "missing": missing,
    "namespace_assign": namespace_assign,
    "render_escaped": render_escaped,
    "render_str": render_str,
    "render_super": render_super,
    "str_join": str_join,
    "unknown_callable": unknown_callable,
}

#: The sorted names of the runtime ABI (what generated code may reference).
exported: list[str] = sorted(_ABI)


def template_globals() -> dict[str, Any]:
    """Build the base globals of a compiled template module."""
    return dict(_ABI)
