"""Template line maps and traceback rewriting, so errors point at template lines."""

from __future__ import annotations

import bisect
import sys
from types import CodeType, TracebackType
from typing import Protocol

__all__ = ["rewrite_traceback", "template_line"]


class _TemplateLike(Protocol):
    name: str | None
    filename: str | None
    code_filename: str
    line_map: list[tuple[int, int]]


class _Relocated(Exception):
    """Raised from a fake code object only to obtain a traceback entry."""


def template_line(line_map: list[tuple[int, int]], python_line: int) -> int:
    """Map a line of the generated module to the template line it came from."""
    index = bisect.bisect_right(line_map, (python_line, sys.maxsize)) - 1
    return line_map[index][1] if index >= 0 else 1


def _fake_entry(filename: str, lineno: int, function: str) -> TracebackType | None:
    """Build a traceback entry that reads ``File "<filename>", line <lineno>``."""
    code: CodeType = compile("\n" * (lineno - 1) + "raise _Relocated", filename, "exec")
    code = code.replace(co_name=function)
    try:
        exec(code, {"_Relocated": _Relocated})
    except _Relocated:
        traceback = sys.exc_info()[2]
        assert traceback is not None
        return traceback.tb_next
    return None  # pragma: no cover - the code above always raises


def _function_label(code_name: str) -> str:
    if code_name.startswith("block_"):
        return f"block {code_name[6:]!r}"
    if code_name.startswith("macro_"):
        return "macro"
    return "template"


def rewrite_traceback(exc: BaseException) -> BaseException:
    """Replace the frames of compiled templates with frames at template lines.

    The generated Python frames are swapped for fake frames whose file is the
    template file and whose line is the template line (Jinja does the same),
    and a note naming the innermost template line is added to the exception.
    """
    entries: list[TracebackType] = []
    innermost: tuple[str, int] | None = None
    traceback = exc.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        template: _TemplateLike | None = frame.f_globals.get("__fastcore_template__")
        if template is not None and frame.f_code.co_filename == template.code_filename:
            where = template.filename or template.name or "<template>"
            lineno = template_line(template.line_map, traceback.tb_lineno)
            fake = _fake_entry(where, lineno, _function_label(frame.f_code.co_name))
            if fake is not None:
                entries.append(fake)
                innermost = (where, lineno)
        else:
            entries.append(traceback)
        traceback = traceback.tb_next
    if innermost is None:
        return exc
    for current, following in zip(entries, entries[1:], strict=False):
        current.tb_next = following
    if entries:
        entries[-1].tb_next = None
    exc.add_note(f'(rendering template "{innermost[0]}", line {innermost[1]})')
    return exc.with_traceback(entries[0] if entries else None)
