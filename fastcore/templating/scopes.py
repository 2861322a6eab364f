"""Scope analysis for the compiler: the names each template scope assigns and reads.

A template scope (the template body, a loop body, a macro, a ``with``...)
maps every name it assigns to its own Python identifier, so that an inner
scope never leaks into an outer one, as in Jinja.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields

from . import nodes

__all__ = [
    "FirstUse",
    "Frame",
    "Function",
    "collect_stores",
    "frame_loop_symbols",
    "has_scoped_block",
    "iter_child_nodes",
    "loads_name",
    "set_names",
    "target_names",
]


# PERF: dataclasses.fields() builds its tuple on every call, and the scope
# analysis asks for the children of every node many times per compile.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def iter_child_nodes(node: nodes.Node) -> Iterator[nodes.Node]:
    """Yield the direct child nodes of ``node``."""
    names = _FIELD_NAMES.get(type(node))
    if names is None:
        names = _FIELD_NAMES[type(node)] = tuple(field.name for field in fields(node))
    for name in names:
        value = getattr(node, name)
        if isinstance(value, nodes.Node):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _nodes_in(value)


def _nodes_in(value: object) -> Iterator[nodes.Node]:
    if isinstance(value, nodes.Node):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _nodes_in(item)


def loads_name(body: list[nodes.Stmt] | list[nodes.Node], names: set[str]) -> set[str]:
    """Return which of ``names`` are read anywhere in ``body`` (blocks excluded)."""
    found: set[str] = set()
    stack: list[nodes.Node] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Block):
            continue
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in names:
            found.add(node.name)
        stack.extend(iter_child_nodes(node))
    return found


def has_scoped_block(body: list[nodes.Stmt]) -> bool:
    """Tell whether ``body`` contains a ``scoped`` block (it needs the loop's locals)."""
    stack: list[nodes.Node] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Block) and node.scoped:
            return True
        stack.extend(child for child in iter_child_nodes(node) if isinstance(child, nodes.Stmt))
    return False


def target_names(target: nodes.Expr) -> list[str]:
    """Return the names an assignment target binds, in order."""
    if isinstance(target, nodes.Name):
        return [target.name]
    if isinstance(target, nodes.Tuple):
        return [name for item in target.items for name in target_names(item)]
    return []


def collect_stores(body: list[nodes.Stmt]) -> list[str]:
    """Names assigned in this scope (``if`` bodies share the scope; loops do not)."""
    stores: dict[str, None] = {}
    for node in body:
        if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            stores.update(dict.fromkeys(target_names(node.target)))
        elif isinstance(node, nodes.Macro):
            stores[node.name] = None
        elif isinstance(node, nodes.Import):
            stores[node.target] = None
        elif isinstance(node, nodes.FromImport):
            stores.update(dict.fromkeys(alias for _, alias in node.names))
        elif isinstance(node, nodes.If):
            for _, branch in node.branches:
                stores.update(dict.fromkeys(collect_stores(branch)))
            stores.update(dict.fromkeys(collect_stores(node.else_)))
    return list(stores)


class Function:
    """A Python function being generated: its head lines and context names."""

    def __init__(self, ident: int, writer: str) -> None:
        self.ident = ident
        self.resolved: dict[str, str] = {}
        self.writer = writer


class Frame:
    """A template scope: the Python identifiers of the names it assigns."""

    def __init__(self, parent: Frame | None, function: Function, toplevel: bool, ident: int):
        self.parent = parent
        self.function = function
        self.toplevel = toplevel
        self.ident = ident
        self.symbols: dict[str, str] = {}
        #: Names this scope reads or assigns (Jinja's symbol references).
        self.refs: set[str] = set()
        self.loop_symbols: set[str] = set()
        #: Inside an ``if`` or inline if: unknown filters and tests fail at render time.
        self.soft = False
        #: For a loop body or a block: the names its ``set`` tags assign, which
        #: ``pass_context`` callables called there see (Jinja's _loop_vars).
        self.tracked: list[str] | None = None
        self.block: str | None = parent.block if parent is not None else None
        # Whether output here is dropped once the template has extended another
        # (Jinja's require_output_check): the root scope and the scopes in it,
        # but not macros, blocks or set blocks.
        self.output_check: bool = parent.output_check if parent is not None else toplevel

    def known(self, name: str) -> bool:
        """Tell whether this scope or an enclosing one reads or assigns ``name``."""
        frame: Frame | None = self
        while frame is not None:
            if name in frame.refs or name in frame.symbols:
                return True
            frame = frame.parent
        return False

    def find(self, name: str) -> str | None:
        """Return the identifier of an assigned name visible here, if any."""
        frame: Frame | None = self
        while frame is not None:
            if name in frame.symbols:
                return frame.symbols[name]
            frame = frame.parent
        return None

    def declare(self, name: str) -> str:
        """Assign ``name`` in this scope; return its Python identifier."""
        ident = self.symbols.get(name)
        if ident is None:
            ident = self.symbols[name] = f"l_{self.ident}_{name}"
        return ident

    def visible(self) -> dict[str, str]:
        """Every assigned name visible here, inner scopes first."""
        result: dict[str, str] = {}
        frame: Frame | None = self
        while frame is not None:
            for name, ident in frame.symbols.items():
                result.setdefault(name, ident)
            frame = frame.parent
        return result


def set_names(body: list[nodes.Stmt]) -> list[str]:
    """The names the ``set`` tags of a scope assign (``if`` branches included)."""
    names: dict[str, None] = {}
    for node in body:
        if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            names.update(dict.fromkeys(target_names(node.target)))
        elif isinstance(node, nodes.If):
            for _, branch in node.branches:
                names.update(dict.fromkeys(set_names(branch)))
            names.update(dict.fromkeys(set_names(node.else_)))
    return list(names)


