"""Every code block in README.md and docs/**/*.md runs as shown, or says why it cannot.

- ``python`` blocks run in order, one namespace per page (a later block may
  use what an earlier one defined), in a child process per page, in a
  temporary working directory with ``DATABASE_URL`` on a temporary SQLite
  file and ``FASTCORE_DEBUG=1``; top-level ``await`` works (the page's blocks
  share one event loop). Every App a page defines is then
  started with the test client, its database tables created, and each of its
  GET routes without path parameters must answer below 500 (unless the
  example built or served it itself).
- ``bash`` / ``sh`` / ``console`` blocks: every ``fastcore ...`` command is
  parsed by the real command line (its subcommand and options must exist),
  ``make TARGET`` must name a Makefile target, ``python -m MODULE`` an
  importable module and ``python FILE.py`` an existing file.
- ``toml`` blocks must parse.
- A block preceded by ``<!-- file: PATH -->`` is written to PATH (in the
  temporary directory) before the page's Python runs: the templates an
  example renders, say.
- A block preceded by ``<!-- not-run: REASON -->`` is skipped, and one
  preceded by ``<!-- not-exercised: REASON -->`` runs but its App is not
  requested (an endless event stream, say); the reason must be given.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastcore.app import App
from fastcore.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
SHELL = {"bash", "sh", "console", "shell"}
#: Blocks of these languages are examples of output or of other files: nothing to run.
NOT_CODE = {"", "text", "html", "json", "pycon", "jinja", "css", "javascript", "js", "sql"}
#: ... and configuration of other programs (a proxy, a container, a service manager).
NOT_CODE |= {"nginx", "yaml", "ini", "dockerfile", "conf"}

#: The comments a block may follow (each with a reason or a path).
MARKERS = ("not-run", "not-exercised", "file")
_FENCE = re.compile(
    r"(?:^<!--\s*(?P<marker>[\w-]+):?\s*(?P<argument>.*?)\s*-->\n)?"
    r"^(?P<fence>```+)(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=fence)\s*$",
    re.MULTILINE | re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    body: str
    marker: str | None
    argument: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, with the marker comment before each."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(
            page=page,
            line=text.count("\n", 0, match.start("fence")) + 1,
            lang=match.group("lang").lower(),
            body=match.group("body"),
            marker=match.group("marker"),
            argument=match.group("argument") or "",
        )
        for match in _FENCE.finditer(text)
    ]


def page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_the_pages_are_found() -> None:
    assert ROOT / "docs" / "getting-started.md" in PAGES
    assert sum(len(blocks_of(page)) for page in PAGES) > 100


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_marker_is_known_and_every_skip_says_why(page: Path) -> None:
    for block in blocks_of(page):
        if block.marker is None:
            continue
        assert block.marker in MARKERS, f"{block.where}: unknown marker {block.marker}"
        assert block.argument.strip(), f"{block.where}: <!-- {block.marker}: ... --> needs text"
        if block.marker == "file":
            assert not Path(block.argument).is_absolute() and ".." not in Path(block.argument).parts


# -- Python -------------------------------------------------------------------
# Each page runs in a child process (this file run as a script): its models
# go on SQLAlchemy metadata of their own, its modules and settings vanish
# with it, and a block that hangs is stopped, naming the block.


def run_block(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    """Run one Python block in the page's namespace (top-level await allowed)."""
    code = compile(
        block.body,
        f"{block.where} (python block)",
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )
    result = eval(code, namespace)  # the documentation's own examples
    if isinstance(result, types.CoroutineType):
        loop.run_until_complete(result)


def exercise(app: App, where: str) -> None:
    """Start ``app``, create its tables, and GET each route without path parameters."""
    from fastcore.testing import TestClient
    from fastcore.testing.pytest_plugin import find_database

    database = find_database(app)
    if database is not None:
        app.on_startup(database.create_all)
    with TestClient(app) as client:
        for route in app.router.routes:  # frozen (and complete) once the app has started
            if route.param_types or "GET" not in route.methods:
                continue
            response = client.get(route.pattern, follow_redirects=False)
            assert response.status_code < 500, (
                f"{where}: GET {route.pattern} answered {response.status_code}: "
                f"{response.text[:2000]}"
            )


