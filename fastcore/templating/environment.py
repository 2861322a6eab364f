"""The template Environment (configuration, loading, caching) and compiled Templates."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from .compiler import CompiledSource, compile_template
from .debug import rewrite_traceback, template_line
from .exceptions import TemplateNotFound, TemplatesNotFound, TemplateSyntaxError
from .filters import DEFAULT_FILTERS
from .lexer import Lexer, TokenStream
from .loaders import BaseLoader
from .nodes import Template as TemplateNode
from .parser import Parser
from .runtime import (
    Context,
    Cycler,
    Joiner,
    Namespace,
    StrictUndefined,
    TemplateModule,
    Undefined,
    missing,
    template_globals,
)
from .tests import DEFAULT_TESTS

__all__ = ["Environment", "Template", "select_autoescape"]

AutoescapeSetting = bool | Callable[[str | None], bool]


def select_autoescape(
    enabled_extensions: Sequence[str] = ("html", "htm", "xml"),
    disabled_extensions: Sequence[str] = (),
    default_for_string: bool = True,
    default: bool = False,
) -> Callable[[str | None], bool]:
    """Build an autoescape policy from the template name's extension.

    Args:
        enabled_extensions: Extensions that turn autoescaping on.
        disabled_extensions: Extensions that turn it off.
        default_for_string: The setting for templates made with ``from_string``.
        default: The setting for any other name.
    """
    enabled = tuple(f".{ext.lstrip('.').lower()}" for ext in enabled_extensions)
    disabled = tuple(f".{ext.lstrip('.').lower()}" for ext in disabled_extensions)

    def autoescape(template_name: str | None) -> bool:
        if template_name is None:
            return default_for_string
        lowered = template_name.lower()
        if lowered.endswith(enabled):
            return True
        if lowered.endswith(disabled):
            return False
        return default

    return autoescape


def _default_globals() -> dict[str, Any]:
    return {
        "range": range,
        "dict": dict,
        "cycler": Cycler,
        "joiner": Joiner,
        "namespace": Namespace,
    }


class Environment:
    """The shared configuration of a set of templates, and their cache.

    Args:
        loader: Where named templates come from (``get_template``).
        autoescape: True, False, or a callable of the template name; by
            default on for ``.html``, ``.htm``, ``.xml`` and string templates.
        auto_reload: Recompile a cached template when its source changed.
        undefined: ``"lenient"`` (missing names render empty), ``"strict"``
            (using one raises UndefinedError) or an Undefined subclass.
        trim_blocks: Drop the first newline after a block tag.
        lstrip_blocks: Drop whitespace before a block tag at the start of a line.
        keep_trailing_newline: Keep the single trailing newline of a template.
        cache_size: How many compiled templates to keep (least recently used go first).
        line_statement_prefix: A line starting with it (after indentation) is a
            tag: with ``"#"``, ``# for x in y`` means ``{% for x in y %}``.
        line_comment_prefix: From it to the end of the line is a comment.

    ``policies`` holds Jinja's filter policies (``urlize.rel``,
    ``urlize.target``, ``urlize.extra_schemes``, ``truncate.leeway``,
    ``json.dumps_function``, ``json.dumps_kwargs``), with Jinja's defaults.
    """

    def __init__(
        self,
        loader: BaseLoader | None = None,
        autoescape: AutoescapeSetting | None = None,
        auto_reload: bool = False,
        undefined: str | type[Undefined] = "lenient",
        trim_blocks: bool = False,
        lstrip_blocks: bool = False,
        keep_trailing_newline: bool = False,
        cache_size: int = 400,
        line_statement_prefix: str | None = None,
        line_comment_prefix: str | None = None,
    ) -> None:
        self.loader = loader
        self.autoescape: AutoescapeSetting = (
            select_autoescape() if autoescape is None else autoescape
        )
        self.auto_reload = auto_reload
        self.undefined: type[Undefined] = _undefined_class(undefined)
        self.trim_blocks = trim_blocks
        self.lstrip_blocks = lstrip_blocks
        self.keep_trailing_newline = keep_trailing_newline
        self.cache_size = cache_size
        self.line_statement_prefix = line_statement_prefix
        self.line_comment_prefix = line_comment_prefix
        self.policies: dict[str, Any] = {
            "urlize.rel": "noopener",
            "urlize.target": None,
            "urlize.extra_schemes": None,
            "truncate.leeway": 5,
            "json.dumps_function": None,
            "json.dumps_kwargs": {"sort_keys": True},
        }
        self.filters: dict[str, Callable[..., Any]] = dict(DEFAULT_FILTERS)
        self.tests: dict[str, Callable[..., Any]] = dict(DEFAULT_TESTS)
        self.globals: dict[str, Any] = _default_globals()
        self._cache: OrderedDict[str, Template] = OrderedDict()
        self._cache_lock = threading.Lock()

    # --- compiling ---------------------------------------------------------

    def autoescape_for(self, name: str | None) -> bool:
        """Tell whether a template of this name autoescapes its output."""
        if callable(self.autoescape):
            return bool(self.autoescape(name))
        return bool(self.autoescape)

    def lexer(self) -> Lexer:
        """Return a lexer with this environment's whitespace options."""
        return Lexer(
            self.trim_blocks,
            self.lstrip_blocks,
            self.keep_trailing_newline,
            self.line_statement_prefix,
            self.line_comment_prefix,
        )

    def parse(
        self, source: str, name: str | None = None, filename: str | None = None
    ) -> TemplateNode:
        """Parse template source into its syntax tree."""
        try:
            tokens = self.lexer().tokenize(source, name, filename)
            stream = TokenStream(tokens, name, filename)
            try:
                return Parser(stream).parse()
            except RecursionError:
                # The parser recurses once per nesting level of an expression.
                raise TemplateSyntaxError(
                    "the template nests too deeply", stream.current.lineno, name, filename
                ) from None
        except TemplateSyntaxError as exc:
            exc.source = source
            raise

    def compile(
        self, source: str, name: str | None = None, filename: str | None = None
    ) -> CompiledSource:
        """Compile template source into Python source and its line map.

        The result is deterministic: the same source gives the same Python
        source. ``compile(...).source`` is the place to look when debugging.
        """
        tree = self.parse(source, name, filename)
        try:
            return compile_template(tree, self, name, filename, self.autoescape_for(name))
        except TemplateSyntaxError as exc:
            exc.source = source
            raise

    def from_string(self, source: str, globals: Mapping[str, Any] | None = None) -> Template:
        """Compile a template from a string (it is not cached)."""
        return Template(self, source, None, None, None, globals)

    # --- loading -----------------------------------------------------------

    def join_path(self, template: str, parent: str) -> str:
        """Resolve a template name used inside ``parent`` (names are absolute)."""
        return template

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> Template:
        """Load a template by name through the loader, using the cache.

        Raises:
            TemplateNotFound: The loader has no such template.
            TemplateSyntaxError: The template (or one it needs) is malformed.
        """
        if isinstance(name, Template):
            return name
        if parent is not None:
            name = self.join_path(name, parent)
        cached = self._cache.get(name)
        if cached is not None and (not self.auto_reload or cached.is_up_to_date):
            try:
                self._cache.move_to_end(name)
            except KeyError:  # evicted by another thread meanwhile; still valid
                pass
            return cached
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        source, filename, uptodate = self.loader.get_source(self, name)
        template = Template(self, source, name, filename, uptodate, globals)
        # NOTE: sync handlers render from a thread pool, so the cache is shared.
        with self._cache_lock:
            self._cache[name] = template
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return template

    def select_template(
        self, names: Iterable[str | Template], parent: str | None = None
    ) -> Template:
        """Load the first template of ``names`` that exists."""
        names = list(names)
        if not names:
            raise TemplatesNotFound(message="Tried to select from an empty list of templates.")
        for name in names:
            try:
                return self.get_template(name, parent)
            except TemplateNotFound:
                pass
        raise TemplatesNotFound([str(name) for name in names])

    def get_or_select_template(
        self, names: str | Template | Iterable[str | Template], parent: str | None = None
    ) -> Template:
        """Load one template by name, or the first existing one of a list."""
        if isinstance(names, (str, Template)):
            return self.get_template(names, parent)
        return self.select_template(names, parent)

    def list_templates(self) -> list[str]:
        """List the templates the loader can find."""
        if self.loader is None:
            return []
        return self.loader.list_templates()

    def clear_cache(self) -> None:
        """Forget every compiled template."""
        self._cache.clear()

    # --- filters and tests from Python -------------------------------------

    def _call(
        self, kind: str, name: str, value: Any, args: Sequence[Any], kwargs: Mapping[str, Any],
        context: Context | None,
    ) -> Any:  # fmt: skip
        registry: dict[str, Callable[..., Any]] = getattr(self, kind)
        function = registry.get(name)
        if function is None:
            raise TemplateRuntimeErrorFor(kind, name)
        marker = getattr(function, "fastcore_pass_arg", None)
        if marker in ("context", "eval_context"):
            if context is None:
                raise TypeError(f"{kind[:-1]} {name!r} needs a render context")
            return function(context, value, *args, **kwargs)
        if marker == "environment":
            return function(self, value, *args, **kwargs)
        return function(value, *args, **kwargs)

    def call_filter(
        self,
        name: str,
        value: Any,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        context: Context | None = None,
    ) -> Any:
        """Apply the filter ``name`` to ``value`` (``map`` and friends use this)."""
        return self._call("filters", name, value, args, kwargs or {}, context)

    def call_test(
        self,
        name: str,
        value: Any,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        context: Context | None = None,
    ) -> Any:
        """Apply the test ``name`` to ``value`` (``select`` and friends use this)."""
        return self._call("tests", name, value, args, kwargs or {}, context)