def frame_loop_symbols(frame: Frame) -> set[str]:
    """The identifiers of every LoopContext visible from ``frame``."""
    symbols: set[str] = set()
    current: Frame | None = frame
    while current is not None:
        symbols |= current.loop_symbols
        current = current.parent
    return symbols


class FirstUse:
    """Jinja's rule for the starting value of a name a scope assigns.

    Walking the scope's own statements in order (inner scopes excluded, ``if``
    branches included): a name first *read* here starts as the context value;
    a name first *assigned* starts as the enclosing scope's value if an
    enclosing scope knows it, else undefined. A name assigned in only some
    branches of an ``if`` starts as the outer or context value.

    Args:
        known_outside: Tells whether an enclosing scope reads or assigns a name.
    """

    def __init__(self, known_outside: Callable[[str], bool]) -> None:
        self.known_outside = known_outside
        #: name -> "resolve" (context), "alias" (enclosing scope) or "undefined"
        self.kinds: dict[str, str] = {}
        self.stores: set[str] = set()

    def load(self, name: str) -> None:
        """Record a read of ``name``."""
        if name not in self.kinds and not self.known_outside(name):
            self.kinds[name] = "resolve"

    def store(self, name: str) -> None:
        """Record an assignment of ``name``."""
        self.stores.add(name)
        if name not in self.kinds:
            self.kinds[name] = "alias" if self.known_outside(name) else "undefined"

    def expression(self, node: nodes.Node | None) -> None:
        """Record the reads of an expression."""
        if node is None:
            return
        stack: list[nodes.Node] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, nodes.Name) and current.ctx == "load":
                self.load(current.name)
            stack.extend(iter_child_nodes(current))

    def statements(self, body: list[nodes.Stmt]) -> None:
        """Record the reads and assignments of a scope's statements, in order."""
        for node in body:
            self.statement(node)

    def statement(self, node: nodes.Stmt) -> None:  # noqa: C901 - one branch per tag
        """Record one statement (only the parts evaluated in this scope)."""
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                self.expression(child)
        elif isinstance(node, nodes.Assign):
            self.expression(node.node)
            self.target(node.target)
        elif isinstance(node, nodes.AssignBlock):
            self.target(node.target)
        elif isinstance(node, nodes.If):
            self.branches(node.branches, node.else_)
        elif isinstance(node, nodes.For):
            self.expression(node.iter)
        elif isinstance(node, nodes.With):
            for value in node.values:
                self.expression(value)
        elif isinstance(node, nodes.Macro):
            self.store(node.name)
        elif isinstance(node, nodes.CallBlock):
            self.expression(node.call)
        elif isinstance(node, nodes.FilterBlock):
            for arg in node.filter.args:
                self.expression(arg)
        elif isinstance(node, (nodes.Include, nodes.Extends)):
            self.expression(node.template)
        elif isinstance(node, nodes.Import):
            self.expression(node.template)
            self.store(node.target)
        elif isinstance(node, nodes.FromImport):
            self.expression(node.template)
            for _, alias in node.names:
                self.store(alias)

    def target(self, target: nodes.Expr) -> None:
        if isinstance(target, nodes.NSRef):
            self.load(target.name)
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                if isinstance(item, nodes.NSRef):
                    self.load(item.name)
        for name in target_names(target):
            self.store(name)

    def branches(
        self, branches: list[tuple[nodes.Expr, list[nodes.Stmt]]], else_: list[nodes.Stmt]
    ) -> None:
        """Record an ``if``: body, the ``elif`` chain and ``else`` as three branches.

        The ``elif`` chain is an ``if`` nested in the first one's place; it is
        walked with an explicit stack, so hundreds of ``elif`` never hit the
        recursion limit.
        """
        Branch = tuple[dict[str, str], set[str]]
        levels: list[tuple[dict[str, str], set[str], Branch]] = []
        for index, (test, body) in enumerate(branches):
            if index:
                # An elif starts from the state before the enclosing if's body.
                outer_kinds, outer_stores = levels[-1][0], levels[-1][1]
                self.kinds, self.stores = dict(outer_kinds), set(outer_stores)
            self.expression(test)
            outer_kinds, outer_stores = self.kinds, self.stores
            self.kinds, self.stores = dict(outer_kinds), set(outer_stores)
            self.statements(body)
            levels.append((outer_kinds, outer_stores, (self.kinds, self.stores)))
        inner: Branch | None = None
        for outer_kinds, outer_stores, body_result in reversed(levels):
            untouched: Branch = (dict(outer_kinds), set(outer_stores))
            if inner is None:
                self.kinds, self.stores = dict(outer_kinds), set(outer_stores)
                self.statements(else_)
                results = [body_result, untouched, (self.kinds, self.stores)]
            else:
                results = [body_result, inner, untouched]
            self.kinds, self.stores = outer_kinds, outer_stores
            self._merge(results, outer_stores)
            inner = (self.kinds, self.stores)

    def _merge(self, results: list[tuple[dict[str, str], set[str]]], outer: set[str]) -> None:
        """Fold the branches of an ``if`` into the current state."""
        counts: dict[str, int] = {}
        for _, stores in results:
            for name in stores - outer:
                counts[name] = counts.get(name, 0) + 1
        for kinds, stores in results:
            self.kinds.update(kinds)
            self.stores.update(stores)
        for name, count in counts.items():
            if count != len(results):
                self.kinds[name] = "alias" if self.known_outside(name) else "resolve"
