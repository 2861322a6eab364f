"""The package builds as a wheel whose compiled kernels import, and they are in use.

The wheel is built the way pip builds it (PEP 517, in an isolated environment
that brings the build requirements), so these tests need no Cython in the
environment that runs them.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import fastcore

KERNELS = [
    "http_parser",
    "response_writer",
    "protocol",
    "router",
    "template_runtime",
    "security_gate",
]
ROOT = Path(__file__).resolve().parent.parent


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
def test_sdist_and_wheel_build_install_and_import_in_a_fresh_venv(tmp_path: Path) -> None:
    # `python -m build` makes the sdist, then the wheel from that sdist (as
    # pip does for `pip install fastcore-web` where no wheel fits).
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [sdist] = dist.glob("fastcore_web-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    sources = [name for name in names if "/ext/fastcore/_speedups/" in name]
    for kernel in KERNELS:
        assert any(name.endswith(f"/{kernel}.pyx") for name in sources), kernel
    assert any(name.endswith(".pxd") for name in sources)
    assert not any(name.endswith(".c") for name in sources)  # generated, not shipped
    wheels = list(dist.glob("fastcore_web-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        shipped = {info.filename: info.file_size for info in wheel.infolist()}
    missing = [name for name in package_data_in_the_source_tree() if name not in shipped]
    assert not missing, f"package data left out of the wheel: {missing}"
    assert shipped["fastcore/auth/common-passwords.txt.gz"] > 10_000
    assert {
        "fastcore/auth/templates/auth/login.html",
        "fastcore/auth/templates/auth/password_reset_email.txt",
    } <= shipped.keys()
    assert not any(name.endswith(".c") for name in shipped)  # generated C stays out
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
        timeout=600,
    )
    imports = "; ".join(f"import fastcore._speedups.{kernel}" for kernel in KERNELS)
    check = f"{imports}; import fastcore; print(fastcore.__version__)"
    result = subprocess.run(
        [str(python), "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == fastcore.__version__
