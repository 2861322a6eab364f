"""The compiled template runtime: escaping, safe strings, lookup, context, loops, macros.

Compiled templates call these directly; ``fastcore.templating.runtime``
re-exports them and lists the full ABI in ``exported``.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn, SupportsIndex

from typing_extensions import disjoint_base

class Markup(str):
    """A string that is safe HTML: it is never escaped again.

    Operations with plain strings escape the plain side, so the result stays safe.
    """

    def __new__(
        cls, base: object = "", encoding: str | None = None, errors: str = "strict"
    ) -> Markup: ...
    def __html__(self) -> Markup:
        """Return the markup itself (the protocol autoescaping checks)."""
    def __add__(self, other: object) -> Markup: ...
    def __radd__(self, other: object) -> Markup: ...
    def __mul__(self, num: SupportsIndex) -> Markup: ...
    def __rmul__(self, num: SupportsIndex) -> Markup: ...
    def __mod__(self, arg: Any) -> Markup: ...
    def join(self, seq: Iterable[object]) -> Markup:
        """Join the items, escaping every one that is not safe."""
    def split(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[Markup]: ...  # type: ignore[override]
    def rsplit(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[Markup]: ...  # type: ignore[override]
    def splitlines(self, keepends: bool = False) -> list[Markup]: ...  # type: ignore[override]
    def partition(self, sep: str) -> tuple[Markup, Markup, Markup]: ...
    def rpartition(self, sep: str) -> tuple[Markup, Markup, Markup]: ...
    def unescape(self) -> str:
        """Convert HTML entities back to characters."""
    def striptags(self) -> str:
        """Remove tags and comments, collapse whitespace and unescape."""
    @classmethod
    def escape(cls, s: object) -> Markup:
        """Escape ``s`` and return it as this class."""
    def format(self, *args: object, **kwargs: object) -> Markup:
        """``str.format`` with every replacement field escaped."""
    def format_map(self, mapping: Any) -> Markup:
        """``str.format_map`` with every replacement field escaped."""
    def __html_format__(self, format_spec: str) -> Markup: ...
    # str methods whose result is Markup; replace escapes `new`, the padding methods their fill.
    def __getitem__(self, *args: Any, **kwargs: Any) -> Markup: ...
    def capitalize(self, *args: Any, **kwargs: Any) -> Markup: ...
    def title(self, *args: Any, **kwargs: Any) -> Markup: ...
    def lower(self, *args: Any, **kwargs: Any) -> Markup: ...
    def upper(self, *args: Any, **kwargs: Any) -> Markup: ...
    def replace(self, *args: Any, **kwargs: Any) -> Markup: ...
    def ljust(self, *args: Any, **kwargs: Any) -> Markup: ...
    def rjust(self, *args: Any, **kwargs: Any) -> Markup: ...
    def lstrip(self, *args: Any, **kwargs: Any) -> Markup: ...
    def rstrip(self, *args: Any, **kwargs: Any) -> Markup: ...
    def center(self, *args: Any, **kwargs: Any) -> Markup: ...
    def strip(self, *args: Any, **kwargs: Any) -> Markup: ...
    def translate(self, *args: Any, **kwargs: Any) -> Markup: ...
    def expandtabs(self, *args: Any, **kwargs: Any) -> Markup: ...
    def swapcase(self, *args: Any, **kwargs: Any) -> Markup: ...
    def zfill(self, *args: Any, **kwargs: Any) -> Markup: ...
    def removeprefix(self, *args: Any, **kwargs: Any) -> Markup: ...
    def removesuffix(self, *args: Any, **kwargs: Any) -> Markup: ...
    def casefold(self, *args: Any, **kwargs: Any) -> Markup: ...

def escape_str(s: str) -> str:
    """Escape ``& < > " '`` as MarkupSafe does; return ``s`` itself if nothing changes."""

def striptags(s: str) -> str:
    """MarkupSafe's ``striptags``: drop comments and tags, collapse whitespace, unescape."""

def unescape_html(s: str) -> str:
    """``html.unescape``, faster when the only entities are the ones escaping writes."""

def escape(s: object) -> Markup:
    """Escape a value into Markup; values with ``__html__`` are taken as they are."""

def escape_silent(s: object) -> Markup:
    """Like :func:`escape`, but None becomes an empty Markup."""

def soft_str(s: object) -> str:
    """Convert to str, keeping str subclasses such as Markup unchanged."""

def render_escaped(value: object) -> str:
    """Return the text autoescaped output writes for ``value``."""

def render_str(value: object) -> str:
    """Return the text non-escaped output writes for ``value`` (``str(value)``)."""

def markup_join(seq: Iterable[object]) -> str:
    """Concatenate under autoescape: Markup if any part is safe, escaping the rest."""

def str_join(seq: Iterable[object]) -> str:
    """Concatenate the ``str()`` of every item."""

def markup_if(ctx: Context, rendered: str) -> str:
    """Wrap rendered text in Markup when the context autoescapes."""

class _MissingType: ...

missing: _MissingType
"""The sentinel for "no value given" (macro arguments, context lookups)."""

def object_type_repr(obj: object) -> str:
    """Name the type of ``obj`` for an error message (``'dict object'``)."""

