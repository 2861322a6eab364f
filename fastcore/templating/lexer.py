"""Splits template source into tokens: text data, tag delimiters and expression tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .exceptions import TemplateSyntaxError

__all__ = ["Lexer", "Token", "TokenStream"]

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
# A tag opener and its whitespace-control sign: "{{-", "{%+", "{#" ...
_TAG_START_RE = re.compile(r"\{(?P<kind>[{%#])(?P<sign>[-+]?)")
_RAW_START_RE = re.compile(r"\s*raw\s*(?:(-)%\}|%\})")
_RAW_END_RE = re.compile(r"\{%([-+]?)\s*endraw\s*(?:([-+])%\}|%\})")
_COMMENT_END_RE = re.compile(r"([-+]?)#\}")
_WHITESPACE_RE = re.compile(r"\s+")
_NAME_RE = re.compile(r"[^\W\d]\w*")
_STRING_RE = re.compile(r"('([^'\\]*(?:\\.[^'\\]*)*)'" r'|"([^"\\]*(?:\\.[^"\\]*)*)")', re.S)
_FLOAT_RE = re.compile(
    r"(?<!\.)(\d+_)*\d+((\.(\d+_)*\d+)?e[+\-]?(\d+_)*\d+|\.(\d+_)*\d+)", re.IGNORECASE
)
_INTEGER_RE = re.compile(r"(0b(_?[0-1])+|0o(_?[0-7])+|0x(_?[\da-f])+|[1-9](_?\d)*|0(_?0)*)", re.I)
# Longest operators first so "**" wins over "*" and "//" over "/".
_OPERATORS = sorted(
    [
        "+", "-", "/", "//", "*", "**", "%", "~", "[", "]", "(", ")", "{", "}",
        "==", "!=", ">", ">=", "<", "<=", "=", ".", ":", "|", ",", ";",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
_OPERATOR_RE = re.compile("|".join(re.escape(op) for op in _OPERATORS))
_OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(slots=True)
class Token:
    """One lexical token.

    ``type`` is one of ``data``, ``variable_begin``, ``variable_end``,
    ``block_begin``, ``block_end``, ``name``, ``string``, ``integer``,
    ``float``, ``operator`` or ``eof``.
    """

    lineno: int
    type: str
    value: object

    def test(self, type_: str, value: object = None) -> bool:
        """Tell whether the token has this type (and value, when given)."""
        return self.type == type_ and (value is None or self.value == value)

    def is_name(self, *names: str) -> bool:
        """Tell whether the token is the name token of one of ``names``."""
        return self.type == "name" and self.value in names

    def is_op(self, *ops: str) -> bool:
        """Tell whether the token is one of the operators ``ops``."""
        return self.type == "operator" and self.value in ops

    def describe(self) -> str:
        """Describe the token for an error message."""
        if self.type == "eof":
            return "end of template"
        if self.type in ("name", "operator"):
            return repr(self.value)
        return self.type.replace("_", " ")


class TokenStream:
    """A cursor over a token list with one-token lookahead."""

    def __init__(self, tokens: list[Token], name: str | None, filename: str | None) -> None:
        self._tokens = tokens
        self._pos = 0
        self.name = name
        self.filename = filename
        self.current = tokens[0]

    def __next__(self) -> Token:
        token = self.current
        if self._pos < len(self._tokens) - 1:
            self._pos += 1
            self.current = self._tokens[self._pos]
        return token

    def look(self) -> Token:
        """Return the token after the current one without consuming anything."""
        return self._tokens[min(self._pos + 1, len(self._tokens) - 1)]

    def skip_op(self, op: str) -> bool:
        """Consume the current token if it is the operator ``op``."""
        if self.current.is_op(op):
            next(self)
            return True
        return False

    def skip_name(self, name: str) -> bool:
        """Consume the current token if it is the name ``name``."""
        if self.current.is_name(name):
            next(self)
            return True
        return False

    def fail(self, message: str, lineno: int | None = None) -> TemplateSyntaxError:
        """Build a syntax error at the current token (the caller raises it)."""
        return TemplateSyntaxError(
            message, self.current.lineno if lineno is None else lineno, self.name, self.filename
        )

    def expect(self, type_: str, value: object = None) -> Token:
        """Consume and return the current token, which must match, or raise."""
        if not self.current.test(type_, value):
            wanted = repr(value) if value is not None else type_.replace("_", " ")
            if self.current.type == "eof":
                raise self.fail(f"unexpected end of template, expected {wanted}.")
            raise self.fail(f"expected token {wanted}, got {self.current.describe()}")
        return next(self)


class Lexer:
    """Tokenizer configured by an environment's whitespace options.

    Args:
        trim_blocks: Drop the first newline after a block tag or comment.
        lstrip_blocks: Drop spaces and tabs before a block tag or comment at line start.
        keep_trailing_newline: Keep the single trailing newline of the source.
        line_statement_prefix: A line starting with it (after spaces) is a block tag.
        line_comment_prefix: From it to the end of the line is a comment.
    """

    def __init__(
        self,
        trim_blocks: bool,
        lstrip_blocks: bool,
        keep_trailing_newline: bool,
        line_statement_prefix: str | None = None,
        line_comment_prefix: str | None = None,
    ) -> None:
        self.trim_blocks = trim_blocks
        self.lstrip_blocks = lstrip_blocks
        self.keep_trailing_newline = keep_trailing_newline
        self.start_re = _start_pattern(line_statement_prefix, line_comment_prefix)

    def normalize(self, source: str) -> str:
        """Normalize newlines to ``\\n`` and drop one trailing newline (as Jinja)."""
        lines = _NEWLINE_RE.split(source)
        if not self.keep_trailing_newline and lines[-1] == "":
            del lines[-1]
        return "\n".join(lines)

    def tokenize(self, source: str, name: str | None, filename: str | None) -> list[Token]:
        """Split ``source`` into tokens, ending with an ``eof`` token."""
        return _Scan(self, self.normalize(source), name, filename).run()


def _start_pattern(statement_prefix: str | None, comment_prefix: str | None) -> re.Pattern[str]:
    """The pattern of whatever starts a non-data token: a tag, a line statement or comment."""
    if statement_prefix is None and comment_prefix is None:
        return _TAG_START_RE
    # As in Jinja, a longer opener wins over a shorter one starting at the same place.
    rules = [(2, r"\{(?P<kind>[{%#])(?P<sign>[-+]?)")]
    if statement_prefix is not None:
        rules.append(
            (len(statement_prefix), rf"(?P<statement>^[ \t\v]*){re.escape(statement_prefix)}")
        )
    if comment_prefix is not None:
        rules.append(
            (
                len(comment_prefix),
                rf"(?P<comment>(?:^|(?<=\S))[^\S\r\n]*){re.escape(comment_prefix)}",
            )
        )
    rules.sort(key=lambda rule: rule[0], reverse=True)
    return re.compile("|".join(f"(?:{pattern})" for _, pattern in rules), re.M)


_LINE_STATEMENT_END_RE = re.compile(r"\s*(?:\n|\Z)")


class _Scan:
    """The state of one tokenization pass."""

    def __init__(self, lexer: Lexer, source: str, name: str | None, filename: str | None):
        self.lexer = lexer
        self.source = source
        self.name = name
        self.filename = filename
        self.pos = 0
        self.lineno = 1
        self.tokens: list[Token] = []

    def error(self, message: str, lineno: int | None = None) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, lineno or self.lineno, self.name, self.filename)

    def advance(self, new_pos: int) -> None:
        self.lineno += self.source.count("\n", self.pos, new_pos)
        self.pos = new_pos

    def emit_data(self, data: str, start: int) -> None:
        if data:
            self.tokens.append(Token(self.lineno, "data", data))
        self.advance(start)

    def run(self) -> list[Token]:
        source = self.source
        start_re = self.lexer.start_re
        while self.pos < len(source):
            match = start_re.search(source, self.pos)
            if match is None:
                self.emit_data(source[self.pos :], len(source))
                break
            if match.group("kind") is None:
                self._line_rule(match)
                continue
            kind, sign = match.group("kind"), match.group("sign")
            data = self._strip_before(source[self.pos : match.start()], kind, sign)
            raw = _RAW_START_RE.match(source, match.end()) if kind == "%" else None
            self.emit_data(data, match.start())
            if raw is not None:
                self._raw(raw)
            elif kind == "#":
                self._comment(match.end())
            else:
                self._tag(kind, match.end())
        self.tokens.append(Token(self.lineno, "eof", None))
        return self.tokens

    def _line_rule(self, match: re.Match[str]) -> None:
        """A line comment (dropped up to the newline) or a line statement (a block tag)."""
        self.emit_data(self.source[self.pos : match.start()], match.end())
        if match.groupdict().get("comment") is not None:
            newline = self.source.find("\n", self.pos)
            self.advance(len(self.source) if newline < 0 else newline)
            return
        self.tokens.append(Token(self.lineno, "block_begin", None))
        stack: list[str] = []
        while True:
            # Inside brackets a statement runs on over newlines.
            end = _LINE_STATEMENT_END_RE.match(self.source, self.pos) if not stack else None
            if end is not None:
                self.tokens.append(Token(self.lineno, "block_end", None))
                self.advance(end.end())
                return
            ws = _WHITESPACE_RE.match(self.source, self.pos)
            if ws is not None:
                self.advance(ws.end())
                if self.pos >= len(self.source):
                    raise self.error("unexpected end of template in a line statement")
                continue
            self._expression_token(stack)

    def _strip_before(self, data: str, kind: str, sign: str) -> str:
        if sign == "-":
            return data.rstrip()
        if sign != "+" and kind != "{" and self.lexer.lstrip_blocks:
            line_start = data.rfind("\n") + 1
            at_line_start = line_start > 0 or self.pos == 0 or self.source[self.pos - 1] == "\n"
            if at_line_start and _WHITESPACE_RE.fullmatch(data, line_start):
                return data[:line_start]
        return data

    def _after_tag(self, end: int, sign: str, trim: bool) -> None:
        """Move past a tag end, applying ``-`` stripping or trim_blocks."""
        source = self.source
        if sign == "-":
            while end < len(source) and source[end].isspace():
                end += 1
        elif trim and sign != "+" and self.lexer.trim_blocks and source.startswith("\n", end):
            end += 1
        self.advance(end)

    def _comment(self, start: int) -> None:
        match = _COMMENT_END_RE.search(self.source, start)
        if match is None:
            raise self.error("Missing end of comment tag")
        self._after_tag(match.end(), match.group(1), trim=True)

    def _raw(self, start_match: re.Match[str]) -> None:
        self.advance(start_match.end())
        if start_match.group(1) == "-":
            self._after_tag(self.pos, "-", trim=False)
        end = _RAW_END_RE.search(self.source, self.pos)
        if end is None:
            raise self.error("Missing end of raw directive")
        data = self.source[self.pos : end.start()]
        if end.group(1) == "-":
            data = data.rstrip()
        self.emit_data(data, end.start())
        self._after_tag(end.end(), end.group(2) or "", trim=True)

    def _tag(self, kind: str, start: int) -> None:
        begin, end_type, closer = (
            ("variable_begin", "variable_end", "}}")
            if kind == "{"
            else ("block_begin", "block_end", "%}")
        )
        opened = self.lineno
        self.tokens.append(Token(opened, begin, None))
        self.advance(start)
        stack: list[str] = []
        source = self.source
        while True:
            ws = _WHITESPACE_RE.match(source, self.pos)
            if ws is not None:
                self.advance(ws.end())
            if self.pos >= len(source):
                # The error points at the tag that was left open, not at the last line.
                opener = "{{" if kind == "{" else "{%"
                raise self.error(
                    f"unexpected end of template: the '{opener}' tag opened on line {opened}"
                    f" is never closed, expected '{closer}'.",
                    opened,
                )
            if not stack:
                for sign in ("-", "+", ""):
                    if source.startswith(sign + closer, self.pos):
                        self.tokens.append(Token(self.lineno, end_type, None))
                        self._after_tag(self.pos + len(sign) + 2, sign, trim=kind == "%")
                        return
            self._expression_token(stack)

    def _expression_token(self, stack: list[str]) -> None:
        source, pos, lineno = self.source, self.pos, self.lineno
        match = _NAME_RE.match(source, pos)
        if match is not None:
            self.tokens.append(Token(lineno, "name", match.group()))
        elif (match := _STRING_RE.match(source, pos)) is not None:
            self.tokens.append(Token(lineno, "string", self._unescape(match.group()[1:-1])))
        elif (match := _FLOAT_RE.match(source, pos)) is not None:
            self.tokens.append(Token(lineno, "float", float(match.group().replace("_", ""))))
        elif (match := _INTEGER_RE.match(source, pos)) is not None:
            self.tokens.append(Token(lineno, "integer", int(match.group().replace("_", ""), 0)))
        elif (match := _OPERATOR_RE.match(source, pos)) is not None:
            self._balance(match.group(), stack)
            self.tokens.append(Token(lineno, "operator", match.group()))
        else:
            raise self.error(f"unexpected char {source[pos]!r} at {pos}")
        self.advance(match.end())

    def _balance(self, op: str, stack: list[str]) -> None:
        if op in _OPENERS:
            stack.append(_OPENERS[op])
        elif op in (")", "]", "}"):
            if not stack:
                raise self.error(f"unexpected '{op}'")
            expected = stack.pop()
            if op != expected:
                raise self.error(f"unexpected '{op}', expected '{expected}'")

    def _unescape(self, body: str) -> str:
        try:
            return body.encode("ascii", "backslashreplace").decode("unicode-escape")
        except UnicodeDecodeError as exc:
            raise self.error(f"invalid string escape: {exc.reason}") from None