def TemplateRuntimeErrorFor(kind: str, name: str) -> Exception:  # noqa: N802
    """Build the error for an unknown filter or test used from Python."""
    from .exceptions import TemplateRuntimeError

    return TemplateRuntimeError(f"No {kind[:-1]} named {name!r}.")


@functools.lru_cache(maxsize=16)
def _shared_environment(options: tuple[tuple[str, Any], ...]) -> Environment:
    """The environment of ``Template(source, **options)``, one per set of options."""
    return Environment(**dict(options))


def _undefined_class(undefined: str | type[Undefined]) -> type[Undefined]:
    if undefined == "lenient":
        return Undefined
    if undefined == "strict":
        return StrictUndefined
    if isinstance(undefined, type) and issubclass(undefined, Undefined):
        return undefined
    raise ValueError(
        f"undefined must be 'lenient', 'strict' or an Undefined subclass, not {undefined!r}"
    )


class Template:
    """A compiled template: render it with a context.

    Get one from :meth:`Environment.get_template` or
    :meth:`Environment.from_string`; ``Template(source, **options)`` is the
    shortcut for a one-off template: it compiles ``source`` in a shared
    environment built from the ``Environment`` keyword ``options``
    (autoescaping on by default, unlike Jinja's shortcut).
    """

    @overload
    def __init__(self, environment: str, /, **options: Any) -> None: ...

    @overload
    def __init__(
        self,
        environment: Environment,
        source: str,
        name: str | None,
        filename: str | None,
        uptodate: Callable[[], bool] | None,
        globals: Mapping[str, Any] | None = None,
    ) -> None: ...

    def __init__(  # type: ignore[misc]  # the options of the shortcut are Environment's
        self,
        environment: Environment | str,
        source: str | None = None,
        name: str | None = None,
        filename: str | None = None,
        uptodate: Callable[[], bool] | None = None,
        globals: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        if isinstance(environment, str):
            if source is not None:
                raise TypeError("Template(source, **options) takes one positional argument")
            source = environment
            environment = _shared_environment(tuple(sorted(options.items())))
        elif options or source is None:
            raise TypeError("Template(environment, source, ...) takes no environment options")
        compiled = environment.compile(source, name, filename)
        self.environment = environment
        self.name = name
        self.filename = filename
        self.autoescape = environment.autoescape_for(name)
        self.line_map = compiled.line_map
        self.source = compiled.source
        #: The file name of the generated code object (tracebacks are rewritten).
        self.code_filename = f"<template {name or 'from_string'}>"
        namespace = template_globals()
        namespace.update(
            environment=environment,
            undefined=environment.undefined,
            __fastcore_template__=self,
            __name__=f"fastcore.templating.compiled.{name}",
        )
        try:
            code = compile(compiled.source, self.code_filename, "exec")
        except (SyntaxError, RecursionError) as exc:
            # Python's own limits (20 nested loops, 100 indentation levels,
            # deep expressions), reported at the template line.
            python_line = exc.lineno if isinstance(exc, SyntaxError) and exc.lineno else 1
            error = TemplateSyntaxError(
                f"the template nests too deeply ({exc})",
                template_line(compiled.line_map, python_line),
                name,
                filename,
            )
            error.source = source
            raise error from None
        exec(code, namespace)
        self.root: Callable[[Context, Callable[[str], object]], None] = namespace["root"]
        self.blocks: dict[str, Callable[[Context, Callable[[str], object]], None]] = namespace[
            "blocks"
        ]
        self.globals: dict[str, Any] = (
            environment.globals if not globals else {**environment.globals, **globals}
        )
        self._uptodate = uptodate
        self._module: TemplateModule | None = None

    @property
    def is_up_to_date(self) -> bool:
        """Tell whether the template's source is unchanged since it was compiled."""
        return self._uptodate is None or self._uptodate()

    def new_context(
        self,
        vars: Mapping[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> Context:
        """Build the render context (globals, then ``vars``, then ``locals``)."""
        if shared:
            parent = dict(vars) if vars is not None else {}
        else:
            parent = {**self.globals, **vars} if vars else dict(self.globals)
        if locals:
            for key, value in locals.items():
                if value is not missing:
                    parent[key] = value
        return Context(
            self.environment,
            parent,
            self.name,
            self.blocks,
            self.environment.undefined,
            self.autoescape,
        )

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render the template with the variables given as a dict and/or keywords."""
        if args:
            kwargs = dict(*args, **kwargs)
        context = Context(
            self.environment,
            {**self.globals, **kwargs},
            self.name,
            self.blocks,
            self.environment.undefined,
            self.autoescape,
        )
        buffer: list[str] = []
        try:
            self.root(context, buffer.append)
        except Exception as exc:
            raise rewrite_traceback(exc)  # noqa: B904 - the same exception, relocated
        return "".join(buffer)

    def make_module(
        self,
        vars: Mapping[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> TemplateModule:
        """Run the template and return its exported names as a module."""
        context = self.new_context(vars, shared, locals)
        buffer: list[str] = []
        self.root(context, buffer.append)
        return TemplateModule(self, context, "".join(buffer))

    @property
    def module(self) -> TemplateModule:
        """The template as a module without context (cached, like Jinja's)."""
        if self._module is None:
            self._module = self.make_module()
        return self._module

    def template_line(self, python_line: int) -> int:
        """Map a line of the generated code to the template line."""
        return template_line(self.line_map, python_line)

    def __repr__(self) -> str:
        name = "memory" if self.name is None else repr(self.name)
        return f"<{type(self).__name__} {name}>"
