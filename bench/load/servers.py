"""The servers the load harness knows: how to start each one, and what it is.

Every entry starts one process with one worker on a given host and port, from
the ``apps/`` directory. The harness adds the CPU pinning (``taskset``), so the
commands here stay plain.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

APPS_DIR = Path(__file__).resolve().parent / "apps"

#: What a server is, which decides what it is compared against.
#: "fastcore" is the subject; "peer" a framework or server people deploy;
#: "baseline" the fixed-bytes protocol, a reference point rather than a
#: competitor (ratios are never taken against it as "the best peer").
Kind = Literal["fastcore", "peer", "baseline"]


@dataclass(frozen=True)
class ServerSpec:
    """A server under test: its name, start command and what it needs."""

    name: str
    kind: Kind
    description: str
    command: Callable[[str, int], list[str]]
    requires: tuple[str, ...]
    #: Extra arguments for the idle-connection measurement: a keep-alive
    #: timeout long enough that idle connections survive until RSS is read.
    idle_args: tuple[str, ...] = ()

    def missing_modules(self) -> list[str]:
        """Return the modules this server needs that cannot be imported."""
        missing = []
        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                missing.append(module)
        return missing


def _uvicorn(target: str) -> Callable[[str, int], list[str]]:
    def command(host: str, port: int) -> list[str]:
        # Without --workers uvicorn serves from this very process (no
        # supervisor), with the httptools parser on uvloop.
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            host,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]

    return command


# uvicorn closes a keep-alive connection after 5 idle seconds by default.
_UVICORN_IDLE = ("--timeout-keep-alive", "600")


def _granian(target: str, interface: str) -> Callable[[str, int], list[str]]:
    def command(host: str, port: int) -> list[str]:
        # NOTE: Granian always runs a supervisor plus worker processes; the
        # harness measures the CPU time of the whole process tree.
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            interface,
            "--host",
            host,
            "--port",
            str(port),
            "--http",
            "1",
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--no-access-log",
            "--log-level",
            "warning",
            target,
        ]

    return command


# Granian serves at most backlog/workers (1,024) connections at a time by
# default; later ones wait unanswered.
_GRANIAN_IDLE = ("--backpressure", "65536")


def _fastcore_run(target: str, workers: int = 1) -> Callable[[str, int], list[str]]:
    def command(host: str, port: int) -> list[str]:
        # `python -m fastcore.server.cli` is the `fastcore` console script,
        # usable from a source checkout that was never pip-installed.
        return [
            sys.executable,
            "-m",
            "fastcore.server.cli",
            "run",
            target,
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]

    return command


def _script(filename: str) -> Callable[[str, int], list[str]]:
    def command(host: str, port: int) -> list[str]:
        return [sys.executable, str(APPS_DIR / filename), host, str(port)]

    return command


SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec(
            "fastcore",
            "fastcore",
            "fastcore App on its bundled server: `fastcore run fastcore_app:app --workers 1`",
            _fastcore_run("fastcore_app:app"),
            ("fastcore.app", "fastcore.server.cli"),
            ("--keep-alive-timeout", "600"),
        ),
        ServerSpec(
            "fastcore-2w",
            "fastcore",
            "the same with two workers (`--workers 2`): its requests per server-CPU-second "
            "against `fastcore` is the cost of the second worker (the master, two loops "
            "sharing the socket)",
            _fastcore_run("fastcore_app:app", workers=2),
            ("fastcore.app", "fastcore.server.cli"),
            ("--keep-alive-timeout", "600"),
        ),
        ServerSpec(
            "uvicorn-raw",
            "peer",
            "bare ASGI app on uvicorn (httptools, uvloop)",
            _uvicorn("asgi_raw:app"),
            ("uvicorn", "httptools", "uvloop"),
            _UVICORN_IDLE,
        ),
        ServerSpec(
            "starlette",
            "peer",
            "Starlette on uvicorn (httptools, uvloop)",
            _uvicorn("starlette_app:app"),
            ("uvicorn", "starlette"),
            _UVICORN_IDLE,
        ),
        ServerSpec(
            "blacksheep",
            "peer",
            "BlackSheep on uvicorn (httptools, uvloop)",
            _uvicorn("blacksheep_app:app"),
            ("uvicorn", "blacksheep"),
            _UVICORN_IDLE,
        ),
        ServerSpec(
            "sanic",
            "peer",
            "Sanic on its own server, single process",
            _script("sanic_app.py"),
            ("sanic",),
        ),
        ServerSpec(
            "granian",
            "peer",
            "bare ASGI app on Granian (ASGI interface, uvloop)",
            _granian("asgi_raw:app", "asgi"),
            ("granian",),
            _GRANIAN_IDLE,
        ),
        ServerSpec(
            "granian-rsgi",
            "peer",
            "bare RSGI app on Granian (native RSGI interface)",
            _granian("granian_rsgi:app", "rsgi"),
            ("granian",),
            _GRANIAN_IDLE,
        ),
        ServerSpec(
            "socketify",
            "peer",
            "socketify.py (uWebSockets in C++, handlers called through cffi), one process",
            _script("socketify_app.py"),
            ("socketify", "orjson"),
        ),
        ServerSpec(
            "uvloop-protocol",
            "baseline",
            "uvloop + httptools asyncio.Protocol answering pre-built bytes",
            _script("uvloop_protocol.py"),
            ("uvloop", "httptools"),
        ),
    )
}
