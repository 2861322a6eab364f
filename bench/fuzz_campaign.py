"""Run the fuzz targets for a given number of executions, under ASan by default.

Not run by CI (tests/fuzz/test_fuzz_smoke.py is the CI smoke). Build the
sanitized kernels first with ``make asan``; then, from the repository root::

    python bench/fuzz_campaign.py --runs 1000000            # every target
    python bench/fuzz_campaign.py --runs 200000 --targets http_parser,router --jobs 2
    python bench/fuzz_campaign.py --runs 50000 --no-asan    # the normal build

Each target keeps a growing corpus in ``<out>/corpus/<target>`` (seeded from
``tests/fuzz/corpus``), so campaigns resume. The report gives, per target,
the executions, the time, libFuzzer's coverage (``cov``: blocks and Python
branches; ``ft``: features) and the corpus size, and for a crash, a
sanitizer report or a failed check the artifact and its minimized reproducer.
docs/fuzzing.md tells how to replay one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fuzz" / "corpus"
ASAN_DIR = ROOT / "build" / "asan"
TARGETS = sorted(path.name for path in SEEDS.iterdir() if path.is_dir())

STATUS = re.compile(r"^#(\d+)\s+\w+\s+(?:cov: (\d+) ft: (\d+) )?corp: (\d+)/", re.MULTILINE)
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)", re.MULTILINE)
ARTIFACT = re.compile(r"Test unit written to (\S+)")
SANITIZER = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")


@dataclass
class Result:
    target: str
    executions: int = 0
    seconds: float = 0.0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    exit_code: int = 0
    crash: str | None = None
    minimized: str | None = None
    sanitizer_report: bool = False
    log: str = ""
    notes: list[str] = field(default_factory=list)


def environment(asan: bool) -> tuple[dict[str, str], Path]:
    """The environment and working directory of a target run."""
    env = {**os.environ, "PYTHONPATH": str(ASAN_DIR if asan else ROOT)}
    if not asan:
        return env, ROOT
    libasan = subprocess.run(
        ["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    shim = ASAN_DIR / "libfastcore_fuzzcov.so"
    if not shim.is_file() or not Path(libasan).is_file():
        sys.exit("the ASan build is missing: run `make asan` first (or pass --no-asan)")
    env.update(
        # The shim goes first: see tests/fuzz/native/coverage_shim.c.
        LD_PRELOAD=f"{shim} {libasan}",
        # Every Python allocation through malloc, so ASan guards object buffers too.
        PYTHONMALLOC="malloc",
        ASAN_OPTIONS=":".join(
            [
                "detect_leaks=0",  # CPython keeps memory until exit on purpose
                "verify_asan_link_order=0",  # the shim is preloaded before libasan
                "allocator_may_return_null=1",
                "quarantine_size_mb=32",
                "malloc_context_size=10",
                "handle_abort=1",
                # gcc's runtimes cannot tell libFuzzer of a report (atheris finds
                # no __sanitizer_set_death_callback): abort, so libFuzzer's
                # SIGABRT handler writes the crashing input.
                "abort_on_error=1",
            ]
        ),
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1",
    )
    probe = subprocess.run(
        [sys.executable, "-c", "import fastcore._speedups.http_parser as m; print(m.__file__)"],
        cwd=ASAN_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if not probe.stdout.strip().startswith(str(ASAN_DIR)):
        sys.exit(f"the ASan build does not load: {probe.stdout}{probe.stderr[-2000:]}")
    return env, ASAN_DIR


def run_target(target: str, args: argparse.Namespace) -> Result:
    result = Result(target)
    out = Path(args.out).resolve()
    corpus = out / "corpus" / target
    artifacts = out / "artifacts" / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = out / "logs" / f"{target}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env, cwd = environment(not args.no_asan)
    command = [
        sys.executable,
        "-m",
        f"tests.fuzz.{target}",
        f"-runs={args.runs}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-max_len={args.max_len}",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        str(SEEDS / target),
    ]
    if args.max_time:
        command.insert(4, f"-max_total_time={args.max_time}")
    started = time.monotonic()
    with log_path.open("wb") as log:
        completed = subprocess.run(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    result.seconds = round(time.monotonic() - started, 1)
    result.exit_code = completed.returncode
    result.log = str(log_path)
    text = log_path.read_text(errors="replace")
    statuses = STATUS.findall(text)
    if statuses:
        last = statuses[-1]
        result.executions = int(last[0])
        result.cov, result.ft = int(last[1] or 0), int(last[2] or 0)
    executed = EXECUTED.search(text)
    if executed:
        result.executions = int(executed.group(1))
    result.corpus = sum(1 for _ in corpus.iterdir())
    result.sanitizer_report = bool(SANITIZER.search(text))
    artifact = ARTIFACT.search(text)
    if artifact:
        result.crash = artifact.group(1)
        result.minimized = minimize(target, Path(result.crash), env, cwd, args)
    elif completed.returncode != 0:
        result.notes.append(f"exited with {completed.returncode} without an artifact")
    return result


def minimize(
    target: str, crash: Path, env: dict[str, str], cwd: Path, args: argparse.Namespace
) -> str:
    """Shrink a crashing input with libFuzzer's -minimize_crash; return its path."""
    minimized = crash.with_name(crash.name + ".min")
    command = [
        sys.executable,
        "-m",
        f"tests.fuzz.{target}",
        "-minimize_crash=1",
        f"-runs={args.minimize_runs}",
        f"-timeout={args.timeout}",
        f"-exact_artifact_path={minimized}",
        str(crash),
    ]
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=args.minimize_seconds)
    return str(minimized) if minimized.is_file() else str(crash)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target")
    parser.add_argument("--max-time", type=int, default=0, help="seconds per target (0: none)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--jobs", type=int, default=1, help="targets run side by side")
    parser.add_argument("--no-asan", action="store_true", help="use the normal in-place build")
    parser.add_argument("--out", default=str(ROOT / "build" / "fuzz"), help="corpora, logs")
    parser.add_argument("--timeout", type=int, default=20, help="seconds per input")
    parser.add_argument("--rss-limit-mb", type=int, default=4096)
    parser.add_argument("--max-len", type=int, default=4096)
    parser.add_argument("--minimize-runs", type=int, default=20_000)
    parser.add_argument("--minimize-seconds", type=int, default=300)
    args = parser.parse_args()
    targets = [name for name in args.targets.split(",") if name]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))} (known: {', '.join(TARGETS)})")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda target: run_target(target, args), targets))
    print(f"{'target':<18} {'executions':>11} {'seconds':>8} {'exec/s':>7} {'cov':>6} {'ft':>7} "
          f"{'corpus':>6}  result")  # fmt: skip
    for r in results:
        rate = int(r.executions / r.seconds) if r.seconds else 0
        if r.crash:
            outcome = f"CRASH{' (sanitizer)' if r.sanitizer_report else ''}: {r.minimized}"
        elif r.exit_code != 0 or r.sanitizer_report:
            outcome = f"FAILED (exit {r.exit_code}), see {r.log}"
        else:
            outcome = "ok"
        print(f"{r.target:<18} {r.executions:>11} {r.seconds:>8} {rate:>7} {r.cov:>6} {r.ft:>7} "
              f"{r.corpus:>6}  {outcome}")  # fmt: skip
    summary = Path(args.out) / "summary.json"
    summary.write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(f"summary: {summary}")
    failed = any(r.crash or r.exit_code != 0 or r.sanitizer_report for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
