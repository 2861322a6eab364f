"""The GitHub API route set of bench/data/github_routes.txt, for the router benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "github_routes.txt"
#: A fastcore parameter: group 1 the name, group 2 the converter (or None).
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def load_routes() -> dict[str, list[str]]:
    """Return pattern -> methods, in file order."""
    routes: dict[str, list[str]] = {}
    for line in DATA.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            method, pattern = line.split()
            routes.setdefault(pattern, []).append(method)
    return routes


def concrete(pattern: str) -> str:
    """A request path that the pattern matches (ints 1347, a three-part path)."""

    def value(match: re.Match[str]) -> str:
        name, converter = match.group(1), match.group(2)
        if converter == "int":
            return "1347"
        if converter == "path":
            return "docs/guide/README.md"
        return f"v{name}"

    return PARAM.sub(value, pattern)
