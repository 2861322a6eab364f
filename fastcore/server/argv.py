"""The ``fastcore run`` command line, rewritten for the process that runs next.

``--reload`` runs it again without the reload options; a single-process
SIGHUP runs it again on an inherited socket instead of its address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["without_options"]


def without_options(
    argv: Sequence[str], *, flags: Iterable[str] = (), valued: Iterable[str] = ()
) -> list[str]:
    """``argv`` without the ``flags`` and the ``valued`` options (``--x v`` or ``--x=v``)."""
    flag_names, valued_names = set(flags), set(valued)
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name, equals, _ = arg.partition("=")
        if arg in flag_names:
            continue
        if name in valued_names:
            skip = not equals  # the value is the next word
            continue
        kept.append(arg)
    return kept
