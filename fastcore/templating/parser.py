"""Parses a token stream into the template syntax tree (Jinja's grammar and precedence)."""

from __future__ import annotations

from collections.abc import Callable

from . import nodes
from .lexer import Token, TokenStream

__all__ = ["Parser"]

_COMPARE_OPS = {"==": "==", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
_CONSTANT_NAMES = {
    "true": True, "True": True, "false": False, "False": False, "none": None, "None": None,
}  # fmt: skip
# Tokens that may start the single bare argument of a test: ``x is divisibleby 3``.
_TEST_ARG_TYPES = {"name", "string", "integer", "float"}
_TEST_ARG_OPS = {"(", "[", "{"}


class Parser:
    """Recursive-descent parser for one template.

    Args:
        stream: The template's tokens.
    """

    def __init__(self, stream: TokenStream) -> None:
        self.stream = stream
        self._end_stack: list[tuple[str, ...]] = []
        #: The tags being parsed, innermost last: (name, line).
        self._open_tags: list[tuple[str, int]] = []
        self._statements: dict[str, Callable[[], nodes.Stmt | list[nodes.Stmt]]] = {
            "for": self.parse_for,
            "if": self.parse_if,
            "set": self.parse_set,
            "with": self.parse_with,
            "macro": self.parse_macro,
            "call": self.parse_call_block,
            "filter": self.parse_filter_block,
            "block": self.parse_block,
            "extends": self.parse_extends,
            "include": self.parse_include,
            "import": self.parse_import,
            "from": self.parse_from,
            "autoescape": self.parse_autoescape,
        }

    # --- template structure --------------------------------------------------

    def parse(self) -> nodes.Template:
        """Parse the whole template."""
        return nodes.Template(self.subparse(None), lineno=1)

    def subparse(self, end_tokens: tuple[str, ...] | None) -> list[nodes.Stmt]:
        """Parse statements until one of ``end_tokens`` (block names) is next."""
        body: list[nodes.Stmt] = []
        data: list[nodes.Expr] = []
        stream = self.stream

        def flush() -> None:
            if data:
                body.append(nodes.Output(list(data), lineno=data[0].lineno))
                del data[:]

        if end_tokens is not None:
            self._end_stack.append(end_tokens)
        try:
            while stream.current.type != "eof":
                token = stream.current
                if token.type == "data":
                    data.append(nodes.TemplateData(str(token.value), lineno=token.lineno))
                    next(stream)
                elif token.type == "variable_begin":
                    next(stream)
                    data.append(self.parse_tuple(with_condexpr=True))
                    stream.expect("variable_end")
                elif token.type == "block_begin":
                    flush()
                    next(stream)
                    if end_tokens is not None and stream.current.is_name(*end_tokens):
                        return body
                    statement = self.parse_statement()
                    if isinstance(statement, list):
                        body.extend(statement)
                    else:
                        body.append(statement)
                    stream.expect("block_end")
                else:
                    raise stream.fail(f"unexpected {token.describe()}")
            flush()
            if end_tokens is not None:
                raise self._unclosed(end_tokens)
            return body
        finally:
            if end_tokens is not None:
                self._end_stack.pop()

    def _unclosed(self, end_tokens: tuple[str, ...]) -> Exception:
        expected = " or ".join(repr(name) for name in end_tokens)
        message = (
            f"Unexpected end of template. Jinja was looking for the following tags: {expected}."
        )
        if not self._open_tags:
            return self.stream.fail(message)
        # The error points at the tag that was left open, not at the last line.
        tag, lineno = self._open_tags[-1]
        return self.stream.fail(
            f"{message} The innermost block that needs to be closed is {tag!r}"
            f" (opened on line {lineno}).",
            lineno,
        )

    def parse_statement(self) -> nodes.Stmt | list[nodes.Stmt]:
        """Parse the tag at the current token (after ``{%``)."""
        token = self.stream.current
        if token.type != "name":
            raise self.stream.fail("tag name expected")
        handler = self._statements.get(str(token.value))
        if handler is not None:
            self._open_tags.append((str(token.value), token.lineno))
            try:
                return handler()
            finally:
                self._open_tags.pop()
        for ends in self._end_stack:
            if token.value in ends:
                message = (
                    f"Encountered unknown tag {token.value!r}. You probably made a nesting"
                    " mistake. Jinja is expecting this tag, but currently looking for "
                    + " or ".join(repr(name) for name in self._end_stack[-1])
                    + "."
                )
                if self._open_tags:
                    tag, lineno = self._open_tags[-1]
                    message += (
                        f" The innermost block that needs to be closed is {tag!r}"
                        f" (opened on line {lineno})."
                    )
                raise self.stream.fail(message)
        raise self.stream.fail(f"Encountered unknown tag {token.value!r}.")

    def parse_body(self, *end_tokens: str, drop_needle: bool = False) -> list[nodes.Stmt]:
        """Parse a tag body up to one of ``end_tokens`` (consumed when ``drop_needle``).

        A ``:`` may end the tag's header, Python style (``# for x in y:``).
        """
        self.stream.skip_op(":")
        self.stream.expect("block_end")
        body = self.subparse(end_tokens)
        if drop_needle:
            next(self.stream)
        return body

    # --- statements ----------------------------------------------------------

    def parse_for(self) -> nodes.For:
        """``for target in iter [if test] [recursive]`` ... ``endfor``."""
        lineno = next(self.stream).lineno
        target = self.parse_assign_target(extra_end_names=("in",))
        self.stream.expect("name", "in")
        iterable = self.parse_tuple(with_condexpr=False, extra_end_names=("recursive",))
        test = None
        if self.stream.skip_name("if"):
            test = self.parse_expression()
        recursive = self.stream.skip_name("recursive")
        body = self.parse_body("endfor", "else")
        else_: list[nodes.Stmt] = []
        if next(self.stream).value == "else":
            else_ = self.parse_body("endfor", drop_needle=True)
        return nodes.For(target, iterable, body, else_, test, recursive, lineno=lineno)

    def parse_if(self) -> nodes.If:
        """``if`` / ``elif`` / ``else`` / ``endif``."""
        lineno = next(self.stream).lineno
        branches: list[tuple[nodes.Expr, list[nodes.Stmt]]] = []
        else_: list[nodes.Stmt] = []
        while True:
            test = self.parse_tuple(with_condexpr=False)
            branches.append((test, self.parse_body("elif", "else", "endif")))
            token = next(self.stream)
            if token.value == "elif":
                continue
            if token.value == "else":
                else_ = self.parse_body("endif", drop_needle=True)
            break
        return nodes.If(branches, else_, lineno=lineno)

    def parse_set(self) -> nodes.Stmt:
        """``set target = expr`` or the block form ``set target`` ... ``endset``."""
        lineno = next(self.stream).lineno
        target = self.parse_assign_target(with_namespace=True)
        if self.stream.skip_op("="):
            return nodes.Assign(target, self.parse_tuple(), lineno=lineno)
        filter_node = self.parse_filter(None)
        body = self.parse_body("endset", drop_needle=True)
        return nodes.AssignBlock(
            target, filter_node if isinstance(filter_node, nodes.Filter) else None, body,
            lineno=lineno,
        )  # fmt: skip

    def parse_with(self) -> nodes.With:
        """``with a = 1, b = 2`` ... ``endwith``."""
        lineno = next(self.stream).lineno
        targets: list[nodes.Expr] = []
        values: list[nodes.Expr] = []
        while not self.stream.current.test("block_end"):
            if targets:
                self.stream.expect("operator", ",")
            targets.append(self.parse_assign_target())
            self.stream.expect("operator", "=")
            values.append(self.parse_expression())
        body = self.parse_body("endwith", drop_needle=True)
        return nodes.With(targets, values, body, lineno=lineno)

    def _parse_signature(self) -> tuple[list[nodes.Name], list[nodes.Expr]]:
        args: list[nodes.Name] = []
        defaults: list[nodes.Expr] = []
        self.stream.expect("operator", "(")
        while not self.stream.current.is_op(")"):
            if args:
                self.stream.expect("operator", ",")
            name = self.stream.expect("name")
            arg = nodes.Name(str(name.value), "param", lineno=name.lineno)
            if self.stream.skip_op("="):
                defaults.append(self.parse_expression())
            elif defaults:
                raise self.stream.fail("non-default argument follows default argument")
            args.append(arg)
        self.stream.expect("operator", ")")
        return args, defaults

    def parse_macro(self) -> nodes.Macro:
        """``macro name(args)`` ... ``endmacro``."""
        lineno = next(self.stream).lineno
        name = str(self.stream.expect("name").value)
        args, defaults = self._parse_signature()
        body = self.parse_body("endmacro", drop_needle=True)
        return nodes.Macro(name, args, defaults, body, lineno=lineno)

    def parse_call_block(self) -> nodes.CallBlock:
        """``call[(args)] macro(...)`` ... ``endcall``."""
        lineno = next(self.stream).lineno
        args: list[nodes.Name] = []
        defaults: list[nodes.Expr] = []
        if self.stream.current.is_op("("):
            args, defaults = self._parse_signature()
        call = self.parse_expression()
        if not isinstance(call, nodes.Call):
            raise self.stream.fail("expected call", lineno)
        body = self.parse_body("endcall", drop_needle=True)
        return nodes.CallBlock(call, args, defaults, body, lineno=lineno)

    def parse_filter_block(self) -> nodes.FilterBlock:
        """``filter name(args)|...`` ... ``endfilter``."""
        lineno = next(self.stream).lineno
        filter_node = self.parse_filter(None, start_inline=True)
        assert isinstance(filter_node, nodes.Filter)
        body = self.parse_body("endfilter", drop_needle=True)
        return nodes.FilterBlock(body, filter_node, lineno=lineno)

    def parse_autoescape(self) -> nodes.Autoescape:
        """``autoescape true|false`` ... ``endautoescape``."""
        lineno = next(self.stream).lineno
        value = self.parse_expression()
        body = self.parse_body("endautoescape", drop_needle=True)
        return nodes.Autoescape(value, body, lineno=lineno)

    def parse_block(self) -> nodes.Block:
        """``block name [scoped] [required]`` ... ``endblock [name]``."""
        lineno = next(self.stream).lineno
        name = str(self.stream.expect("name").value)
        scoped = self.stream.skip_name("scoped")
        required = self.stream.skip_name("required")
        if self.stream.current.is_op("-"):
            raise self.stream.fail(
                "Use an underscore instead of a hyphen in block names, like 'block_name'."
            )
        body = self.parse_body("endblock", drop_needle=True)
        if required and any(
            not (isinstance(node, nodes.Output) and _is_blank(node)) for node in body
        ):
            raise self.stream.fail(
                "Required blocks can only contain comments or whitespace", lineno
            )
        if self.stream.current.type == "name":
            self.stream.expect("name", name)
        return nodes.Block(name, body, scoped, required, lineno=lineno)

    def parse_extends(self) -> nodes.Extends:
        """``extends template``."""
        lineno = next(self.stream).lineno
        return nodes.Extends(self.parse_expression(), lineno=lineno)

    def _parse_context(self, default: bool) -> bool:
        current, following = self.stream.current, self.stream.look()
        if current.is_name("with", "without") and following.is_name("context"):
            next(self.stream)
            next(self.stream)
            return bool(current.value == "with")
        return default

    def parse_include(self) -> nodes.Include:
        """``include template [ignore missing] [with|without context]``."""
        lineno = next(self.stream).lineno
        template = self.parse_expression()
        ignore_missing = False
        if self.stream.current.is_name("ignore") and self.stream.look().is_name("missing"):
            next(self.stream)
            next(self.stream)
            ignore_missing = True
        with_context = self._parse_context(True)
        return nodes.Include(template, with_context, ignore_missing, lineno=lineno)

    def parse_import(self) -> nodes.Import:
        """``import template as name [with|without context]``."""
        lineno = next(self.stream).lineno
        template = self.parse_expression()
        self.stream.expect("name", "as")
        target = self.parse_assign_target(name_only=True)
        assert isinstance(target, nodes.Name)
        with_context = self._parse_context(False)
        return nodes.Import(template, target.name, with_context, lineno=lineno)

    def parse_from(self) -> nodes.FromImport:
        """``from template import a [as b], c [with|without context]``."""
        lineno = next(self.stream).lineno
        template = self.parse_expression()
        self.stream.expect("name", "import")
        names: list[tuple[str, str]] = []
        with_context = False
        while True:
            if names:
                self.stream.expect("operator", ",")
            if self.stream.current.is_name("with", "without") and self.stream.look().is_name(
                "context"
            ):
                with_context = self._parse_context(False)
                break
            # After a comma only a name (or `with context`) may follow, as in Jinja.
            token = self.stream.expect("name")
            name = str(token.value)
            if name.startswith("_"):
                raise self.stream.fail(
                    "names starting with an underline can not be imported", token.lineno
                )
            alias = name
            if self.stream.skip_name("as"):
                alias = str(self.stream.expect("name").value)
            names.append((name, alias))
            if not self.stream.current.is_op(","):
                with_context = self._parse_context(False)
                break
        if not names:
            raise self.stream.fail("expected name to import")
        return nodes.FromImport(template, names, with_context, lineno=lineno)

    # --- assignment targets --------------------------------------------------

    def parse_assign_target(
        self,
        with_tuple: bool = True,
        name_only: bool = False,
        extra_end_names: tuple[str, ...] = (),
        with_namespace: bool = False,
    ) -> nodes.Expr:
        """Parse a name, ``ns.attr`` or a tuple of names to assign to."""
        stream = self.stream
        if name_only:
            token = stream.expect("name")
            return nodes.Name(str(token.value), "store", lineno=token.lineno)
        if with_tuple:
            target = self.parse_tuple(
                simplified=True, extra_end_names=extra_end_names, with_namespace=with_namespace
            )
        else:
            target = self.parse_primary()
        if not _assignable(target):
            raise stream.fail(f"can't assign to {type(target).__name__.lower()!r}", target.lineno)
        _set_store(target)
        return target

    # --- expressions ---------------------------------------------------------

    def parse_expression(self, with_condexpr: bool = True) -> nodes.Expr:
        """Parse one expression, with inline ``if`` unless told otherwise."""
        if with_condexpr:
            return self.parse_condexpr()
        return self.parse_or()

    def parse_condexpr(self) -> nodes.Expr:
        lineno = self.stream.current.lineno
        expr1 = self.parse_or()
        while self.stream.skip_name("if"):
            test = self.parse_or()
            expr3 = self.parse_condexpr() if self.stream.skip_name("else") else None
            expr1 = nodes.CondExpr(test, expr1, expr3, lineno=lineno)
            lineno = self.stream.current.lineno
        return expr1

    def parse_or(self) -> nodes.Expr:
        lineno = self.stream.current.lineno
        left = self.parse_and()
        while self.stream.skip_name("or"):
            left = nodes.BinOp("or", left, self.parse_and(), lineno=lineno)
        return left

    def parse_and(self) -> nodes.Expr:
        lineno = self.stream.current.lineno
        left = self.parse_not()
        while self.stream.skip_name("and"):
            left = nodes.BinOp("and", left, self.parse_not(), lineno=lineno)
        return left

    def parse_not(self) -> nodes.Expr:
        if self.stream.current.is_name("not"):
            lineno = next(self.stream).lineno
            return nodes.UnaryOp("not", self.parse_not(), lineno=lineno)
        return self.parse_compare()

    def parse_compare(self) -> nodes.Expr:
        stream = self.stream
        lineno = stream.current.lineno
        expr = self.parse_math1()
        ops: list[tuple[str, nodes.Expr]] = []
        while True:
            current = stream.current
            if current.type == "operator" and current.value in _COMPARE_OPS:
                next(stream)
                ops.append((_COMPARE_OPS[str(current.value)], self.parse_math1()))
            elif stream.skip_name("in"):
                ops.append(("in", self.parse_math1()))
            elif current.is_name("not") and stream.look().is_name("in"):
                next(stream)
                next(stream)
                ops.append(("not in", self.parse_math1()))
            else:
                break
        if not ops:
            return expr
        return nodes.Compare(expr, ops, lineno=lineno)

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], nodes.Expr]) -> nodes.Expr:
        lineno = self.stream.current.lineno
        left = operand()
        while self.stream.current.is_op(*operators):
            op = str(next(self.stream).value)
            left = nodes.BinOp(op, left, operand(), lineno=lineno)
            lineno = self.stream.current.lineno
        return left

    def parse_math1(self) -> nodes.Expr:
        return self._binary(("+", "-"), self.parse_concat)

    def parse_concat(self) -> nodes.Expr:
        lineno = self.stream.current.lineno
        args = [self.parse_math2()]
        while self.stream.skip_op("~"):
            args.append(self.parse_math2())
        if len(args) == 1:
            return args[0]
        return nodes.Concat(args, lineno=lineno)

    def parse_math2(self) -> nodes.Expr:
        return self._binary(("*", "/", "//", "%"), self.parse_pow)

    def parse_pow(self) -> nodes.Expr:
        return self._binary(("**",), self.parse_unary)

    def parse_unary(self, with_filter: bool = True) -> nodes.Expr:
        current = self.stream.current
        node: nodes.Expr
        if current.is_op("-", "+"):
            next(self.stream)
            op = "neg" if current.value == "-" else "pos"
            node = nodes.UnaryOp(op, self.parse_unary(False), lineno=current.lineno)
        else:
            node = self.parse_primary()
        node = self.parse_postfix(node)
        if with_filter:
            node = self.parse_filter_expr(node)
        return node

    def parse_primary(self) -> nodes.Expr:
        token = self.stream.current
        if token.type == "name":
            next(self.stream)
            if token.value in _CONSTANT_NAMES:
                return nodes.Const(_CONSTANT_NAMES[str(token.value)], lineno=token.lineno)
            return nodes.Name(str(token.value), "load", lineno=token.lineno)
        if token.type == "string":
            next(self.stream)
            parts = [str(token.value)]
            while self.stream.current.type == "string":
                parts.append(str(next(self.stream).value))
            return nodes.Const("".join(parts), lineno=token.lineno)
        if token.type in ("integer", "float"):
            next(self.stream)
            return nodes.Const(token.value, lineno=token.lineno)
        if token.is_op("("):
            next(self.stream)
            node = self.parse_tuple(explicit_parentheses=True)
            self.stream.expect("operator", ")")
            return node
        if token.is_op("["):
            return self.parse_list()
        if token.is_op("{"):
            return self.parse_dict()
        raise self.stream.fail(f"unexpected {token.describe()}")

    def parse_tuple(
        self,
        simplified: bool = False,
        with_condexpr: bool = True,
        extra_end_names: tuple[str, ...] = (),
        explicit_parentheses: bool = False,
        with_namespace: bool = False,
    ) -> nodes.Expr:
        """Parse one expression or a comma-separated tuple of them.

        ``simplified`` parses names and literals only (assignment targets), and
        ``with_namespace`` lets them be namespace attributes (``ns.a, ns.b``).
        """
        lineno = self.stream.current.lineno
        items: list[nodes.Expr] = []
        is_tuple = False
        while True:
            if items:
                self.stream.expect("operator", ",")
            if self._tuple_ends(extra_end_names):
                break
            if simplified and with_namespace and self.stream.look().is_op("."):
                token = self.stream.expect("name")
                next(self.stream)
                attr = self.stream.expect("name")
                items.append(nodes.NSRef(str(token.value), str(attr.value), lineno=token.lineno))
            elif simplified:
                items.append(self.parse_primary())
            else:
                items.append(self.parse_expression(with_condexpr))
            if self.stream.current.is_op(","):
                is_tuple = True
            else:
                break
        if not is_tuple:
            if items:
                return items[0]
            if not explicit_parentheses:
                raise self.stream.fail(
                    f"Expected an expression, got {self.stream.current.describe()}"
                )
        return nodes.Tuple(items, "load", lineno=lineno)

    def _tuple_ends(self, extra_end_names: tuple[str, ...]) -> bool:
        current = self.stream.current
        if current.type in ("variable_end", "block_end") or current.is_op(")"):
            return True
        return bool(extra_end_names) and current.is_name(*extra_end_names)

    def parse_list(self) -> nodes.Expr:
        lineno = self.stream.expect("operator", "[").lineno
        items: list[nodes.Expr] = []
        while not self.stream.current.is_op("]"):
            if items:
                self.stream.expect("operator", ",")
            if self.stream.current.is_op("]"):
                break
            items.append(self.parse_expression())
        self.stream.expect("operator", "]")
        return nodes.List(items, lineno=lineno)

    def parse_dict(self) -> nodes.Expr:
        lineno = self.stream.expect("operator", "{").lineno
        items: list[tuple[nodes.Expr, nodes.Expr]] = []
        while not self.stream.current.is_op("}"):
            if items:
                self.stream.expect("operator", ",")
            if self.stream.current.is_op("}"):
                break
            key = self.parse_expression()
            self.stream.expect("operator", ":")
            items.append((key, self.parse_expression()))
        self.stream.expect("operator", "}")
        return nodes.Dict(items, lineno=lineno)

    def parse_postfix(self, node: nodes.Expr) -> nodes.Expr:
        while True:
            current = self.stream.current
            if current.is_op(".", "["):
                node = self.parse_subscript(node)
            elif current.is_op("("):
                node = self.parse_call(node)
            else:
                return node

    def parse_filter_expr(self, node: nodes.Expr) -> nodes.Expr:
        while True:
            current = self.stream.current
            if current.is_op("|"):
                node = self.parse_filter(node) or node
            elif current.is_name("is"):
                node = self.parse_test(node)
            elif current.is_op("("):
                node = self.parse_call(node)
            else:
                return node

    def parse_subscript(self, node: nodes.Expr) -> nodes.Expr:
        token = next(self.stream)
        if token.value == ".":
            attr = next(self.stream)
            if attr.type == "name":
                return nodes.Getattr(node, str(attr.value), lineno=token.lineno)
            if attr.type != "integer":
                raise self.stream.fail("expected name or number", attr.lineno)
            return nodes.Getitem(
                node, nodes.Const(attr.value, lineno=attr.lineno), lineno=token.lineno
            )
        args: list[nodes.Expr] = []
        while not self.stream.current.is_op("]"):
            if args:
                self.stream.expect("operator", ",")
            args.append(self.parse_subscribed())
        self.stream.expect("operator", "]")
        arg = args[0] if len(args) == 1 else nodes.Tuple(args, "load", lineno=token.lineno)
        return nodes.Getitem(node, arg, lineno=token.lineno)

    def parse_subscribed(self) -> nodes.Expr:
        stream = self.stream
        lineno = stream.current.lineno
        if stream.skip_op(":"):
            start: nodes.Expr | None = None
        else:
            node = self.parse_expression()
            if not stream.skip_op(":"):
                return node
            start = node
        stop = self._slice_part()
        step = None
        if stream.skip_op(":"):
            step = self._slice_part()
        return nodes.Slice(start, stop, step, lineno=lineno)

    def _slice_part(self) -> nodes.Expr | None:
        if self.stream.current.is_op("]", ",", ":"):
            return None
        return self.parse_expression()

    def parse_call_args(
        self,
    ) -> tuple[list[nodes.Expr], list[nodes.Keyword], nodes.Expr | None, nodes.Expr | None]:
        """Parse ``(args, key=value, *dyn_args, **dyn_kwargs)``."""
        stream = self.stream
        stream.expect("operator", "(")
        args: list[nodes.Expr] = []
        kwargs: list[nodes.Keyword] = []
        dyn_args: nodes.Expr | None = None
        dyn_kwargs: nodes.Expr | None = None
        while not stream.current.is_op(")"):
            if args or kwargs or dyn_args or dyn_kwargs:
                stream.expect("operator", ",")
                if stream.current.is_op(")"):
                    break
            if stream.skip_op("*"):
                dyn_args = self.parse_expression()
            elif stream.skip_op("**"):
                dyn_kwargs = self.parse_expression()
            elif stream.current.type == "name" and stream.look().is_op("="):
                key = next(stream)
                next(stream)
                kwargs.append(
                    nodes.Keyword(str(key.value), self.parse_expression(), lineno=key.lineno)
                )
            else:
                if kwargs or dyn_args or dyn_kwargs:
                    raise stream.fail("Invalid argument syntax")
                args.append(self.parse_expression())
        stream.expect("operator", ")")
        return args, kwargs, dyn_args, dyn_kwargs

    def parse_call(self, node: nodes.Expr) -> nodes.Call:
        lineno = self.stream.current.lineno
        args, kwargs, dyn_args, dyn_kwargs = self.parse_call_args()
        return nodes.Call(node, args, kwargs, dyn_args, dyn_kwargs, lineno=lineno)

    def _dotted_name(self) -> tuple[Token, str]:
        token = self.stream.expect("name")
        name = str(token.value)
        while self.stream.current.is_op("."):
            next(self.stream)
            name += "." + str(self.stream.expect("name").value)
        return token, name

    def parse_filter(
        self, node: nodes.Expr | None, start_inline: bool = False
    ) -> nodes.Expr | None:
        """Parse ``|name(args)`` filters (the first ``|`` optional when inline)."""
        while self.stream.current.is_op("|") or start_inline:
            if not start_inline:
                next(self.stream)
            start_inline = False
            token, name = self._dotted_name()
            args: list[nodes.Expr] = []
            kwargs: list[nodes.Keyword] = []
            dyn_args = dyn_kwargs = None
            if self.stream.current.is_op("("):
                args, kwargs, dyn_args, dyn_kwargs = self.parse_call_args()
            node = nodes.Filter(node, name, args, kwargs, dyn_args, dyn_kwargs, lineno=token.lineno)
        return node

    def parse_test(self, node: nodes.Expr) -> nodes.Expr:
        stream = self.stream
        lineno = next(stream).lineno
        negated = stream.skip_name("not")
        _, name = self._dotted_name()
        args: list[nodes.Expr] = []
        kwargs: list[nodes.Keyword] = []
        dyn_args = dyn_kwargs = None
        current = stream.current
        if current.is_op("("):
            args, kwargs, dyn_args, dyn_kwargs = self.parse_call_args()
        elif (
            current.type in _TEST_ARG_TYPES or current.is_op(*_TEST_ARG_OPS)
        ) and not current.is_name("else", "or", "and"):
            if current.is_name("is"):
                raise stream.fail("You cannot chain multiple tests with is")
            args = [self.parse_postfix(self.parse_primary())]
        result: nodes.Expr = nodes.Test(
            node, name, args, kwargs, dyn_args, dyn_kwargs, lineno=lineno
        )
        if negated:
            result = nodes.UnaryOp("not", result, lineno=lineno)
        return result


def _is_blank(node: nodes.Output) -> bool:
    return all(
        isinstance(item, nodes.TemplateData) and not item.data.strip() for item in node.nodes
    )


def _assignable(node: nodes.Expr) -> bool:
    if isinstance(node, nodes.Name):
        return node.name not in ("true", "false", "none", "True", "False", "None")
    if isinstance(node, nodes.Tuple):
        return all(_assignable(item) for item in node.items)
    return isinstance(node, nodes.NSRef)


def _set_store(node: nodes.Expr) -> None:
    if isinstance(node, nodes.Name):
        node.ctx = "store"
    elif isinstance(node, nodes.Tuple):
        node.ctx = "store"
        for item in node.items:
            _set_store(item)
