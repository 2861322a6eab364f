"""Measure a server's resident memory per idle keep-alive connection.

For each server: start it pinned to one core, note its RSS, open N keep-alive
connections (default 10,000) and send one ``GET /plaintext`` on each, wait for
every answer, let the server settle, then report (RSS after - RSS before) / N.
The connections stay open and idle while RSS is read; the number still open
on the server side at that moment is counted and reported too, so a server
that drops idle connections early cannot look lighter than it is.

Usage::

    python bench/load/idle_connections.py --servers uvicorn-raw,fastcore
    python bench/load/idle_connections.py --servers uvicorn-raw --connections 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

LOAD_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(LOAD_DIR), str(LOAD_DIR.parent.parent)]

from run import (  # noqa: E402
    HOST,
    ServerFailed,
    free_port,
    start_server,
    stop_server,
    validate,
    wait_until_ready,
)
from servers import SERVERS  # noqa: E402

REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
EXPECTED_BODY = b"Hello, World!"
# Opening every connection at once would overflow the server's accept
# backlog (SYN retries then stall for a second or more); batches keep the
# open phase fast and bounded.
BATCH = 500


@dataclass
class IdleResult:
    """What one idle-connection measurement found for one server."""

    server: str
    requested: int
    answered: int = 0
    open_at_measure: int = 0
    rss_before: int = 0
    rss_after: int = 0
    open_seconds: float = 0.0
    error: str | None = None

    @property
    def bytes_per_connection(self) -> float | None:
        """RSS growth divided by the connections open when it was read."""
        if not self.open_at_measure:
            return None
        return (self.rss_after - self.rss_before) / self.open_at_measure


def raise_fd_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE to at least ``needed`` (servers inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else max(needed, hard)
    try:
        # Raising the hard limit needs root (or CAP_SYS_RESOURCE).
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(target, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def tree(pid: int) -> list[psutil.Process]:
    """Return the server process and its live children."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_rss(pid: int) -> int:
    """Return the summed RSS of the server's process tree, in bytes."""
    return sum(proc.memory_info().rss for proc in tree(pid))


def established_connections(pid: int, port: int) -> int:
    """Count the server tree's established TCP sockets on ``port``."""
    count = 0
    for proc in tree(pid):
        for conn in proc.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr and conn.laddr.port == port:
                count += 1
    return count


async def open_connection(port: int, timeout: float) -> asyncio.StreamWriter:
    """Open one connection, send one request and read its whole answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    writer.write(REQUEST)
    await asyncio.wait_for(reader.readuntil(EXPECTED_BODY), timeout)
    return writer


async def open_idle_connections(
    port: int, count: int, timeout: float
) -> tuple[list[asyncio.StreamWriter], list[BaseException]]:
    """Open ``count`` answered keep-alive connections, in batches."""
    writers: list[asyncio.StreamWriter] = []
    failures: list[BaseException] = []
    deadline = time.monotonic() + timeout
    while len(writers) + len(failures) < count and time.monotonic() < deadline:
        size = min(BATCH, count - len(writers) - len(failures))
        outcomes = await asyncio.gather(
            *(open_connection(port, 10.0) for _ in range(size)), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, asyncio.StreamWriter):
                writers.append(outcome)
            else:
                failures.append(outcome)
        if len(failures) > count // 100 + 10:
            break
    return writers, failures


async def measure_open_phase(
    result: IdleResult, pid: int, port: int, settle: float, timeout: float
) -> None:
    """Open the connections, read RSS while they idle, then close them."""
    started = time.monotonic()
    writers, failures = await open_idle_connections(port, result.requested, timeout)
    result.open_seconds = time.monotonic() - started
    result.answered = len(writers)
    if failures:
        result.error = f"{len(failures)} connections failed, first: {failures[0]!r}"
    try:
        await asyncio.sleep(settle)
        result.open_at_measure = established_connections(pid, port)
        result.rss_after = tree_rss(pid)
    finally:
        for writer in writers:
            writer.close()


def measure(
    name: str, count: int, core: int, client_core: int, settle: float, log: Path
) -> IdleResult:
    """Run the measurement against one server."""
    spec = SERVERS[name]
    result = IdleResult(name, count)
    port = free_port()
    proc = start_server(spec, port, core, log, extra_args=spec.idle_args)
    try:
        wait_until_ready(proc, port, 20.0)
        problems = validate(port)
        if problems:
            result.error = "; ".join(problems)
        time.sleep(0.5)
        result.rss_before = tree_rss(proc.pid)
        os.sched_setaffinity(0, {client_core})
        asyncio.run(measure_open_phase(result, proc.pid, port, settle, timeout=120.0))
    except (ServerFailed, OSError, psutil.Error) as exc:
        result.error = f"{exc} (log: {log})"
    finally:
        stop_server(proc)
    return result


def render(results: list[IdleResult], command: str) -> str:
    """Render the results as a Markdown table."""
    lines = [
        "# RSS per idle keep-alive connection",
        "",
        f"`{command}`",
        "",
        "| server | connections | answered | open at measure | RSS before MiB "
        "| RSS after MiB | KiB per connection | open phase s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        per = result.bytes_per_connection
        lines.append(
            f"| {result.server} | {result.requested:,} | {result.answered:,} "
            f"| {result.open_at_measure:,} | {result.rss_before / 2**20:.1f} "
            f"| {result.rss_after / 2**20:.1f} | {'—' if per is None else f'{per / 1024:.2f}'} "
            f"| {result.open_seconds:.1f} |"
        )
    lines += ["", "Target (issue #2): ≤ 8 KiB per idle keep-alive connection for fastcore.", ""]
    flagged = [result for result in results if result.error]
    for result in flagged:
        lines.append(f"- **{result.server}**: {result.error}")
    if flagged:
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement from the command line; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="uvicorn-raw,fastcore")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds idle before RSS")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--results-dir", type=Path, default=LOAD_DIR / "results")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        print(f"unknown servers {unknown}; known: {', '.join(SERVERS)}", file=sys.stderr)
        return 2
    limit = raise_fd_limit(args.connections * 2 + 1024)
    if limit < args.connections + 256:
        print(f"open-file limit {limit} is too low for {args.connections}", file=sys.stderr)
        return 2
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = []
    for name in names:
        missing = SERVERS[name].missing_modules()
        if missing:
            print(f"skipping {name}: cannot import {', '.join(missing)}", file=sys.stderr)
            continue
        log = args.results_dir / f"{stamp}-idle-{name}.log"
        results.append(
            measure(name, args.connections, args.server_core, args.client_core, args.settle, log)
        )
    command = "python bench/load/idle_connections.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    markdown = render(results, command.strip())
    (args.results_dir / f"{stamp}-idle.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
