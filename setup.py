"""Build the compiled kernels: the explicit extension list, cythonized from ext/."""

from __future__ import annotations

import os

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError as exc:  # pragma: no cover - a build without Cython must fail loudly
    raise SystemExit(
        "fastcore needs Cython>=3.1 to build its compiled core; "
        "install it with `pip install 'Cython>=3.1,<4'` (no pure-Python fallback exists)."
    ) from exc

# One extension module per .pyx, mirroring the import path (see STYLE.md, section 2).
KERNELS = [
    "http_parser",
    "response_writer",
    "protocol",
    "router",
    "template_runtime",
    "template_filters",
    "security_gate",
    "websocket_frames",
    "websocket_protocol",
]

# FASTCORE_EXTENSIONS=router,http_parser builds a subset (development only).
selected = [name for name in os.environ.get("FASTCORE_EXTENSIONS", "").split(",") if name]
debug = os.environ.get("FASTCORE_DEBUG") == "1"

extensions = [
    Extension(
        f"fastcore._speedups.{name}",
        [f"ext/fastcore/_speedups/{name}.pyx"],
        extra_compile_args=["-O2"] if not debug else ["-O0", "-g"],
        define_macros=[("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")] if debug else [],
    )
    for name in KERNELS
    if not selected or name in selected
]

directives = {"language_level": 3, "embedsignature": True, "binding": True}
# Both steps run one job per core: pip builds the kernels twice on a fresh machine
# (the README's two commands), and the C compile dominates a newcomer's wait.
jobs = os.cpu_count() or 1
if debug:
    directives["linetrace"] = True

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["ext"],
        compiler_directives=directives,
        annotate=os.environ.get("FASTCORE_ANNOTATE") == "1",
        nthreads=jobs if jobs > 1 else 0,
    ),
    options={"build_ext": {"parallel": jobs}},
)
