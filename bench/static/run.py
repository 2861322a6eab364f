"""Static files under load: fastcore next to nginx, Starlette's StaticFiles and WhiteNoise.

Each server runs alone with one worker pinned to CPU 0; wrk runs pinned to
CPU 1 (``taskset``). Every round starts each server in turn on the same
files (the order rotating from round to round); the figures are medians
over rounds. Besides req/s and MB/s, each run reads the server's CPU time
(user + system, its processes together, psutil) before and after wrk: CPU
microseconds per request depend much less on the machine's other load than
req/s, and the ratios to WhiteNoise are printed from them. Subjects:

- ``fastcore``: ``app.static()`` on the bundled server (``fastcore run``),
  serving the folder ``fastcore collectstatic`` wrote (production mode);
- ``nginx``: ``sendfile on``, one worker process;
- ``starlette``: ``StaticFiles`` on uvicorn (uvloop, httptools);
- ``whitenoise``: WhiteNoise (WSGI) on ``uvicorn --interface wsgi``.

Files: 1 KiB and 1 MiB. With ``--compression``, also a 20 KiB HTML page
through fastcore's ``Compression`` middleware next to Starlette's
``GZipMiddleware`` (both answering gzip), and each page app without its
middleware: the difference in CPU per request is the middleware's cost.

Usage::

    python bench/static/run.py --rounds 3 --duration 5
    python bench/static/run.py --quick

Needs ``wrk`` (and ``nginx`` for that subject; it is skipped when absent).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
FILES = {"1KiB": ("small.css", 1024), "1MiB": ("large.bin", 1024 * 1024)}
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ text/css css; application/octet-stream bin; text/html html; }}
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp;
    scgi_temp_path {folder}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{ alias {root}/; etag on; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn(target: str, *extra: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ]

    return command


def fastcore(target: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, folder: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "fastcore.server.cli",
            "run",
            target,
            "--port",
            str(port),
            "--workers",
            "1",
        ]

    return command


def nginx(port: int, folder: Path) -> list[str]:
    conf = folder / f"nginx-{port}.conf"
    (folder / "tmp").mkdir(exist_ok=True)
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, root=folder / "static"))
    return [shutil.which("nginx") or "nginx", "-c", str(conf), "-e", "stderr"]


STATIC_SUBJECTS: dict[str, Callable[[int, Path], list[str]]] = {
    "fastcore": fastcore("fastcore_static:app"),
    "nginx": nginx,
    "starlette": uvicorn("starlette_static:app"),
    "whitenoise": uvicorn("whitenoise_static:app", "--interface", "wsgi"),
}
PAGE_SUBJECTS: dict[str, Callable[[int, Path], list[str]]] = {
    "fastcore Compression": fastcore("fastcore_static:page_app"),
    "fastcore (none)": fastcore("fastcore_static:plain_page_app"),
    "starlette GZipMiddleware": uvicorn("starlette_static:page_app"),
    "starlette (none)": uvicorn("starlette_static:plain_page_app"),
}


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def wrk(url: str, duration: int, connections: int, headers: list[str]) -> tuple[float, float, int]:
    """Requests per second, megabytes per second and requests of one wrk run."""
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses", output):
        raise RuntimeError(f"{url}: error responses\n{output}")
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    size, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output).groups()  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    scale = {"B": 1 / 1e6, "KB": 1024 / 1e6, "MB": 1024**2 / 1e6, "GB": 1024**3 / 1e6}[unit]
    return requests, float(size) * scale, total


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU time of a server process and its children (workers)."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measure(
    name: str,
    command: list[str],
    port: int,
    folder: Path,
    targets: list[tuple[str, str, list[str]]],
    args: argparse.Namespace,
) -> dict[str, tuple[float, float, float]]:
    """(req/s, MB/s, server CPU microseconds per request) of each target."""
    env = dict(os.environ, BENCH_STATIC_DIR=str(folder / "static"), PYTHONPATH=str(APPS))
    process = subprocess.Popen(
        ["taskset", "-c", "0", *command],
        cwd=APPS,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(port, process)
        server = psutil.Process(process.pid)
        results = {}
        for label, path, headers in targets:
            url = f"http://127.0.0.1:{port}{path}"
            wrk(url, 1, args.connections, headers)  # warm-up
            before = cpu_seconds(server)
            requests, megabytes, total = wrk(url, args.duration, args.connections, headers)
            used = cpu_seconds(server) - before
            results[label] = (requests, megabytes, used / max(total, 1) * 1e6)
        return results
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report(
    runs: dict[tuple[str, str], list[tuple[float, float, float]]], args: argparse.Namespace
) -> None:
    """Print the medians, fastcore's ratios to its peers and the middleware's cost."""
    print(
        f"median of {args.rounds} round(s) of {args.duration} s, {args.connections} "
        "connections, server on CPU 0, wrk on CPU 1"
    )
    print(f"{'server':26} {'target':16} {'req/s':>10} {'MB/s':>9} {'CPU us/req':>11}")
    medians: dict[tuple[str, str], tuple[float, float, float]] = {}
    for (name, label), figures in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
        medians[name, label] = (
            statistics.median(figure[0] for figure in figures),
            statistics.median(figure[1] for figure in figures),
            statistics.median(figure[2] for figure in figures),
        )
        requests, megabytes, cpu = medians[name, label]
        print(f"{name:26} {label:16} {requests:10,.0f} {megabytes:9,.1f} {cpu:11.1f}")
    print("fastcore's ratios (req/s; CPU per request: the peer's over fastcore's):")
    for label in FILES:
        ours = medians.get(("fastcore", label))
        if ours is None:
            continue
        for peer in ("nginx", "starlette", "whitenoise"):
            theirs = medians.get((peer, label))
            if theirs is not None:
                print(
                    f"  {label:5} vs {peer:11} req/s {ours[0] / theirs[0]:5.2f}x"
                    f"   CPU/request {theirs[2] / ours[2]:5.2f}x"
                )
    if args.compression:
        print("compression middleware, CPU us per request over the same app without it:")
        for ours, plain in (
            ("fastcore Compression", "fastcore (none)"),
            ("starlette GZipMiddleware", "starlette (none)"),
        ):
            label = "20KiB page gzip"
            if (ours, label) in medians and (plain, label) in medians:
                cost = medians[ours, label][2] - medians[plain, label][2]
                print(f"  {ours:26} {cost:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="one round of 2 s")
    parser.add_argument("--compression", action="store_true", help="also the 20 KiB page")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 2
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed")
    subjects = dict(STATIC_SUBJECTS)
    if shutil.which("nginx") is None:
        print("nginx is not installed: skipped", file=sys.stderr)
        del subjects["nginx"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # nginx's worker process runs as an unprivileged user
        (folder / "static").mkdir()
        for name, size in FILES.values():
            (folder / "static" / name).write_bytes(os.urandom(size // 2).hex().encode()[:size])
        words = " ".join(f"<li>item {n}: {'lorem ipsum dolor ' * 3}</li>" for n in range(300))
        (folder / "static" / "page.html").write_text(f"<ul>{words}</ul>"[: 20 * 1024])
        # fastcore serves the collected folder, as in production (collectstatic).
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from fastcore.cli import main; raise SystemExit(main())",
                "collectstatic",
                "fastcore_static:app",
            ],
            cwd=APPS,
            env=dict(os.environ, BENCH_STATIC_DIR=str(folder / "static")),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        runs: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        targets = [(label, f"/static/{name}", []) for label, (name, _) in FILES.items()]
        page_target = [("20KiB page gzip", "/page", ["Accept-Encoding: gzip"])]
        for round_index in range(args.rounds):
            order = list(subjects.items())
            order = order[round_index % len(order) :] + order[: round_index % len(order)]
            for name, make in order:
                port = free_port()
                for label, figures in measure(
                    name, make(port, folder), port, folder, targets, args
                ).items():
                    runs.setdefault((name, label), []).append(figures)
            if args.compression:
                pages = list(PAGE_SUBJECTS.items())
                pages = pages[round_index % len(pages) :] + pages[: round_index % len(pages)]
                for name, make in pages:
                    port = free_port()
                    for label, figures in measure(
                        name, make(port, folder), port, folder, page_target, args
                    ).items():
                        runs.setdefault((name, label), []).append(figures)
    report(runs, args)


if __name__ == "__main__":
    main()
