"""Line coverage of the kernels' .pyx sources reached by the fuzz corpora.

Builds the kernels with gcc's ``--coverage`` into ``build/fuzzcov/`` (beside
the sources, never over the in-place .so files), replays every corpus file
through its target's ``one_input`` there, runs gcov on the generated C, and
maps each executed C line back to the .pyx line Cython generated it from
(the ``/* "file.pyx":N`` comments of the C). Run from the repository root::

    python bench/fuzz_coverage.py                      # the committed seed corpora
    python bench/fuzz_coverage.py --campaign           # and the campaign's (fuzz_campaign.py)
    python bench/fuzz_coverage.py --corpus DIR         # and DIR/<target>/ corpora

A .pyx line counts as coverable when C code of its own executes or could;
lines of declarations alone (cdef class fields, imports) are not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "fuzzcov"
TEMP = ROOT / "build" / "fuzzcov-temp"
SEEDS = ROOT / "tests" / "fuzz" / "corpus"
SOURCES = ROOT / "ext" / "fastcore" / "_speedups"
KERNELS = (
    "http_parser",
    "protocol",
    "response_writer",
    "router",
    "security_gate",
    "template_filters",
    "template_runtime",
    "websocket_frames",
    "websocket_protocol",
)
MARKER = re.compile(r'/\* "(fastcore/_speedups/[\w]+\.pyx)":(\d+)')
REPLAY = """
import sys
from pathlib import Path
from importlib import import_module
for target, directory in zip(sys.argv[1::2], sys.argv[2::2]):
    one_input = import_module(f"tests.fuzz.{target}").one_input
    for path in sorted(Path(directory).iterdir()):
        try:
            one_input(path.read_bytes())
        except Exception:
            pass
"""


def build() -> None:
    """Build the --coverage kernels into build/fuzzcov/ (a symlinked tree like make asan)."""
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.rmtree(TEMP, ignore_errors=True)
    BUILD.mkdir(parents=True)
    subprocess.run(["cp", "-rs", str(ROOT / "fastcore"), str(BUILD)], check=True)
    for path in list(BUILD.rglob("*.so")) + list(BUILD.rglob("__pycache__")):
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path)
    (BUILD / "tests").symlink_to(ROOT / "tests")
    env = {**os.environ, "CC": "gcc", "CFLAGS": "--coverage -O0", "LDFLAGS": "--coverage"}
    command = [sys.executable, "setup.py", "build_ext", "--build-lib", str(BUILD)]
    command += ["--build-temp", str(TEMP), "--force"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def replay(corpus: Path, targets: list[str]) -> None:
    for gcda in TEMP.rglob("*.gcda"):
        gcda.unlink()
    args = []
    for target in targets:
        for directory in dict.fromkeys((SEEDS / target, corpus / target)):
            if directory.is_dir():
                args += [target, str(directory)]
    env = {**os.environ, "PYTHONPATH": str(BUILD)}
    subprocess.run([sys.executable, "-c", REPLAY, *args], cwd=BUILD, env=env, check=True)


def pyx_lines(kernel: str) -> tuple[set[int], set[int]]:
    """The coverable and the covered lines of one kernel's .pyx."""
    objects = TEMP / "ext" / "fastcore" / "_speedups"
    c_file = SOURCES / f"{kernel}.c"
    # gcov finds the C source by the relative path it was compiled with: run it
    # from the root, and read its report on stdout (-t), the .c file's part only.
    report = subprocess.run(
        ["gcov", "-t", "-o", str(objects), str(c_file.relative_to(ROOT))],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        errors="replace",
    ).stdout
    counts: dict[int, int] = {}
    in_c_file = False
    for line in report.splitlines():
        count, _, rest = line.partition(":")
        number, _, source = rest.partition(":")
        count = count.strip()
        if number.strip() == "0" and source.startswith("Source:"):
            in_c_file = source.endswith(f"{kernel}.c")
            continue
        if not in_c_file or count == "-" or not number.strip().isdigit():
            continue
        executed = 0 if count.startswith(("#", "=")) else int(count.rstrip("*"))
        counts[int(number)] = executed
    coverable: set[int] = set()
    covered: set[int] = set()
    wanted = f"fastcore/_speedups/{kernel}.pyx"
    current: int | None = None
    for number, text in enumerate(c_file.read_text().splitlines(), start=1):
        marker = MARKER.search(text)
        if marker:
            current = int(marker.group(2)) if marker.group(1) == wanted else None
            continue
        if current is None or number not in counts:
            continue
        coverable.add(current)
        if counts[number]:
            covered.add(current)
    return coverable, covered


def record(figures: dict[str, dict[str, object]], corpora: str) -> None:
    """Keep the figures in the committed ledger, with each kernel's source hash."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fuzz_campaign import RepoLedger, _hash_files

    for kernel, entry in figures.items():
        entry["sources"] = _hash_files([f"ext/fastcore/_speedups/{kernel}.pyx"])

    def change(data: dict[str, object]) -> None:
        data["line_coverage"] = {
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "corpora": corpora,
            "kernels": figures,
        }

    RepoLedger().update(change)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="", help="directory of per-target corpora to add")
    parser.add_argument(
        "--campaign",
        action="store_true",
        help="add the corpora of bench/fuzz_campaign.py ($FASTCORE_FUZZ_HOME/corpus)",
    )
    parser.add_argument("--no-build", action="store_true", help="reuse build/fuzzcov/")
    parser.add_argument("--show-missed", default="", help="print the missed lines of a kernel")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the figures into the committed ledger (tests/fuzz/ledger.json)",
    )
    args = parser.parse_args()
    if not args.no_build or not BUILD.is_dir():
        build()
    targets = sorted(path.name for path in SEEDS.iterdir() if path.is_dir())
    if args.campaign:
        home = os.environ.get("FASTCORE_FUZZ_HOME", "~/.cache/fastcore-fuzz")
        args.corpus = str(Path(home).expanduser() / "corpus")
    replay(Path(args.corpus).resolve() if args.corpus else SEEDS, targets)
    print(f"{'kernel':<22} {'lines':>6} {'covered':>8} {'%':>6}")
    missed: dict[str, list[int]] = defaultdict(list)
    figures: dict[str, dict[str, object]] = {}
    for kernel in KERNELS:
        coverable, covered = pyx_lines(kernel)
        share = 100 * len(covered) / len(coverable) if coverable else 0.0
        print(f"{kernel + '.pyx':<22} {len(coverable):>6} {len(covered):>8} {share:>5.1f}%")
        missed[kernel] = sorted(coverable - covered)
        figures[kernel] = {"lines": len(coverable), "covered": len(covered)}
    if args.record:
        record(figures, "seed corpora" + (f" and {args.corpus}" if args.corpus else ""))
    if args.show_missed:
        print(f"missed in {args.show_missed}.pyx:", missed[args.show_missed])
    return 0


if __name__ == "__main__":
    sys.exit(main())
