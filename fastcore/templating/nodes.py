"""The template syntax tree built by the parser and walked by the compiler."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Assign", "AssignBlock", "Autoescape", "BinOp", "Block", "Call", "CallBlock", "Compare",
    "Concat", "CondExpr", "Const", "Dict", "Expr", "Extends", "Filter", "FilterBlock", "For",
    "FromImport", "Getattr", "Getitem", "If", "Import", "Include", "Keyword", "List",
    "Macro", "NSRef", "Name", "Node", "Output", "Slice", "Stmt", "Template",
    "TemplateData", "Test", "Tuple", "UnaryOp", "With",
]  # fmt: skip


@dataclass(slots=True, kw_only=True)
class Node:
    """Base of every node: the template line it starts on."""

    lineno: int = 0


class Expr(Node):
    """Base of expression nodes."""

    __slots__ = ()


class Stmt(Node):
    """Base of statement nodes."""

    __slots__ = ()


# --- expressions -------------------------------------------------------------


@dataclass(slots=True)
class Name(Expr):
    """A variable: ``ctx`` is ``load``, ``store`` or ``param``."""

    name: str
    ctx: str = "load"


@dataclass(slots=True)
class NSRef(Expr):
    """An assignment target ``namespace.attr``."""

    name: str
    attr: str


@dataclass(slots=True)
class Const(Expr):
    """A literal: str, int, float, bool or None."""

    value: object


@dataclass(slots=True)
class Tuple(Expr):
    """A tuple display, also a multiple-assignment target."""

    items: list[Expr]
    ctx: str = "load"


@dataclass(slots=True)
class List(Expr):
    """A list display."""

    items: list[Expr]


@dataclass(slots=True)
class Dict(Expr):
    """A dict display of ``(key, value)`` pairs."""

    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class CondExpr(Expr):
    """``expr1 if test else expr2``; ``expr2`` may be missing."""

    test: Expr
    expr1: Expr
    expr2: Expr | None


@dataclass(slots=True)
class BinOp(Expr):
    """A binary operator: arithmetic, ``and`` or ``or``."""

    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class UnaryOp(Expr):
    """``not``, unary ``-`` or unary ``+``."""

    op: str
    node: Expr


@dataclass(slots=True)
class Compare(Expr):
    """A comparison chain ``expr op1 e1 op2 e2 ...``."""

    expr: Expr
    ops: list[tuple[str, Expr]]


@dataclass(slots=True)
class Concat(Expr):
    """String concatenation with ``~``."""

    nodes: list[Expr]


@dataclass(slots=True)
class Getattr(Expr):
    """``node.attr``: attribute first, then item."""

    node: Expr
    attr: str


@dataclass(slots=True)
class Getitem(Expr):
    """``node[arg]``: item first, then attribute."""

    node: Expr
    arg: Expr


@dataclass(slots=True)
class Slice(Expr):
    """A slice inside a subscript."""

    start: Expr | None
    stop: Expr | None
    step: Expr | None


@dataclass(slots=True)
class Keyword(Node):
    """A keyword argument ``key=value``."""

    key: str
    value: Expr


@dataclass(slots=True)
class Call(Expr):
    """A call with positional, keyword, ``*`` and ``**`` arguments."""

    node: Expr
    args: list[Expr] = field(default_factory=list)
    kwargs: list[Keyword] = field(default_factory=list)
    dyn_args: Expr | None = None
    dyn_kwargs: Expr | None = None


@dataclass(slots=True)
class Filter(Expr):
    """``node|name(args)``; ``node`` is None inside a filter block."""

    node: Expr | None
    name: str
    args: list[Expr] = field(default_factory=list)
    kwargs: list[Keyword] = field(default_factory=list)
    dyn_args: Expr | None = None
    dyn_kwargs: Expr | None = None


@dataclass(slots=True)
class Test(Expr):
    """``node is name(args)``."""

    node: Expr
    name: str
    args: list[Expr] = field(default_factory=list)
    kwargs: list[Keyword] = field(default_factory=list)
    dyn_args: Expr | None = None
    dyn_kwargs: Expr | None = None


# --- statements --------------------------------------------------------------


@dataclass(slots=True)
class TemplateData(Expr):
    """Literal template text inside an Output node."""

    data: str


@dataclass(slots=True)
class Output(Stmt):
    """Text and ``{{ }}`` expressions written to the output, in order."""

    nodes: list[Expr]


@dataclass(slots=True)
class For(Stmt):
    """``for target in iter [if test] [recursive]`` with an optional else."""

    target: Expr
    iter: Expr
    body: list[Stmt]
    else_: list[Stmt]
    test: Expr | None
    recursive: bool


@dataclass(slots=True)
class If(Stmt):
    """``if``/``elif``/``else``: ``branches`` of (test, body) and an else body."""

    branches: list[tuple[Expr, list[Stmt]]]
    else_: list[Stmt]


@dataclass(slots=True)
class Assign(Stmt):
    """``set target = node``."""

    target: Expr
    node: Expr


@dataclass(slots=True)
class AssignBlock(Stmt):
    """``set target [| filter]`` ... ``endset``."""

    target: Expr
    filter: Filter | None
    body: list[Stmt]


@dataclass(slots=True)
class With(Stmt):
    """``with a = 1, b = 2`` ... ``endwith``."""

    targets: list[Expr]
    values: list[Expr]
    body: list[Stmt]


@dataclass(slots=True)
class Macro(Stmt):
    """``macro name(args)`` ... ``endmacro``; defaults align with the last args."""

    name: str
    args: list[Name]
    defaults: list[Expr]
    body: list[Stmt]


@dataclass(slots=True)
class CallBlock(Stmt):
    """``call[(args)] expr`` ... ``endcall``: the body becomes ``caller``."""

    call: Call
    args: list[Name]
    defaults: list[Expr]
    body: list[Stmt]


@dataclass(slots=True)
class FilterBlock(Stmt):
    """``filter name`` ... ``endfilter``."""

    body: list[Stmt]
    filter: Filter


@dataclass(slots=True)
class Autoescape(Stmt):
    """``autoescape value`` ... ``endautoescape``: switch escaping for the body."""

    value: Expr
    body: list[Stmt]


@dataclass(slots=True)
class Block(Stmt):
    """``block name [scoped] [required]`` ... ``endblock``."""

    name: str
    body: list[Stmt]
    scoped: bool
    required: bool


@dataclass(slots=True)
class Extends(Stmt):
    """``extends template``."""

    template: Expr


@dataclass(slots=True)
class Include(Stmt):
    """``include template [ignore missing] [with|without context]``."""

    template: Expr
    with_context: bool
    ignore_missing: bool


@dataclass(slots=True)
class Import(Stmt):
    """``import template as target [with context]``."""

    template: Expr
    target: str
    with_context: bool


@dataclass(slots=True)
class FromImport(Stmt):
    """``from template import name [as alias], ... [with context]``."""

    template: Expr
    names: list[tuple[str, str]]
    with_context: bool


@dataclass(slots=True)
class Template(Node):
    """The root node: the template's statements."""

    body: list[Stmt]
