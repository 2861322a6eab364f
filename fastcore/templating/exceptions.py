"""Errors raised by the template engine, all subclasses of fastcore's TemplateError."""

from __future__ import annotations

from collections.abc import Sequence

from fastcore.exceptions import TemplateError, TemplateRuntimeError, UndefinedError

__all__ = [
    "TemplateAssertionError",
    "TemplateError",
    "TemplateNotFound",
    "TemplateRuntimeError",
    "TemplateSyntaxError",
    "TemplatesNotFound",
    "UndefinedError",
]


class TemplateSyntaxError(TemplateError):
    """A template that cannot be parsed, with the template name and line.

    Args:
        message: What is wrong.
        lineno: The 1-based template line of the offending token.
        name: The template's load name (``"page.html"``), if any.
        filename: The file it was loaded from, if any.
    """

    def __init__(
        self,
        message: str,
        lineno: int,
        name: str | None = None,
        filename: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.name = name
        self.filename = filename
        #: The template source, attached by the environment so ``str()`` can quote the line.
        self.source: str | None = None

    def __str__(self) -> str:
        location = f"line {self.lineno}"
        where = self.filename or self.name
        if where:
            location = f'File "{where}", {location}'
        lines = [self.message, "  " + location]
        if self.source is not None:
            source_lines = self.source.splitlines()
            if 0 < self.lineno <= len(source_lines):
                lines.append("    " + source_lines[self.lineno - 1].strip())
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.message, self.lineno, self.name, self.filename))


class TemplateAssertionError(TemplateSyntaxError):
    """A template that parses but cannot compile (an unknown filter or test, say)."""


class TemplateNotFound(OSError, LookupError, TemplateError):
    """No loader could find the template.

    Args:
        name: The template name that was asked for.
        message: An optional explanation (defaults to the name).
    """

    def __init__(self, name: str | None, message: str | None = None) -> None:
        super().__init__(message if message is not None else name)
        self.name = name
        self.message = message if message is not None else name
        self.templates: list[str | None] = [name]

    def __str__(self) -> str:
        return str(self.message)

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.name, self.message))


class TemplatesNotFound(TemplateNotFound):
    """None of several candidate templates exists (``select_template``, include lists)."""

    def __init__(self, names: Sequence[str] = (), message: str | None = None) -> None:
        if message is None:
            message = "none of the templates given were found: " + ", ".join(map(str, names))
        super().__init__(names[-1] if names else None, message)
        self.templates = list(names)

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.templates, self.message))
