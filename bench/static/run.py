"""Static files under load: fastcore next to nginx, Starlette's StaticFiles and WhiteNoise.

Each server runs alone with one worker pinned to CPU 0; wrk runs pinned to
CPU 1 (``taskset``). Every round starts each server in turn on the same
files; the figures are medians over rounds. Subjects:

- ``fastcore``: ``app.static()`` on the bundled server (``fastcore run``),
  serving the folder ``fastcore collectstatic`` wrote (production mode);
- ``nginx``: ``sendfile on``, one worker process;
- ``starlette``: ``StaticFiles`` on uvicorn (uvloop, httptools);
- ``whitenoise``: WhiteNoise (WSGI) on ``uvicorn --interface wsgi``.

Files: 1 KiB and 1 MiB. With ``--compression``, also a 20 KiB HTML page
through fastcore's ``Compression`` middleware next to Starlette's
``GZipMiddleware`` (both answering gzip).

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
    "starlette GZipMiddleware": uvicorn("starlette_static:page_app"),
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


def wrk(url: str, duration: int, connections: int, headers: list[str]) -> tuple[float, float]:
    """Requests per second and megabytes per second of one wrk run."""
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", url]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    size, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output).groups()  # type: ignore[union-attr]
    scale = {"B": 1 / 1e6, "KB": 1024 / 1e6, "MB": 1024**2 / 1e6, "GB": 1024**3 / 1e6}[unit]
    return requests, float(size) * scale


def measure(
    name: str,
    command: list[str],
    port: int,
    folder: Path,
    targets: list[tuple[str, str, list[str]]],
    args: argparse.Namespace,
) -> dict[str, tuple[float, float]]:
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
        results = {}
        for label, path, headers in targets:
            url = f"http://127.0.0.1:{port}{path}"
            wrk(url, 1, args.connections, headers)  # warm-up
            results[label] = wrk(url, args.duration, args.connections, headers)
        return results
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
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
                for name, make in PAGE_SUBJECTS.items():
                    port = free_port()
                    for label, figures in measure(
                        name, make(port, folder), port, folder, page_target, args
                    ).items():
                        runs.setdefault((name, label), []).append(figures)
    print(
        f"median of {args.rounds} round(s) of {args.duration} s, {args.connections} "
        "connections, server on CPU 0, wrk on CPU 1"
    )
    print(f"{'server':26} {'target':16} {'req/s':>10} {'MB/s':>9}")
    for (name, label), figures in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
        requests = statistics.median(figure[0] for figure in figures)
        megabytes = statistics.median(figure[1] for figure in figures)
        print(f"{name:26} {label:16} {requests:10,.0f} {megabytes:9,.1f}")


if __name__ == "__main__":
    main()