def run_page(page: Path) -> None:
    """Run a page's Python blocks in the current directory, then exercise its apps."""
    blocks = blocks_of(page)
    for block in blocks:
        if block.marker == "file":
            target = Path(block.argument)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    apps: dict[int, tuple[App, str]] = {}
    skipped: set[int] = set()
    sys.path.insert(0, os.getcwd())  # modules an example writes (<!-- file: x.py -->)
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            if block.lang == "python" and block.marker in (None, "not-exercised"):
                print(f"running {block.where}", file=sys.stderr, flush=True)
                run_block(block, namespace, loop)
                for value in list(namespace.values()):
                    if isinstance(value, App) and id(value) not in apps:
                        apps[id(value)] = (value, block.where)
                        if block.marker == "not-exercised":
                            skipped.add(id(value))
    finally:
        loop.close()
    for key, (app, where) in apps.items():
        # NOTE: routes already frozen mean the example built or served the app
        # itself (a configuration it shows being refused, say): left as it is.
        if key in skipped or app.router.frozen:
            continue
        print(f"exercising the app of {where}", file=sys.stderr, flush=True)
        exercise(app, where)


@pytest.mark.parametrize(
    "page",
    [
        page
        for page in PAGES
        if any(
            block.lang == "python" and block.marker in (None, "not-exercised")
            for block in blocks_of(page)
        )
    ],
    ids=page_id,
)
def test_python_blocks_run(page: Path, tmp_path: Path) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FASTCORE_") and name != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'docs.sqlite3'}",
        FASTCORE_DEBUG="1",  # HTML apps start with a key made for the run
        PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]),
    )
    result = subprocess.run(
        [sys.executable, __file__, str(page)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-6000:]


# -- Shell and TOML --------------------------------------------------------------


def commands_of(block: Block) -> Iterator[list[str]]:
    """The commands of a shell block: prompts, comments and continuations resolved."""
    text = block.body.replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if block.lang == "console":
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)  # comments dropped, operators (&&, |, ;) as tokens of their own
        parts: list[list[str]] = [[]]
        for token in tokens:
            if token and set(token) <= set("&|;"):
                parts.append([])
            else:
                parts[-1].append(token)
        for words in parts:
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]  # VARIABLE=value prefixes
            if words[:1] in (["nice"], ["taskset"]):
                words = words[1:]  # the wrapper and its options: `taskset -c 1 python ...`
                while words and re.fullmatch(r"-\S+|[\d,-]+", words[0]):
                    words = words[1:]
            if words:
                yield words


def check_command(words: list[str], where: str) -> None:
    name = words[0]
    if name == "fastcore":
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as exc:
            raise AssertionError(f"{where}: {shlex.join(words)!r} is refused") from exc
    elif name == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE)
        for target in words[1:]:
            assert target in targets, f"{where}: no make target {target!r}"
    elif name in ("python", "python3"):
        arguments = [word for word in words[1:] if word not in ("-q", "-u", "-O")]
        if arguments[:1] == ["-m"]:
            module = arguments[1]
            import importlib.util

            assert importlib.util.find_spec(module) is not None, f"{where}: no module {module}"
        elif arguments and arguments[0].endswith(".py") and "/" in arguments[0]:
            assert (ROOT / arguments[0]).is_file(), f"{where}: no file {arguments[0]}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_shell_commands_exist_as_written(page: Path) -> None:
    for block in blocks_of(page):
        if block.lang in SHELL and block.marker != "not-run":
            for words in commands_of(block):
                check_command(words, block.where)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_toml_blocks_parse(page: Path) -> None:
    for block in blocks_of(page):
        if block.lang == "toml" and block.marker != "not-run":
            try:
                tomllib.loads(block.body)
            except tomllib.TOMLDecodeError as exc:
                raise AssertionError(f"{block.where}: {exc}") from exc


def test_every_block_has_a_known_language() -> None:
    known = NOT_CODE | SHELL | {"python", "toml"}
    unknown = [
        f"{block.where}: {block.lang}"
        for page in PAGES
        for block in blocks_of(page)
        if block.lang not in known
    ]
    assert not unknown, unknown


if __name__ == "__main__":
    run_page(Path(sys.argv[1]))
