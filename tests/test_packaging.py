"""The package builds as an sdist and manylinux wheels that install without a compiler.

The sdist and the wheels come from .ci/build_wheels.py, as `make wheels` makes
them: ``python -m build`` (in an isolated environment that brings Cython, so
these tests need no Cython here), each wheel from the sdist with the target
CPython, repaired by auditwheel. Built once per source digest, in a cache in
the system's temporary folder; the builds run in parallel.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

import fastcore

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / ".ci" / "build_wheels.py"
SMOKE_SCRIPT = ROOT / ".ci" / "wheel_smoke.py"
# Every compiled kernel ships a stub beside it (STYLE.md, section 7).
KERNELS = sorted(path.stem for path in (ROOT / "fastcore" / "_speedups").glob("*.pyi"))
SUPPORTED = ("3.11", "3.12", "3.13")


def package_data_in_the_source_tree() -> list[str]:
    """The files pyproject.toml declares as package data, as paths inside the wheel."""
    package = ROOT / "fastcore"
    found = [package / "py.typed", package / "auth" / "common-passwords.txt.gz"]
    found += sorted((package / "_speedups").glob("*.pyi"))
    found += sorted(
        path
        for path in package.rglob("*")
        if path.is_file() and {"templates", "static"} & set(path.relative_to(package).parts)
    )
    # `fastcore new`: the whole project skeleton, dot-files and Python templates included.
    found += sorted((package / "scaffold" / "project_template").rglob("*-tpl"))
    return [path.relative_to(ROOT).as_posix() for path in found]


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """Build (or reuse) the sdist and the wheel of every supported CPython found here."""
    out = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--print-dir"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", out],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = {item["version"]: item for item in json.loads((Path(out) / "built.json").read_text())}
    [sdist] = (Path(out) / "sdist").glob("fastcore_web-*.tar.gz")
    return {"sdist": sdist, "wheels": wheels}


def a_wheel(built: dict[str, Any]) -> Path:
    """A wheel of this interpreter's version if one was built, else any."""
    wheels = [item for item in built["wheels"].values() if item["wheel"]]
    if not wheels:
        pytest.skip("no supported CPython (3.11-3.13) here to build a wheel with")
    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    wheels.sort(key=lambda item: item["version"] != mine)
    return Path(wheels[0]["wheel"])


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_are_compiled_extension_modules(kernel: str) -> None:
    module = __import__(f"fastcore._speedups.{kernel}", fromlist=["_"])
    assert module.__file__ is not None
    assert module.__file__.endswith(".so"), f"{kernel} is not a compiled module"


def test_public_classes_come_from_the_compiled_kernels() -> None:
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.requests import Request

    assert Request.__mro__[1] is RequestHead
    assert RequestHead.__module__ == "fastcore._speedups.http_parser"
    app = fastcore.App()
    app.add_route("/", lambda: "x")
    app.build_dispatch()
    tree = app.router._tree  # the frozen router's compiled tree
    assert type(tree).__module__ == "fastcore._speedups.router"


@pytest.mark.slow
def test_the_sdist_ships_the_cython_sources_not_the_generated_c(built: dict[str, Any]) -> None:
    with tarfile.open(built["sdist"]) as archive:
        names = archive.getnames()
    sources = [name for name in names if "/ext/fastcore/_speedups/" in name]
    for kernel in KERNELS:
        assert any(name.endswith(f"/{kernel}.pyx") for name in sources), kernel
    assert any(name.endswith(".pxd") for name in sources)
    assert not any(name.endswith(".c") for name in sources)  # generated, not shipped


@pytest.mark.slow
def test_the_wheel_is_manylinux_and_ships_the_package_data(built: dict[str, Any]) -> None:
    wheel = a_wheel(built)
    # auditwheel retagged it: linux_x86_64 wheels are refused by the package index.
    assert re.search(r"[-.]manylinux_2_\d+_\w+\.whl$", wheel.name), wheel.name
    with zipfile.ZipFile(wheel) as archive:
        shipped = {info.filename: info.file_size for info in archive.infolist()}
    missing = [name for name in package_data_in_the_source_tree() if name not in shipped]
    assert not missing, f"package data left out of the wheel: {missing}"
    assert shipped["fastcore/auth/common-passwords.txt.gz"] > 10_000
    assert {
        "fastcore/auth/templates/auth/login.html",
        "fastcore/auth/templates/auth/password_reset_email.txt",
    } <= shipped.keys()
    for kernel in KERNELS:
        assert any(
            re.fullmatch(rf"fastcore/_speedups/{kernel}\.cpython-.*\.so", n) for n in shipped
        )
    assert not any(name.endswith(".c") for name in shipped)  # generated C stays out
    assert not any(name.startswith("fastcore_web.libs/") for name in shipped)  # nothing grafted


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED)
def test_the_wheel_installs_without_a_compiler_and_serves(
    built: dict[str, Any], version: str, tmp_path: Path
) -> None:
    item = built["wheels"][version]
    if item["wheel"] is None:
        pytest.skip(f"CPython {version}: {item['reason']} (e.g. `pyenv install {version}`)")
    env_dir = tmp_path / "venv"
    subprocess.run([item["python"], "-m", "venv", str(env_dir)], check=True, timeout=300)
    python = env_dir / "bin" / "python"
    # No compiler: a dependency or fastcore itself built from source would fail
    # here. Pure-Python sdists among the dependencies still install.
    no_compiler = {**os.environ, "CC": "false", "CXX": "false"}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--prefer-binary", item["wheel"]],
        capture_output=True,
        text=True,
        env=no_compiler,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    no_cython = subprocess.run([str(python), "-c", "import Cython"], capture_output=True)
    assert no_cython.returncode != 0, "Cython is in the fresh venv: the wheel test proves nothing"
    smoke = subprocess.run(
        [str(python), str(SMOKE_SCRIPT)],
        cwd=tmp_path,  # not the source tree: the installed package must be the one imported
        capture_output=True,
        text=True,
        env=no_compiler,
        timeout=120,
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    for kernel in KERNELS:
        assert f"kernel {kernel}: {kernel}.cpython-{version.replace('.', '')}-" in smoke.stdout
    assert "HTTP/1.1 200 OK" in smoke.stdout
    assert f"fastcore {fastcore.__version__} from {env_dir}" in smoke.stdout


def test_the_supported_versions_agree_everywhere() -> None:
    # The classifiers, requires-python, the local build script and the hosted
    # CI's build list name the same CPython versions: what the tests above run.
    project = pyproject()["project"]
    classified = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert tuple(classified) == SUPPORTED
    assert project["requires-python"] == f">={SUPPORTED[0]}"
    assert runpy.run_path(str(BUILD_SCRIPT))["SUPPORTED"] == SUPPORTED
    identifiers = subprocess.run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", "linux"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    expected = [
        f"cp{v.replace('.', '')}-manylinux_{arch}"
        for arch in ("x86_64", "aarch64")
        for v in SUPPORTED
    ]
    assert sorted(identifiers) == sorted(expected)


def test_a_missing_interpreter_is_reported_not_fatal(tmp_path: Path) -> None:
    # An empty pyenv root and a PATH without pythonX.Y: the build script says
    # which version it skipped and why, and builds nothing.
    env = {**os.environ, "PYENV_ROOT": str(tmp_path / "pyenv"), "PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(tmp_path / "out"), "--python", "3.12"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "CPython 3.12: skipped (no CPython 3.12 on PATH or in pyenv)" in result.stdout
    assert not (tmp_path / "out" / "sdist").exists()  # nothing to build, no sdist either
