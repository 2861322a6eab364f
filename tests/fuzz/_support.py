"""Shared plumbing of the atheris fuzz targets (see docs/fuzzing.md).

Every target is a module of this package with a ``one_input(data: bytes)``
function and a ``__main__`` block calling :func:`main`. Run one from the
repository root, with libFuzzer's usual arguments::

    python -m tests.fuzz.http_parser -max_total_time=60 /tmp/new tests/fuzz/corpus/http_parser

Outside a fuzzing run (the smoke test replays the corpora through
``one_input``) atheris is not needed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
# The libFuzzer dictionary of each target that has one.
DICTIONARIES = {
    "http_parser": HERE / "dicts" / "http.dict",
    "http_differential": HERE / "dicts" / "http.dict",
    "templates": HERE / "dicts" / "templates.dict",
    "websocket_frames": HERE / "dicts" / "websocket.dict",
}


def fuzzing() -> bool:
    """Whether this process runs a target as its main module (not a replay)."""
    return Path(sys.argv[0]).resolve().parent == Path(__file__).resolve().parent


@contextlib.contextmanager
def instrumented() -> Iterator[None]:
    """Instrument the fastcore modules imported inside (when fuzzing under atheris).

    Only Python bytecode is instrumented here; the compiled kernels give
    libFuzzer coverage only in the `make asan` build, through the coverage
    shim (see docs/fuzzing.md).
    ``FASTCORE_FUZZ_INSTRUMENT=0`` skips it (faster start, for the CI smoke).
    """
    if not fuzzing() or os.environ.get("FASTCORE_FUZZ_INSTRUMENT") == "0":
        yield
        return
    import atheris

    with atheris.instrument_imports(include=["fastcore"]):
        yield


def main(one_input: Callable[[bytes], None]) -> None:
    """Hand ``one_input`` to libFuzzer with the command line's arguments."""
    import atheris

    # The target's own checks are instrumented too: their branches (which
    # event, which refusal) are coverage libFuzzer can steer by.
    module = sys.modules[one_input.__module__]
    # PERF: under `make asan` the kernels' block coverage steers, and the
    # instrumented checks cost half to two thirds of an execution there
    # (docs/fuzzing.md, "Speed under ASan"): they are instrumented only on
    # the normal build, where they are the only coverage of a kernel target.
    # FASTCORE_FUZZ_INSTRUMENT_TARGET=1 or 0 says so either way.
    setting = os.environ.get("FASTCORE_FUZZ_INSTRUMENT_TARGET")
    if setting == "1" or (setting is None and not _kernel_coverage()):
        for value in list(vars(module).values()):
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                atheris.instrument_func(value)
    argv = list(sys.argv)
    dictionary = DICTIONARIES.get(Path(argv[0]).stem)
    # libFuzzer re-runs its own command line through the shell for
    # -minimize_crash, -fork and -jobs: make that line run this module again.
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if spec is not None:
        argv[0] = f"{sys.executable} -m {spec.name}"
    if dictionary is not None and not any(arg.startswith("-dict=") for arg in argv):
        argv.insert(1, f"-dict={dictionary}")
    atheris.Setup(argv, _with_kernel_coverage(one_input))
    if os.environ.get("FASTCORE_FUZZ_GC_FREEZE") != "0":
        # Everything imported and built so far lives until exit: out of the
        # collector's way, its full collections stop walking it on every
        # few thousand inputs (slow under ASan). 0 turns it off, to measure.
        gc.freeze()
    atheris.Fuzz()


def _kernel_coverage() -> bool:
    """Whether the coverage shim of `make asan` is preloaded (the kernels' counters)."""
    return getattr(ctypes.CDLL(None), "fastcore_fuzzcov_register", None) is not None


def _with_kernel_coverage(one_input: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """Hand libFuzzer the kernels' block counters when the coverage shim is preloaded.

    Under `make asan` the shim (tests/fuzz/native/coverage_shim.c) is
    preloaded; atheris loads its libFuzzer only inside ``Fuzz()``, so the
    counters are registered on the first input.
    """
    register = getattr(ctypes.CDLL(None), "fastcore_fuzzcov_register", None)
    if register is None:
        return one_input
    registered = False

    def first_registers(data: bytes) -> None:
        nonlocal registered
        if not registered:
            registered = True
            if register() != 0:
                raise RuntimeError("the coverage shim could not find atheris's libFuzzer")
        one_input(data)

    return first_registers
