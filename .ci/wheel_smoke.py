"""Check an installed fastcore wheel: every compiled kernel imports and the server answers.

Run with the interpreter of an environment where a wheel (not the source tree)
is installed: tests/test_packaging.py runs it in a fresh venv per Python, and
cibuildwheel runs it as its test-command (pyproject.toml). It prints one line
per check and exits non-zero on the first failure.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import fastcore
from fastcore import App
from fastcore.server import Server

SOURCE_TREE = Path(__file__).resolve().parent.parent


def check_installed_package() -> Path:
    """Fail if ``fastcore`` was imported from the source tree instead of the wheel."""
    package = Path(fastcore.__file__).resolve().parent
    if package.is_relative_to(SOURCE_TREE):
        raise SystemExit(f"fastcore imported from the source tree ({package}), not a wheel")
    print(f"fastcore {fastcore.__version__} from {package}")
    return package


def check_kernels(package: Path) -> None:
    """Import every compiled kernel: each ships a .pyi stub beside its extension module."""
    stubs = sorted((package / "_speedups").glob("*.pyi"))
    if not stubs:
        raise SystemExit("no kernel stubs (.pyi) in the installed fastcore._speedups")
    for stub in stubs:
        module = importlib.import_module(f"fastcore._speedups.{stub.stem}")
        if not (module.__file__ or "").endswith(".so"):
            raise SystemExit(f"fastcore._speedups.{stub.stem} is not compiled: {module.__file__}")
        print(f"kernel {stub.stem}: {Path(module.__file__ or '').name}")


def tiny_app() -> App:
    """An app with a static and a typed dynamic route (the radix router's two halves)."""
    app = App()

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"python": sys.version.split()[0]}

    @app.get("/squares/{n:int}")
    async def square(n: int) -> dict[str, int]:
        return {"square": n * n}

    return app


async def get(port: int, path: str) -> tuple[bytes, bytes]:
    """Send one GET over a real socket; return the status line and the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    response = await reader.read()  # the server closes after answering
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body


async def serve_one_request() -> None:
    """Start the bundled server on port 0 and check two answers."""
    server = Server(tiny_app(), "127.0.0.1", 0)
    await server.start()
    try:
        status, body = await asyncio.wait_for(get(server.port, "/squares/12"), 10)
        if status != b"HTTP/1.1 200 OK" or body != b'{"square":144}':
            raise SystemExit(f"unexpected answer from the bundled server: {status!r} {body!r}")
        status, _ = await asyncio.wait_for(get(server.port, "/"), 10)
        if status != b"HTTP/1.1 200 OK":
            raise SystemExit(f"unexpected answer from the bundled server: {status!r}")
        print(f"served GET /squares/12 on port {server.port}: {status.decode()} {body.decode()}")
    finally:
        server.request_shutdown()
        await asyncio.wait_for(server.serve_forever(), 10)


def main() -> None:
    """Run every check; the process exits non-zero on the first failure."""
    check_kernels(check_installed_package())
    import uvloop

    uvloop.run(serve_one_request())
    print("wheel smoke test passed")


if __name__ == "__main__":
    main()