@disjoint_base
class Undefined:
    """A missing value: renders as ``""``, is falsy, iterates as empty.

    Any other use (attribute access, arithmetic, calls) raises UndefinedError.
    """

    _undefined_hint: str | None
    _undefined_obj: object
    _undefined_name: object
    _undefined_exception: type[Exception]
    def __init__(
        self,
        hint: str | None = None,
        obj: object = ...,
        name: object = None,
        exc: type[Exception] | None = None,
    ) -> None: ...
    @property
    def _undefined_message(self) -> str:
        """The message of the error a use of this value raises."""
    def _fail_with_undefined_error(self, *args: object, **kwargs: object) -> Any:
        """Raise the UndefinedError describing this value (subclasses may override it)."""
    def __getattr__(self, name: str) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __call__(self, *args: object, **kwargs: object) -> Any: ...
    def __getitem__(self, key: object, /) -> Any: ...
    def __add__(self, other: object, /) -> NoReturn: ...
    def __radd__(self, other: object, /) -> NoReturn: ...
    def __sub__(self, other: object, /) -> NoReturn: ...
    def __rsub__(self, other: object, /) -> NoReturn: ...
    def __mul__(self, other: object, /) -> NoReturn: ...
    def __rmul__(self, other: object, /) -> NoReturn: ...
    def __truediv__(self, other: object, /) -> NoReturn: ...
    def __rtruediv__(self, other: object, /) -> NoReturn: ...
    def __floordiv__(self, other: object, /) -> NoReturn: ...
    def __rfloordiv__(self, other: object, /) -> NoReturn: ...
    def __mod__(self, other: object, /) -> NoReturn: ...
    def __rmod__(self, other: object, /) -> NoReturn: ...

class StrictUndefined(Undefined):
    """A missing value that raises UndefinedError on any use, printing included."""

def lookup_attr(obj: object, attribute: str, undefined: type[Undefined]) -> Any:
    """Evaluate ``obj.attribute``: attribute first, then item, else undefined."""

def lookup_item(obj: object, key: object, undefined: type[Undefined]) -> Any:
    """Evaluate ``obj[key]``: item first, then attribute, else undefined."""

@disjoint_base
class Context:
    """The variables of one render and the block chains of its inheritance."""

    environment: Any
    name: str | None
    parent: dict[str, Any]
    vars: dict[str, Any]
    exported_vars: set[str]
    blocks: dict[str, list[Callable[..., Any]]]
    undefined: type[Undefined]
    autoescape: bool
    def __init__(
        self,
        environment: Any,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[..., Any]] | None,
        undefined: type[Undefined],
        autoescape: bool,
    ) -> None: ...
    def resolve(self, key: str) -> Any:
        """Look a name up in the template variables, then the parent; else undefined."""
    def resolve_or_missing(self, key: str) -> Any:
        """Like :meth:`resolve`, returning ``missing`` instead of an undefined."""
    def get_all(self) -> dict[str, Any]:
        """Return every variable (parent merged with template variables)."""
    def get_exported(self) -> dict[str, Any]:
        """Return the exported top-level variables (for imports)."""
    def derived(self, locals: dict[str, Any] | None = None) -> Context:
        """Return a new context with these extra variables (scoped blocks)."""
    def get(self, key: str, default: Any = None) -> Any:
        """Return a variable or ``default``."""
    def __contains__(self, key: str, /) -> bool: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def keys(self) -> Any:
        """Return the names of every variable."""

def render_block(ctx: Context, name: str) -> str:
    """Render the most derived version of a block (``self.name()``)."""

def render_super(ctx: Context, name: str, current: Callable[..., Any]) -> Any:
    """Render the parent version of block ``name`` (``super()``)."""

@disjoint_base
class LoopContext:
    """The ``loop`` variable of a for loop."""

    depth0: int
    def __init__(
        self,
        iterable: Iterable[Any],
        undefined: type[Undefined],
        recurse: Callable[[Iterable[Any], int], str] | None = None,
        depth0: int = 0,
    ) -> None: ...
    def __iter__(self) -> LoopContext: ...
    def __next__(self) -> Any: ...
    @property
    def length(self) -> int:
        """The number of items."""
    @property
    def index0(self) -> int:
        """The current iteration, from 0."""
    @property
    def index(self) -> int:
        """The current iteration, from 1."""
    @property
    def revindex0(self) -> int:
        """Iterations left after this one."""
    @property
    def revindex(self) -> int:
        """Iterations left, this one included."""
    @property
    def first(self) -> bool:
        """Whether this is the first iteration."""
    @property
    def last(self) -> bool:
        """Whether this is the last iteration."""
    @property
    def depth(self) -> int:
        """The recursion depth, from 1."""
    @property
    def previtem(self) -> Any:
        """The previous item, or undefined on the first iteration."""
    @property
    def nextitem(self) -> Any:
        """The next item, or undefined on the last iteration."""
    def cycle(self, *args: Any) -> Any:
        """Return the argument matching the iteration, cycling through them."""
    def changed(self, *value: Any) -> bool:
        """Tell whether ``value`` differs from the previous call's."""
    def __call__(self, iterable: Iterable[Any]) -> str:
        """Render the loop body again over ``iterable`` (recursive loops)."""

@disjoint_base
class Macro:
    """A template macro (or ``caller``): call it to render its body."""

    name: str
    arguments: tuple[str, ...]
    catch_kwargs: bool
    catch_varargs: bool
    caller: bool
    explicit_caller: bool
    def __init__(
        self,
        func: Callable[..., str],
        name: str,
        arguments: tuple[str, ...],
        catch_kwargs: bool,
        catch_varargs: bool,
        caller: bool,
        undefined: type[Undefined],
        explicit_caller: bool = False,
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> str: ...

def context_call(ctx: Context, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a global, passing the context/environment first when it is marked so."""
