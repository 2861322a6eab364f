"""Compiles the template syntax tree into Python source that calls the Cython runtime.

Every template becomes a module with a ``root(ctx, w)`` function and one
``block_<name>(ctx, w)`` function per block, where ``w`` appends to the output
buffer. Variables assigned in the template become Python locals (one
identifier per scope, so inner scopes never leak, as in Jinja); names read but
never assigned are resolved from the context once, at the top of the function
that reads them.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from . import nodes
from .exceptions import TemplateAssertionError, TemplateSyntaxError
from .scopes import (
    FirstUse,
    Frame,
    Function,
    collect_stores,
    frame_loop_symbols,
    has_scoped_block,
    iter_child_nodes,
    loads_name,
    set_names,
    target_names,
)

__all__ = ["CompiledSource", "compile_template"]

_BINOPS = {"+", "-", "*", "/", "//", "%", "**", "and", "or"}
_UNARY = {"not": "not ", "neg": "-", "pos": "+"}
_LOOP_ATTRIBUTES = {
    "index", "index0", "revindex", "revindex0", "first", "last", "length",
    "depth", "depth0", "previtem", "nextitem", "cycle", "changed",
}  # fmt: skip
# Tests compiled inline instead of called: same result, no call overhead.
_INLINE_TESTS = {
    "defined": "(not isinstance({0}, Undefined))",
    "undefined": "isinstance({0}, Undefined)",
    "none": "({0} is None)",
}


@dataclass(slots=True)
class CompiledSource:
    """The Python source of a compiled template and its line map.

    Attributes:
        source: The generated module source.
        line_map: ``(python_line, template_line)`` pairs, sorted by python line.
    """

    source: str
    line_map: list[tuple[int, int]]


def compile_template(
    template: nodes.Template,
    environment: object,
    name: str | None,
    filename: str | None,
    autoescape: bool,
) -> CompiledSource:
    """Generate the Python module source for a parsed template."""
    generator = CodeGenerator(environment, name, filename, autoescape)
    try:
        return generator.compile(template)
    except RecursionError:
        # The generator recurses once per level of an expression's tree.
        raise TemplateSyntaxError(
            "the template nests too deeply", generator.lineno, name, filename
        ) from None


class CodeGenerator:
    """Turns one template tree into Python source (see the module docstring)."""

    def __init__(
        self, environment: object, name: str | None, filename: str | None, autoescape: bool
    ) -> None:
        self.environment = environment
        self.name = name
        self.filename = filename
        self.autoescape = autoescape
        self.lines: list[tuple[int, str, int]] = []
        self.indent = 0
        self.lineno = 1
        self.counter = 0
        self.bindings: dict[tuple[str, str], str] = {}
        self.blocks: dict[str, nodes.Block] = {}
        self.block_functions: list[list[tuple[int, str, int]]] = []
        # An `extends` at the top level drops later output at compile time;
        # one inside `if`/`for` guards later output at render time instead.
        self.extends_seen = False
        self.dynamic_extends = 0
        self.conditional_depth = 0
        # Locals that start as `missing` (assigned before any read, as in Jinja).
        self.missing_idents: set[str] = set()
        self.in_root = False
        self.root_function: Function | None = None

    # --- output helpers ----------------------------------------------------

    def fail(self, message: str, lineno: int) -> TemplateSyntaxError:
        return TemplateAssertionError(message, lineno, self.name, self.filename)

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def line(self, text: str, lineno: int | None = None) -> None:
        self.lines.append((self.indent, text, self.lineno if lineno is None else lineno))

    def capture(self) -> list[tuple[int, str, int]]:
        """Start a fresh line list; return the previous one to restore later."""
        previous = self.lines
        self.lines = []
        return previous

    # --- module ------------------------------------------------------------

    def compile(self, template: nodes.Template) -> CompiledSource:
        self._collect_blocks(template.body)
        function = Function(self.next_id(), "w")
        frame = Frame(None, function, True, 0)
        self.root_function = function
        self.in_root = True
        body = self.function_body(frame, template.body, parent_call=True)
        self.in_root = False
        module: list[tuple[int, str, int]] = [
            (0, f"# Template {self.name!r}, compiled by fastcore.templating.", 1)
        ]
        module.append((0, "def root(ctx, w):", 1))
        module.extend(body)
        for block in self.blocks.values():
            module.extend(self.block_function(block))
        block_items = ", ".join(f"{name!r}: block_{name}" for name in self.blocks)
        module.append((0, f"blocks = {{{block_items}}}", 1))
        registries = {"filters": self.environment.filters, "tests": self.environment.tests}  # type: ignore[attr-defined]
        for (kind, key), ident in self.bindings.items():
            if key in registries[kind]:
                module.append((0, f"{ident} = environment.{kind}[{key!r}]", 1))
            else:
                module.append((0, f"{ident} = unknown_callable({kind[:-1]!r}, {key!r})", 1))
        return self._assemble(module)

    def _assemble(self, module: list[tuple[int, str, int]]) -> CompiledSource:
        source_lines = []
        line_map: list[tuple[int, int]] = []
        for number, (indent, text, lineno) in enumerate(module, start=1):
            source_lines.append("    " * indent + text)
            if not line_map or line_map[-1][1] != lineno:
                line_map.append((number, lineno))
        return CompiledSource("\n".join(source_lines) + "\n", line_map)

    def _collect_blocks(self, body: list[nodes.Stmt] | list[nodes.Node]) -> None:
        stack: list[nodes.Node] = list(body)
        while stack:
            node = stack.pop(0)
            if isinstance(node, nodes.Block):
                if node.name in self.blocks:
                    raise self.fail(f"block {node.name!r} defined twice", node.lineno)
                self.blocks[node.name] = node
            if isinstance(node, nodes.Stmt):
                stack[:0] = [
                    child for child in iter_child_nodes(node) if isinstance(child, nodes.Stmt)
                ]

    def function_body(
        self,
        frame: Frame,
        body: list[nodes.Stmt],
        parent_call: bool = False,
        prologue: list[tuple[int, str, int]] | None = None,
    ) -> list[tuple[int, str, int]]:
        """Generate a function body (indented one level) with its context lookups."""
        saved, saved_indent = self.capture(), self.indent
        self.indent = 1
        self.lines = list(prologue or ())
        if parent_call and _has_extends(body):
            self.line("parent_template = None")
        self.scope_body(frame, body)
        if parent_call and self.extends_seen:
            self.line("parent_template.root(ctx, w)")
        elif parent_call and self.dynamic_extends:
            self.line("if parent_template is not None:")
            self.line("    parent_template.root(ctx, w)")
        generated = self.lines
        self.lines, self.indent = saved, saved_indent
        head = [(1, "resolve = ctx.resolve", self.lineno)] if frame.function.resolved else []
        for name, ident in frame.function.resolved.items():
            value = "TemplateReference(ctx)" if name == "self" else f"resolve({name!r})"
            head.append((1, f"{ident} = {value}", self.lineno))
        result = head + generated
        if not result:
            result = [(1, "pass", self.lineno)]
        return result

    def block_function(self, block: nodes.Block) -> list[tuple[int, str, int]]:
        function = Function(self.next_id(), "w")
        frame = Frame(None, function, False, function.ident)
        frame.block = block.name
        frame.tracked = set_names(block.body)
        self.lineno = block.lineno
        if block.required:
            body = [
                (
                    1,
                    f"raise TemplateRuntimeError({f'Required block {block.name!r} not found'!r})",
                    block.lineno,
                )
            ]
        else:
            body = self.function_body(frame, block.body)
        return [(0, f"def block_{block.name}(ctx, w):", block.lineno), *body]

    def scope_body(self, frame: Frame, body: list[nodes.Stmt], init: bool = True) -> None:
        """Declare the scope's assigned names, initialize them, then visit ``body``."""
        if init:
            parent = frame.parent
            uses = FirstUse(parent.known if parent is not None else lambda name: False)
            uses.statements(body)
            frame.refs.update(uses.kinds)
            for name in collect_stores(body):
                if name in frame.symbols:
                    continue
                kind = uses.kinds.get(name, "resolve")
                outer = parent.find(name) if parent is not None else None
                if kind == "undefined":
                    # `missing`, not an undefined: include/scoped-block locals skip it.
                    value = "missing"
                elif kind == "alias" and outer is not None:
                    value = outer
                else:
                    value = self.resolve_name(frame, name)
                ident = frame.declare(name)
                if kind == "undefined" or value in self.missing_idents:
                    self.missing_idents.add(ident)
                self.line(f"{ident} = {value}")
        for node in body:
            self.visit(node, frame)

    def resolve_name(self, frame: Frame, name: str) -> str:
        resolved = frame.function.resolved
        ident = resolved.get(name)
        if ident is None:
            ident = resolved[name] = f"c_{frame.function.ident}_{name}"
        return ident

    # --- statements --------------------------------------------------------

    def visit(self, node: nodes.Stmt, frame: Frame) -> None:
        self.lineno = node.lineno
        method = getattr(self, "visit_" + type(node).__name__)
        method(node, frame)

    def body(self, body: list[nodes.Stmt], frame: Frame) -> None:
        # NOTE: always a `pass`: a body whose output is all suppressed (after
        # `extends`) would otherwise be an empty Python block.
        self.line("pass")
        for node in body:
            self.visit(node, frame)

    def indented(self, body: list[nodes.Stmt], frame: Frame) -> None:
        self.indent += 1
        self.body(body, frame)
        self.indent -= 1

    def suppressed(self, frame: Frame) -> bool:
        """Output after a top-level ``extends`` is never rendered (Jinja)."""
        return self.extends_seen and frame.output_check

    def write(self, code: str, frame: Frame) -> None:
        self.line(f"{frame.function.writer}({code})")

    def guarded(self, frame: Frame) -> bool:
        """Open ``if parent_template is None:`` when output depends on a runtime extends."""
        if self.dynamic_extends and frame.output_check:
            self.line("if parent_template is None:")
            self.indent += 1
            return True
        return False

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if self.suppressed(frame):
            return
        if self.guarded(frame):
            self._output(node, frame)
            self.indent -= 1
        else:
            self._output(node, frame)

    def _output(self, node: nodes.Output, frame: Frame) -> None:
        pieces: list[str] = []
        temporaries = 0
        for child in node.nodes:
            literal = self._literal_output(child)
            if literal is not None:
                if literal:
                    pieces.append("f" + repr(literal).replace("{", "{{").replace("}", "}}"))
                continue
            self.lineno = child.lineno
            wrapper = "render_escaped" if self.autoescape else "render_str"
            code = f"{wrapper}({self.expr(child, frame)})"
            if len(node.nodes) == 1:
                self.write(code, frame)
                return
            temporary = f"_o{temporaries}"
            temporaries += 1
            self.line(f"{temporary} = {code}")
            pieces.append(f"f'{{{temporary}}}'")
        if pieces:
            self.lineno = node.lineno
            self.write(" ".join(pieces), frame)

    def _literal_output(self, node: nodes.Expr) -> str | None:
        if isinstance(node, nodes.TemplateData):
            return node.data
        if isinstance(node, nodes.Const) and isinstance(node.value, (str, int, float, type(None))):
            text = str(node.value)
            if self.autoescape:
                for char, entity in (
                    ("&", "&amp;"),
                    ("<", "&lt;"),
                    (">", "&gt;"),
                    ('"', "&#34;"),
                    ("'", "&#39;"),
                ):
                    text = text.replace(char, entity)
            return text
        return None

    def visit_If(self, node: nodes.If, frame: Frame) -> None:
        self.conditional_depth += 1
        # An unknown filter or test under an `if` fails only if it runs (Jinja 3.1).
        saved, frame.soft = frame.soft, True
        self._if(node, frame)
        frame.soft = saved
        self.conditional_depth -= 1

    def _if(self, node: nodes.If, frame: Frame) -> None:
        for index, (test, branch) in enumerate(node.branches):
            keyword_ = "if" if index == 0 else "elif"
            self.line(f"{keyword_} {self.expr(test, frame)}:", test.lineno)
            self.indented(branch, frame)
        if node.else_:
            self.line("else:")
            self.indented(node.else_, frame)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        for lineno in _stores_of(node, "loop"):
            raise self.fail("Can't assign to special loop variable in for-loop target", lineno)
        if node.recursive:
            self._recursive_for(node, frame)
            return
        iterable = self.expr(node.iter, frame)
        loop_frame = Frame(frame, frame.function, False, self.next_id())
        self._for_loop(node, frame, loop_frame, iterable, "None")

    def _for_loop(
        self, node: nodes.For, else_frame: Frame, loop_frame: Frame, iterable: str, recurse: str
    ) -> None:
        """Emit the loop over ``iterable`` (already compiled in the outer frame)."""
        targets = target_names(node.target)
        for name in targets:
            loop_frame.declare(name)
        loop_frame.tracked = set_names(node.body)
        target = self.assign_target(node.target, loop_frame)
        if node.test is not None:
            test = self.expr(node.test, loop_frame)
            iterable = f"[{target} for {target} in {iterable} if {test}]"
        uses_loop = (
            bool(loads_name(node.body, {"loop"}))
            or recurse != "None"
            or has_scoped_block(node.body)  # a scoped block sees `loop` too
        )
        iterated = None
        if node.else_:
            iterated = f"_iterated_{loop_frame.ident}"
            self.line(f"{iterated} = False")
        if uses_loop:
            loop_ident = loop_frame.declare("loop")
            loop_frame.loop_symbols.add(loop_ident)
            depth = "depth0" if recurse != "None" else "0"
            self.line(f"{loop_ident} = LoopContext({iterable}, undefined, {recurse}, {depth})")
            iterable = loop_ident
        self.line(f"for {target} in {iterable}:", node.lineno)
        self.indent += 1
        if iterated:
            self.line(f"{iterated} = True")
        self.line("pass")
        self.scope_body(loop_frame, node.body)
        self.indent -= 1
        if iterated:
            self.line(f"if not {iterated}:")
            self.indent += 1
            self.line("pass")
            self.scope_body(
                Frame(else_frame, else_frame.function, False, self.next_id()), node.else_
            )
            self.indent -= 1

    def _recursive_for(self, node: nodes.For, frame: Frame) -> None:
        function = Function(self.next_id(), f"w_{self.counter}")
        loop_frame = Frame(frame, function, False, function.ident)
        name = f"loop_{function.ident}"
        buffer = f"_b_{function.ident}"
        saved = self.capture()
        saved_indent, self.indent = self.indent, 1
        self.line(f"{buffer} = []")
        self.line(f"{function.writer} = {buffer}.append")
        else_frame = Frame(frame, function, False, self.next_id())
        self._for_loop(node, else_frame, loop_frame, "iterable", name)
        self.line(f"return markup_if(ctx, ''.join({buffer}))")
        generated = self.lines
        self.lines, self.indent = saved, saved_indent
        self.line(f"def {name}(iterable, depth0):")
        for ident in function.resolved.values():
            name_ = ident.split("_", 2)[2]
            self.lines.append((self.indent + 1, f"{ident} = ctx.resolve({name_!r})", self.lineno))
        for indent, text, lineno in generated:
            self.lines.append((indent + self.indent, text, lineno))
        # NOTE: written even after `extends`, as Jinja does: the body's own
        # output is dropped, but call blocks and includes in it still show.
        self.write(f"{name}({self.expr(node.iter, frame)}, 0)", frame)

    def assign_target(
        self,
        target: nodes.Expr,
        frame: Frame,
        references: list[tuple[str, nodes.NSRef]] | None = None,
    ) -> str:
        """The Python target of an assignment; ``ns.attr`` items go to ``references``."""
        if isinstance(target, nodes.Name):
            return frame.declare(target.name)
        if isinstance(target, nodes.NSRef) and references is not None:
            temporary = f"_ns_{self.next_id()}"
            references.append((temporary, target))
            return temporary
        if isinstance(target, nodes.Tuple):
            items = [self.assign_target(item, frame, references) for item in target.items]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        raise self.fail("can't assign to this expression", target.lineno)

    def export(self, names: list[str], frame: Frame, exported: bool = True) -> None:
        if not (frame.toplevel and self.in_root):
            return
        for name in names:
            self.line(f"ctx.vars[{name!r}] = {frame.symbols[name]}")
            if exported and not name.startswith("_"):
                self.line(f"ctx.exported_vars.add({name!r})")
            elif not name.startswith("_"):
                self.line(f"ctx.exported_vars.discard({name!r})")

    def visit_Assign(self, node: nodes.Assign, frame: Frame) -> None:
        value = self.expr(node.node, frame)
        if isinstance(node.target, nodes.NSRef):
            self._namespace_assign(node.target, value, frame)
            return
        references: list[tuple[str, nodes.NSRef]] = []
        self.line(f"{self.assign_target(node.target, frame, references)} = {value}")
        for temporary, reference in references:
            self._namespace_assign(reference, temporary, frame)
        self.export(target_names(node.target), frame)

    def _namespace_assign(self, target: nodes.NSRef, value: str, frame: Frame) -> None:
        namespace = self.load_name(target.name, frame)
        self.line(f"namespace_assign({namespace}, {target.attr!r}, {value})")

    def captured(self, body: list[nodes.Stmt], frame: Frame, output_check: bool = False) -> str:
        """Render ``body`` into its own buffer; return the expression of its text."""
        ident = self.next_id()
        buffer, writer = f"_b_{ident}", f"w_{ident}"
        self.line(f"{buffer} = []")
        self.line(f"{writer} = {buffer}.append")
        saved_writer = frame.function.writer
        frame.function.writer = writer
        scope = Frame(frame, frame.function, False, self.next_id())
        scope.output_check = output_check
        self.scope_body(scope, body)
        frame.function.writer = saved_writer
        return f"markup_if(ctx, ''.join({buffer}))"

    def filter_chain(self, node: nodes.Filter, value: str, frame: Frame) -> str:
        """Apply ``|a|b`` (``node`` is ``b``, its ``node`` is ``a``...) to ``value``."""
        if isinstance(node.node, nodes.Filter):
            value = self.filter_chain(node.node, value, frame)
        return self.filter_call(node, value, frame)

    def visit_AssignBlock(self, node: nodes.AssignBlock, frame: Frame) -> None:
        value = self.captured(node.body, frame)
        if node.filter is not None:
            value = self.filter_chain(node.filter, value, frame)
        if isinstance(node.target, nodes.NSRef):
            self._namespace_assign(node.target, value, frame)
            return
        self.line(f"{self.assign_target(node.target, frame)} = {value}")
        self.export(target_names(node.target), frame)

    def visit_FilterBlock(self, node: nodes.FilterBlock, frame: Frame) -> None:
        # NOTE: as in Jinja, after `extends` the body's own output is dropped
        # but the filtered result is still written.
        value = self.captured(node.body, frame, output_check=frame.output_check)
        self.write(f"render_str({self.filter_chain(node.filter, value, frame)})", frame)

    def visit_Autoescape(self, node: nodes.Autoescape, frame: Frame) -> None:
        if not isinstance(node.value, nodes.Const):
            raise self.fail("autoescape needs a constant true or false", node.lineno)
        saved, self.autoescape = self.autoescape, bool(node.value.value)
        # Filters and macros read the flag from the context at render time.
        state = f"_autoescape_{self.next_id()}"
        self.line(f"{state} = ctx.autoescape")
        self.line(f"ctx.autoescape = {self.autoescape}")
        self.line("try:")
        self.indent += 1
        self.line("pass")
        self.scope_body(Frame(frame, frame.function, False, self.next_id()), node.body)
        self.indent -= 1
        self.line("finally:")
        self.line(f"    ctx.autoescape = {state}")
        self.autoescape = saved

    def visit_With(self, node: nodes.With, frame: Frame) -> None:
        values = [self.expr(value, frame) for value in node.values]
        inner = Frame(frame, frame.function, False, self.next_id())
        for target, value in zip(node.targets, values, strict=True):
            self.line(f"{self.assign_target(target, inner)} = {value}")
        self.scope_body(inner, node.body)

    def macro_function(
        self, name: str, node: nodes.Macro | nodes.CallBlock, frame: Frame
    ) -> tuple[str, str]:
        """Emit the body function of a macro or call block; return (ident, arguments)."""
        function = Function(self.next_id(), "w")
        macro_frame = Frame(frame, function, False, function.ident)
        macro_frame.output_check = False
        specials = loads_name(node.body, {"caller", "varargs", "kwargs"})
        argument_names = [arg.name for arg in node.args]
        explicit_caller = "caller" in argument_names
        params = [macro_frame.declare(arg) for arg in argument_names]
        flags = {}
        for special in ("caller", "kwargs", "varargs"):
            flags[special] = special in specials and special not in argument_names
            if flags[special]:
                params.append(macro_frame.declare(special))
        first_default = len(node.args) - len(node.defaults)
        if explicit_caller and argument_names.index("caller") < first_default:
            raise self.fail(
                'When defining macros or call blocks the special "caller" argument must be'
                " omitted or be given a default.",
                node.lineno,
            )
        ident = f"macro_{function.ident}"
        saved = self.capture()
        saved_indent, self.indent = self.indent, 1
        self.line("_b = []")
        self.line("w = _b.append")
        for index, arg in enumerate(node.args):
            param = macro_frame.symbols[arg.name]
            self.line(f"if {param} is missing:", arg.lineno)
            if index >= first_default:
                default = self.expr(node.defaults[index - first_default], macro_frame)
            else:
                message = f"parameter {arg.name!r} was not provided"
                default = f"undefined({message!r}, name={arg.name!r})"
            self.line(f"    {param} = {default}", arg.lineno)
        prologue = self.lines
        self.lines, self.indent = saved, saved_indent
        body = self.function_body(macro_frame, node.body, prologue=prologue)
        body.append((1, "return markup_if(ctx, ''.join(_b))", self.lineno))
        self.line(f"def {ident}({', '.join(params)}):", node.lineno)
        for indent, text, lineno in body:
            self.lines.append((indent + self.indent, text, lineno))
        arguments = "(" + "".join(f"{arg!r}, " for arg in argument_names) + ")"
        spec = (
            f"{ident}, {name!r}, {arguments}, {flags['kwargs']}, {flags['varargs']}, "
            f"{flags['caller']}, undefined, {explicit_caller}"
        )
        return ident, spec

    def visit_Macro(self, node: nodes.Macro, frame: Frame) -> None:
        _, spec = self.macro_function(node.name, node, frame)
        target = frame.declare(node.name)
        self.line(f"{target} = Macro({spec})", node.lineno)
        self.export([node.name], frame)

    def visit_CallBlock(self, node: nodes.CallBlock, frame: Frame) -> None:
        _, spec = self.macro_function("caller", node, frame)
        caller = f"caller_{self.next_id()}"
        self.line(f"{caller} = Macro({spec})", node.lineno)
        # NOTE: like Jinja, call blocks and includes still write after `extends`.
        call = self.call(node.call, frame, extra=f"caller={caller}")
        self.write(f"render_str({call})", frame)

    def visit_Block(self, node: nodes.Block, frame: Frame) -> None:
        if frame.toplevel and self.suppressed(frame):
            return
        context = "ctx"
        if node.scoped:
            context = f"ctx.derived({self.locals_dict(frame)})"
        guarded = frame.toplevel and self.guarded(frame)
        self.write_block_call(node.name, context, frame)
        if guarded:
            self.indent -= 1

    def write_block_call(self, name: str, context: str, frame: Frame) -> None:
        self.line(f"ctx.blocks[{name!r}][0]({context}, {frame.function.writer})")

    def locals_dict(self, frame: Frame) -> str:
        items = ", ".join(f"{name!r}: {ident}" for name, ident in frame.visible().items())
        return "{" + items + "}"

    def visit_Extends(self, node: nodes.Extends, frame: Frame) -> None:
        if frame.function is not self.root_function or not frame.toplevel:
            raise self.fail("cannot use extend from a non top-level scope", node.lineno)
        if self.extends_seen:
            # Jinja compiles it and fails at render time; so does fastcore.
            self.line("raise TemplateRuntimeError('extended multiple times')")
            return
        if self.dynamic_extends:
            self.line("if parent_template is not None:")
            self.line("    raise TemplateRuntimeError('extended multiple times')")
        template = self.expr(node.template, frame)
        self.line(f"parent_template = environment.get_template({template}, {self.name!r})")
        self.line("for _name, _block in parent_template.blocks.items():")
        self.line("    ctx.blocks.setdefault(_name, []).append(_block)")
        if frame.toplevel and not self.conditional_depth:
            self.extends_seen = True
        else:
            self.dynamic_extends += 1

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        template = self.expr(node.template, frame)
        context = f"ctx, {self.locals_dict(frame)}" if node.with_context else "None, None"
        self.line(
            f"include_template(environment, {template}, {self.name!r}, {context}, "
            f"{node.ignore_missing}, {frame.function.writer})"
        )

    def _module(self, node: nodes.Import | nodes.FromImport, frame: Frame) -> str:
        template = self.expr(node.template, frame)
        context = f"ctx, {self.locals_dict(frame)}" if node.with_context else "None, None"
        return f"import_template(environment, {template}, {self.name!r}, {context})"

    def visit_Import(self, node: nodes.Import, frame: Frame) -> None:
        self.line(f"{frame.declare(node.target)} = {self._module(node, frame)}")
        self.export([node.target], frame, exported=False)

    def visit_FromImport(self, node: nodes.FromImport, frame: Frame) -> None:
        module = f"_module_{self.next_id()}"
        self.line(f"{module} = {self._module(node, frame)}")
        for name, alias in node.names:
            target = frame.declare(alias)
            self.line(f"{target} = import_name({module}, {name!r}, {node.lineno}, undefined)")
        self.export([alias for _, alias in node.names], frame, exported=False)

    # --- expressions -------------------------------------------------------

    def expr(self, node: nodes.Expr, frame: Frame) -> str:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.fail(f"cannot compile {type(node).__name__}", node.lineno)
        result: str = method(node, frame)
        return result

    def load_name(self, name: str, frame: Frame) -> str:
        ident = frame.find(name)
        if ident is not None:
            if ident in self.missing_idents:
                return f"(undefined(name={name!r}) if {ident} is missing else {ident})"
            return ident
        return self.resolve_name(frame, name)

    def expr_Name(self, node: nodes.Name, frame: Frame) -> str:
        return self.load_name(node.name, frame)

    def expr_Const(self, node: nodes.Const, frame: Frame) -> str:
        value = node.value
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return f"float({str(value)!r})"
        return repr(value)

    def expr_TemplateData(self, node: nodes.TemplateData, frame: Frame) -> str:
        return repr(node.data)

    def expr_Tuple(self, node: nodes.Tuple, frame: Frame) -> str:
        items = [self.expr(item, frame) for item in node.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    def expr_List(self, node: nodes.List, frame: Frame) -> str:
        return "[" + ", ".join(self.expr(item, frame) for item in node.items) + "]"

    def expr_Dict(self, node: nodes.Dict, frame: Frame) -> str:
        items = (f"{self.expr(key, frame)}: {self.expr(value, frame)}" for key, value in node.items)
        return "{" + ", ".join(items) + "}"

    def expr_CondExpr(self, node: nodes.CondExpr, frame: Frame) -> str:
        # An unknown filter or test in an inline if fails only if it runs (Jinja 3.1).
        saved, frame.soft = frame.soft, True
        try:
            return self._cond_expr(node, frame)
        finally:
            frame.soft = saved

    def _cond_expr(self, node: nodes.CondExpr, frame: Frame) -> str:
        if node.expr2 is None:
            where = f'line {node.lineno} in "{self.name}"' if self.name else f"line {node.lineno}"
            message = (
                f"the inline if-expression on {where} evaluated to false and no else"
                " section was defined."
            )
            # NOTE: always the lenient Undefined, whatever the environment's (Jinja).
            otherwise = f"Undefined({message!r})"
        else:
            otherwise = self.expr(node.expr2, frame)
        return f"({self.expr(node.expr1, frame)} if {self.expr(node.test, frame)} else {otherwise})"

    def expr_BinOp(self, node: nodes.BinOp, frame: Frame) -> str:
        if node.op not in _BINOPS:
            raise self.fail(f"unknown operator {node.op!r}", node.lineno)
        return f"({self.expr(node.left, frame)} {node.op} {self.expr(node.right, frame)})"

    def expr_UnaryOp(self, node: nodes.UnaryOp, frame: Frame) -> str:
        return f"({_UNARY[node.op]}{self.expr(node.node, frame)})"

    def expr_Compare(self, node: nodes.Compare, frame: Frame) -> str:
        parts = [self.expr(node.expr, frame)]
        for op, operand in node.ops:
            parts.append(f"{op} {self.expr(operand, frame)}")
        return "(" + " ".join(parts) + ")"

    def expr_Concat(self, node: nodes.Concat, frame: Frame) -> str:
        join = "markup_join" if self.autoescape else "str_join"
        return f"{join}(({', '.join(self.expr(item, frame) for item in node.nodes)},))"

    def expr_Getattr(self, node: nodes.Getattr, frame: Frame) -> str:
        target = self.expr(node.node, frame)
        if target in frame_loop_symbols(frame) and node.attr in _LOOP_ATTRIBUTES:
            # PERF: `loop.index` and friends are read straight off the LoopContext.
            return f"{target}.{node.attr}"
        return f"lookup_attr({target}, {node.attr!r}, undefined)"

    def expr_Getitem(self, node: nodes.Getitem, frame: Frame) -> str:
        return (
            f"lookup_item({self.expr(node.node, frame)}, {self.expr(node.arg, frame)}, undefined)"
        )

    def expr_Slice(self, node: nodes.Slice, frame: Frame) -> str:
        parts = [
            self.expr(part, frame) if part is not None else "None"
            for part in (node.start, node.stop, node.step)
        ]
        return f"slice({', '.join(parts)})"

    def arguments(
        self, node: nodes.Call | nodes.Filter | nodes.Test, frame: Frame, extra: str | None = None
    ) -> list[str]:
        args = [self.expr(arg, frame) for arg in node.args]
        for keyword_arg in node.kwargs:
            value = self.expr(keyword_arg.value, frame)
            if keyword_arg.key.isidentifier() and not keyword.iskeyword(keyword_arg.key):
                args.append(f"{keyword_arg.key}={value}")
            else:
                args.append(f"**{{{keyword_arg.key!r}: {value}}}")
        if extra:
            args.append(extra)
        if node.dyn_args is not None:
            args.append("*" + self.expr(node.dyn_args, frame))
        if node.dyn_kwargs is not None:
            args.append("**" + self.expr(node.dyn_kwargs, frame))
        return args

    def call(self, node: nodes.Call, frame: Frame, extra: str | None = None) -> str:
        if (
            isinstance(node.node, nodes.Name)
            and node.node.name == "super"
            and frame.find("super") is None
            and frame.block is not None
            and not node.args
        ):
            return f"render_super(ctx, {frame.block!r}, block_{frame.block})"
        function = self.expr(node.node, frame)
        arguments = self.arguments(node, frame, extra)
        if isinstance(node.node, nodes.Name) and frame.find(node.node.name) is None:
            # A global such as url_for may ask for the context (pass_context);
            # in a loop or block it also sees the variables `set` there (Jinja).
            tracked = self.tracked_locals(frame)
            if tracked:
                return f"context_call_with({', '.join(['ctx', tracked, function, *arguments])})"
            return f"context_call({', '.join(['ctx', function, *arguments])})"
        return f"{function}({', '.join(arguments)})"

    def tracked_locals(self, frame: Frame) -> str | None:
        """The dict of the innermost loop's or block's ``set`` variables, if any."""
        current: Frame | None = frame
        while current is not None and current.function is frame.function:
            if current.tracked is not None:
                if not current.tracked:
                    return None
                # Raw identifiers: a name not set yet is `missing`, which derived() skips.
                items = (
                    f"{name!r}: {frame.find(name) or self.load_name(name, frame)}"
                    for name in current.tracked
                )
                return "{" + ", ".join(items) + "}"
            current = current.parent
        return None

    def expr_Call(self, node: nodes.Call, frame: Frame) -> str:
        return self.call(node, frame)

    def binding(self, kind: str, name: str, lineno: int, frame: Frame) -> tuple[str, object]:
        registry: dict[str, object] = getattr(self.environment, kind)
        if name not in registry and not frame.soft:
            raise self.fail(f"No {kind[:-1]} named {name!r}.", lineno)
        ident = self.bindings.get((kind, name))
        if ident is None:
            ident = self.bindings[(kind, name)] = f"{kind[0]}_{len(self.bindings)}"
        return ident, registry.get(name)

    def filter_call(self, node: nodes.Filter, value: str, frame: Frame) -> str:
        ident, function = self.binding("filters", node.name, node.lineno, frame)
        args = [value, *self.arguments(node, frame)]
        passed = _pass_argument(function)
        if passed is not None:
            args.insert(0, passed)
        return f"{ident}({', '.join(args)})"

    def expr_Filter(self, node: nodes.Filter, frame: Frame) -> str:
        if node.node is None:
            raise self.fail("filter without a value", node.lineno)
        return self.filter_call(node, self.expr(node.node, frame), frame)

    def expr_Test(self, node: nodes.Test, frame: Frame) -> str:
        ident, function = self.binding("tests", node.name, node.lineno, frame)
        value = self.expr(node.node, frame)
        inline = _INLINE_TESTS.get(node.name)
        if (
            inline is not None
            and function is _builtin_test(node.name)
            and not node.args
            and not isinstance(node.node, nodes.Const)  # `1 is None` is a SyntaxWarning
        ):
            return inline.format(value)
        args = [value, *self.arguments(node, frame)]
        passed = _pass_argument(function)
        if passed is not None:
            args.insert(0, passed)
        return f"{ident}({', '.join(args)})"


def _stores_of(node: nodes.Node, name: str) -> list[int]:
    """The lines where ``name`` is assigned anywhere inside ``node``."""
    found: list[int] = []
    stack: list[nodes.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, nodes.Name) and current.ctx == "store" and current.name == name:
            found.append(current.lineno)
        stack.extend(iter_child_nodes(current))
    return sorted(found)


def _has_extends(body: list[nodes.Stmt]) -> bool:
    stack: list[nodes.Node] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Extends):
            return True
        if not isinstance(node, (nodes.Macro, nodes.Block, nodes.CallBlock)):
            stack.extend(child for child in iter_child_nodes(node) if isinstance(child, nodes.Stmt))
    return False


def _builtin_test(name: str) -> object:
    from .tests import DEFAULT_TESTS

    return DEFAULT_TESTS.get(name)


def _pass_argument(function: object) -> str | None:
    """What a filter or test decorated with ``pass_context`` & co. receives first."""
    marker = getattr(function, "fastcore_pass_arg", None)
    if marker is None:
        jinja_marker = getattr(function, "jinja_pass_arg", None)
        marker = getattr(jinja_marker, "name", None)
    if marker in ("context", "eval_context"):
        return "ctx"
    if marker == "environment":
        return "environment"
    return None
