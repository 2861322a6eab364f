"""The hot built-in template filters, compiled: Jinja 3.1's arguments and output.

``fastcore.templating.filters`` registers them under their template names
(``int`` is ``to_int``, ``format`` is ``percent_format``...), marking the ones
that take the render context or the environment first.
"""

from collections.abc import Callable, Iterable
from typing import Any, final

from fastcore._speedups.template_runtime import Context

def upper(s: object) -> str:
    """``upper``: the text uppercased (Markup stays Markup)."""

def lower(s: object) -> str:
    """``lower``: the text lowercased (Markup stays Markup)."""

def capitalize(s: object) -> str:
    """``capitalize``: the first character uppercased, the rest lowercased."""

def title(s: object) -> str:
    """``title``: every word (after spaces, dashes and opening brackets) titlecased."""

def trim(value: object, chars: str | None = None) -> str:
    """``trim``: leading and trailing whitespace (or ``chars``) stripped."""

def percent_format(value: object, *args: object, **kwargs: object) -> str:
    """``format``: printf-style ``value % args`` (or ``% kwargs``, never both)."""

def replace(
    eval_ctx: Context, s: object, old: object, new: object, count: int | None = None
) -> str:
    """``replace``: occurrences of ``old`` replaced, escaping as autoescape requires."""

def truncate(
    environment: Any,
    s: Any,
    length: int = 255,
    killwords: bool = False,
    end: str = "...",
    leeway: int | None = None,
) -> Any:
    """``truncate``: the text cut to ``length`` characters, at a word boundary unless ``killwords``.

    Text at most ``leeway`` characters too long (the ``truncate.leeway`` policy
    when None) is kept whole.
    """

def wordcount(s: object) -> int:
    """``wordcount``: the number of ``\\w+`` runs in the text."""

def striptags(value: object) -> str:
    """``striptags``: tags and comments removed, whitespace collapsed, entities unescaped."""

@final
class AttributeGetter:
    """Look up a dotted attribute path (``"author.name"``, ``"0"``) item first, as Jinja.

    Args:
        undefined: The undefined class a failed lookup returns.
        attribute: The path; digit parts are integer indexes.
        postprocess: Applied to the value found (lowercasing, say).
        default: Replaces an undefined value at any step when not None.
    """

    def __init__(
        self,
        undefined: Callable[..., Any],
        attribute: str | int | None,
        postprocess: Callable[[Any], Any] | None = None,
        default: Any = None,
    ) -> None: ...
    def __call__(self, item: Any) -> Any: ...

def join(
    eval_ctx: Context, value: Iterable[Any], d: str = "", attribute: str | int | None = None
) -> str:
    """``join``: the items joined by ``d``, escaping the unsafe ones when any item is safe."""

def default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """``default``: ``default_value`` if the value is undefined (or falsy with ``boolean``)."""

def first(environment: Any, seq: Iterable[Any]) -> Any:
    """``first``: the first item, or an undefined value for an empty sequence."""

def last(environment: Any, seq: Any) -> Any:
    """``last``: the last item, or an undefined value for an empty sequence."""

def to_int(value: Any, default: int = 0, base: int = 10) -> int:
    """``int``: the value as an int (``"4.2"`` gives 4), or ``default``."""

def to_float(value: Any, default: float = 0.0) -> float:
    """``float``: the value as a float, or ``default``."""

def round_number(value: float, precision: int = 0, method: str = "common") -> float:
    """``round``: rounded to ``precision`` digits, ``common``, ``ceil`` or ``floor``."""
