"""Run the fuzz targets for a given number of executions, under ASan by default.

Not run by CI (tests/fuzz/test_fuzz_smoke.py is the CI smoke). Build the
sanitized kernels first with ``make asan``; then, from the repository root::

    python bench/fuzz_campaign.py --runs 1000000            # every target
    python bench/fuzz_campaign.py --runs 200000 --targets http_parser,router --jobs 2
    nice -n 19 python bench/fuzz_campaign.py --until 22:00 --jobs 2   # slices until 22:00 UTC
    python bench/fuzz_campaign.py --totals                  # the committed ledger
    python bench/fuzz_campaign.py --fold ~/.cache/fastcore-fuzz   # add another home's runs
    python bench/fuzz_campaign.py --runs 50000 --no-asan    # the normal build

A campaign's corpora, artifacts, logs and its own ``ledger.json`` live in
``--home`` (``$FASTCORE_FUZZ_HOME``, by default ``~/.cache/fastcore-fuzz``;
corpus per target in ``corpus/<target>``, seeded from ``tests/fuzz/corpus``).
What counts towards the goal is committed: after every run the home's
ledger is folded into ``tests/fuzz/ledger.json`` (``--ledger``), the
cumulative executions, CPU and wall seconds per target under ASan, which
start again from zero when the target's kernel sources or its module change
(their ``git hash-object``). The report gives, per run and target, the
executions, the time, libFuzzer's coverage (``cov``: blocks and Python
branches; ``ft``: features) and the corpus size, for a crash, a sanitizer
report or a failed check the artifact, its minimized reproducer and the
Python traceback of its replay on the normal build, and then the totals
against the 10-million goal. docs/fuzzing.md tells how to replay a crash.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fuzz" / "corpus"
ASAN_DIR = ROOT / "build" / "asan"
DEFAULT_HOME = Path.home() / ".cache" / "fastcore-fuzz"
TARGETS = sorted(path.name for path in SEEDS.iterdir() if path.is_dir())

STATUS = re.compile(r"^#(\d+)\s+\w+\s+(?:cov: (\d+) ft: (\d+) )?corp: (\d+)/", re.MULTILINE)
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)", re.MULTILINE)
ARTIFACT = re.compile(r"Test unit written to (\S+)")
# libFuzzer also writes an input that ran longer than -report_slow_units (10 s)
# and goes on: on a loaded machine that is the machine, not a finding.
SLOW_UNIT = "slow-unit-"
SANITIZER = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")


@dataclass
class Result:
    target: str
    executions: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    exit_code: int = 0
    crash: str | None = None
    minimized: str | None = None
    sanitizer_report: bool = False
    # The crash replayed on the normal build: the Python traceback, which the
    # ASan run cannot print (with libasan preloaded, a raised exception ends
    # in "CHECK failed: ... real___cxa_throw" instead).
    replay: str = ""
    log: str = ""
    notes: list[str] = field(default_factory=list)


# ASAN_OPTIONS every sanitized profile shares: they decide what is detected
# and how a report reaches libFuzzer, not the speed.
ASAN_BASE = [
    "detect_leaks=0",  # CPython keeps memory until exit on purpose; see --leak-check
    "verify_asan_link_order=0",  # the shim is preloaded before libasan
    "allocator_may_return_null=1",
    "quarantine_size_mb=32",
    "handle_abort=1",
    # gcc's runtimes cannot tell libFuzzer of a report (atheris finds no
    # __sanitizer_set_death_callback): abort, so libFuzzer's SIGABRT handler
    # writes the crashing input.
    "abort_on_error=1",
]
# Sanitizer settings by name (docs/fuzzing.md, "Speed", has the measurements).
# ``pythonmalloc`` None leaves pymalloc on; ``asan`` False runs the normal build.
PROFILES: dict[str, dict[str, object]] = {
    # What campaigns used first: every malloc and free records a 10-frame
    # stack, and each new block is filled with 0xbe up to 4 KiB.
    "thorough": {"asan": True, "pythonmalloc": "malloc", "options": ["malloc_context_size=10"]},
    # The same checks, cheaper: no allocation and free stacks (a report still
    # names the bad access and its own stack; replay the input with the
    # thorough profile to see where the block came from and went) and no
    # fill of new blocks (ASan never reported on their contents anyway).
    "fast": {
        "asan": True,
        "pythonmalloc": "malloc",
        "options": ["malloc_context_size=0", "max_malloc_fill_size=0"],
    },
    # For comparison only: pymalloc hides overflows of small object buffers
    # (what the kernels read and write) inside its arenas.
    "pymalloc": {
        "asan": True,
        "pythonmalloc": None,
        "options": ["malloc_context_size=0", "max_malloc_fill_size=0"],
    },
    "normal": {"asan": False},
}


def environment(profile: str) -> tuple[dict[str, str], Path]:
    """The environment and working directory of a target run under ``profile``."""
    settings = PROFILES[profile]
    env = {**os.environ, "PYTHONPATH": str(ASAN_DIR if settings["asan"] else ROOT)}
    env.pop("PYTHONMALLOC", None)
    if not settings["asan"]:
        return env, ROOT
    libasan = subprocess.run(
        ["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True, check=True
    ).stdout.strip()
    shim = ASAN_DIR / "libfastcore_fuzzcov.so"
    if not shim.is_file() or not Path(libasan).is_file():
        sys.exit("the ASan build is missing: run `make asan` first (or pass --no-asan)")
    # The shim goes first: see tests/fuzz/native/coverage_shim.c.
    env["LD_PRELOAD"] = f"{shim} {libasan}"
    if settings["pythonmalloc"]:
        # Every Python allocation through malloc, so ASan guards object buffers too.
        env["PYTHONMALLOC"] = str(settings["pythonmalloc"])
    options = settings["options"]
    assert isinstance(options, list)
    env["ASAN_OPTIONS"] = ":".join(ASAN_BASE + options)
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:abort_on_error=1"
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


def executed_units(log: str) -> int:
    """Executions a libFuzzer log reports (final stats, else the last status line)."""
    executed = EXECUTED.search(log)
    if executed:
        return int(executed.group(1))
    statuses = STATUS.findall(log)
    return int(statuses[-1][0]) if statuses else 0


# The sources each target's executions count against: when one changes (or
# the target's own module), the target's total starts again from zero. The
# form parsers are Python.
KERNELS = {
    "form_parsers": [],
    "http_differential": ["http_parser"],
    "http_parser": ["http_parser"],
    "http_protocol": ["protocol", "http_parser", "response_writer", "router", "security_gate"],
    "response_writer": ["response_writer"],
    "router": ["router"],
    "templates": ["template_runtime", "template_filters"],
    "websocket_frames": ["websocket_frames"],
    "websocket_protocol": ["websocket_protocol", "websocket_frames", "protocol"],
}
KERNEL_SOURCES = {
    target: [f"ext/fastcore/_speedups/{k}.{ext}" for k in kernels for ext in ("pyx", "pxd")]
    for target, kernels in KERNELS.items()
}
KERNEL_SOURCES["form_parsers"] = ["fastcore/formparsers.py"]
GOAL = 10_000_000  # executions per target under ASan (issue 23)
COUNTED = ("fast", "thorough")  # profiles whose executions count towards GOAL
# The cumulative ledger, committed: what every campaign on every machine added.
REPO_LEDGER = ROOT / "tests" / "fuzz" / "ledger.json"


def _hash_files(paths: list[str]) -> str:
    present = [str(ROOT / path) for path in paths if (ROOT / path).is_file()]
    if not present:
        return "none"
    hashes = subprocess.run(
        ["git", "hash-object", "--", *present], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return hashlib.sha1(" ".join(hashes).encode()).hexdigest()[:12]


def kernel_hash(target: str) -> str:
    """``git hash-object`` of the target's kernel sources on disk, combined (first ledgers)."""
    return _hash_files(KERNEL_SOURCES.get(target, []))


def sources_hash(target: str) -> str:
    """The kernel sources and the target's own module (``tests/fuzz/<target>.py``), combined."""
    return _hash_files([*KERNEL_SOURCES.get(target, []), f"tests/fuzz/{target}.py"])


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


class Ledger:
    """Cumulative executions per target of one campaign home, in ``<home>/ledger.json``.

    A target's entry holds the hash of its sources (:func:`sources_hash`); when
    they change, the entry (executions, seconds, crashes) starts again. The
    committed ledger (:class:`RepoLedger`) adds up the home ledgers folded into it.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / "ledger.json"
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, object]] = (
            json.loads(self.path.read_text()) if self.path.is_file() else {}
        )

    def entry(self, target: str) -> dict[str, object]:
        digest = sources_hash(target)
        with self.lock:
            entry = self.entries.get(target)
            if entry is None or entry.get("sources") != digest:
                entry = {
                    "sources": digest,
                    "kernel": kernel_hash(target),
                    "executions": 0,
                    "seconds": 0.0,
                    "cpu_seconds": 0.0,
                    "profiles": {},
                    "crashes": [],
                }
                self.entries[target] = entry
            return entry

    def add(self, result: Result, profile: str) -> None:
        # Another campaign may have written since: re-read under a file lock.
        with (self.path.parent / "ledger.lock").open("w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            with self.lock:
                if self.path.is_file():
                    self.entries = json.loads(self.path.read_text())
            self._add(result, profile)

    def _add(self, result: Result, profile: str) -> None:
        entry = self.entry(result.target)
        with self.lock:
            if profile in COUNTED:
                entry["executions"] = int(entry["executions"]) + result.executions  # type: ignore[call-overload]
                entry["seconds"] = round(float(entry["seconds"]) + result.seconds, 1)  # type: ignore[arg-type]
                cpu = float(entry.get("cpu_seconds", 0.0)) + result.cpu_seconds  # type: ignore[arg-type]
                entry["cpu_seconds"] = round(cpu, 1)
                profiles = entry.setdefault("profiles", {})
                assert isinstance(profiles, dict)
                profiles[profile] = profiles.get(profile, 0) + result.executions
                entry.setdefault("first", _today())
                entry["last"] = _today()
                if result.cov or result.ft:
                    entry["coverage"] = {
                        "cov": result.cov,
                        "ft": result.ft,
                        "corpus": result.corpus,
                    }
            if result.crash or result.sanitizer_report or result.exit_code != 0:
                crashes = entry["crashes"]
                assert isinstance(crashes, list)
                crashes.append(result.minimized or result.log)
            self.save()

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries, indent=2, sort_keys=True))
        temporary.replace(self.path)


class RepoLedger:
    """The committed ledger (``tests/fuzz/ledger.json``): the sum of every home folded in.

    Per target: the executions, CPU and wall seconds under ASan for the
    current :func:`sources_hash`, by profile, the first and last dates, the
    crashes (none is the point), libFuzzer's last coverage and, under
    ``folded``, what each home ledger had when it was last folded, so folding
    the same home again adds only what it gained since. An entry whose hash
    is not the current sources' starts again from zero.
    """

    def __init__(self, path: Path = REPO_LEDGER) -> None:
        self.path = path

    def _read(self) -> dict[str, object]:
        if self.path.is_file() and self.path.stat().st_size:
            data = json.loads(self.path.read_text())
        else:
            data = {}
        data["goal"] = GOAL
        data.setdefault("targets", {})
        return data

    def _write(self, data: dict[str, object]) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        temporary.replace(self.path)

    def update(self, change: Callable[[dict[str, object]], None]) -> None:
        """Read, ``change`` and write the ledger under a lock (campaigns run side by side)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / f".{self.path.name}.lock").open("w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            data = self._read()
            change(data)
            self._write(data)

    def line_coverage(self) -> dict[str, object]:
        """What ``bench/fuzz_coverage.py --record`` last wrote (per kernel), or nothing."""
        coverage = self._read().get("line_coverage") or {}
        assert isinstance(coverage, dict)
        return coverage

    def entries(self) -> dict[str, dict[str, object]]:
        targets = self._read()["targets"]
        assert isinstance(targets, dict)
        return targets

    def fold(self, home_ledger: Path, home_id: str | None = None) -> list[str]:
        """Add what ``home_ledger`` gained since it was last folded; say what was done.

        Only entries of the current sources count: their :func:`sources_hash`
        or, for a ledger of the first campaigns (which hashed the kernel
        sources only), their :func:`kernel_hash`.
        """
        home = json.loads(home_ledger.read_text()) if home_ledger.is_file() else {}
        home_id = home_id or f"{socket.gethostname()}:{home_ledger.resolve().parent}"
        notes: list[str] = []

        def change(data: dict[str, object]) -> None:
            targets = data["targets"]
            assert isinstance(targets, dict)
            for target, theirs in sorted(home.items()):
                if target not in KERNELS or not isinstance(theirs, dict):
                    continue
                current = sources_hash(target)
                legacy = "kernel" not in theirs
                if theirs.get("sources") == current:
                    pass
                elif legacy and theirs.get("sources") == kernel_hash(target):
                    notes.append(f"{target}: an old-format entry, matched by its kernel sources")
                else:
                    notes.append(f"{target}: other sources ({theirs.get('sources')}), not folded")
                    continue
                entry = targets.get(target)
                if not isinstance(entry, dict) or entry.get("sources") != current:
                    entry = targets[target] = {
                        "sources": current,
                        "executions": 0,
                        "cpu_seconds": 0.0,
                        "seconds": 0.0,
                        "profiles": {},
                        "crashes": [],
                        "folded": {},
                    }
                before = entry["folded"].get(home_id, {})
                if int(theirs.get("executions", 0)) < int(before.get("executions", 0)):
                    before = {}  # that home started again (its sources went and came back)
                gained = {
                    key: float(theirs.get(key, 0) or 0) - float(before.get(key, 0) or 0)
                    for key in ("executions", "cpu_seconds", "seconds")
                }
                if gained["executions"] <= 0 and not theirs.get("crashes"):
                    continue
                entry["executions"] = int(entry["executions"] + gained["executions"])
                entry["cpu_seconds"] = round(entry["cpu_seconds"] + gained["cpu_seconds"], 1)
                entry["seconds"] = round(entry["seconds"] + gained["seconds"], 1)
                their_profiles = theirs.get("profiles") or {"fast": theirs.get("executions", 0)}
                before_profiles = before.get("profiles", {})
                for profile, count in their_profiles.items():
                    added = int(count) - int(before_profiles.get(profile, 0))
                    entry["profiles"][profile] = entry["profiles"].get(profile, 0) + added
                for crash in theirs.get("crashes", []):
                    if crash not in entry["crashes"]:
                        entry["crashes"].append(crash)
                entry.setdefault("first", theirs.get("first", _today()))
                entry["last"] = theirs.get("last", _today())
                if theirs.get("coverage"):
                    entry["coverage"] = theirs["coverage"]
                entry["folded"][home_id] = {
                    "executions": int(theirs.get("executions", 0)),
                    "cpu_seconds": float(theirs.get("cpu_seconds", 0) or 0),
                    "seconds": float(theirs.get("seconds", 0) or 0),
                    "profiles": dict(their_profiles),
                }
                notes.append(f"{target}: +{int(gained['executions'])} executions")

        self.update(change)
        return notes


def stale_build(targets: list[str]) -> list[str]:
    """Kernel sources newer than their ASan build (run `make asan` again)."""
    stale = []
    for target in targets:
        for source in KERNEL_SOURCES.get(target, []):
            path = ROOT / source
            if not source.endswith((".pyx", ".pxd")) or not path.is_file():
                continue
            built = list((ASAN_DIR / "fastcore" / "_speedups").glob(f"{path.stem}.*.so"))
            if not built or path.stat().st_mtime > built[0].stat().st_mtime:
                stale.append(source)
    return stale


def run_target(target: str, args: argparse.Namespace, seconds: int = 0) -> Result:
    """Fuzz one target once (``--runs`` executions, or ``seconds``) and read its log."""
    result = Result(target)
    home = Path(args.home)
    corpus = home / "corpus" / target
    artifacts = home / "artifacts" / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    log_path = home / "logs" / f"{target}-{stamp}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env, cwd = environment(args.profile)
    limit = f"-max_total_time={seconds}" if seconds else f"-runs={args.runs}"
    command = [
        sys.executable,
        "-m",
        f"tests.fuzz.{target}",
        limit,
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-max_len={args.max_len}",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        str(SEEDS / target),
    ]
    if args.max_time and not seconds:
        command.insert(4, f"-max_total_time={args.max_time}")
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        # CPU seconds too: on a shared machine the wall clock says little of the speed.
        _, status, usage = os.wait4(process.pid, 0)
    result.seconds = round(time.monotonic() - started, 1)
    result.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 1)
    result.exit_code = os.waitstatus_to_exitcode(status)
    result.log = str(log_path)
    text = log_path.read_text(errors="replace")
    statuses = STATUS.findall(text)
    if statuses:
        last = statuses[-1]
        result.cov, result.ft = int(last[1] or 0), int(last[2] or 0)
    result.executions = executed_units(text)
    result.corpus = sum(1 for _ in corpus.iterdir())
    result.sanitizer_report = bool(SANITIZER.search(text))
    artifacts_written = ARTIFACT.findall(text)
    slow = [path for path in artifacts_written if Path(path).name.startswith(SLOW_UNIT)]
    if slow:
        result.notes.append(f"slow inputs (not failures): {', '.join(slow)}")
    crashes = [path for path in artifacts_written if path not in slow]
    if crashes:
        result.crash = crashes[0]
        result.minimized = minimize(target, Path(result.crash), env, cwd, args)
        result.replay = replay_normal(target, Path(result.minimized), args)
    elif result.exit_code != 0:
        result.notes.append(f"exited with {result.exit_code} without an artifact")
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
    try:
        subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, timeout=args.minimize_seconds
        )
    except subprocess.TimeoutExpired:
        pass  # the unminimized input is still the reproducer
    return str(minimized) if minimized.is_file() else str(crash)


def replay_normal(target: str, artifact: Path, args: argparse.Namespace) -> str:
    """Run ``artifact`` once on the normal build; save and return the end of its output.

    Under ASan a failed check is an uncaught Python exception, which the
    preloaded libasan turns into an abort without the traceback; the normal
    build prints it (a memory error, seen only by ASan, replays clean here).
    """
    env, cwd = environment("normal")
    command = [sys.executable, "-m", f"tests.fuzz.{target}", str(artifact)]
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, errors="replace",
            timeout=args.minimize_seconds,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "the replay on the normal build timed out"
    output = done.stdout + done.stderr
    saved = artifact.with_name(artifact.name + ".replay.txt")
    saved.write_text(output)
    start = output.find("Traceback (most recent call last)")
    if start < 0:
        verdict = "passes" if done.returncode == 0 else f"exits with {done.returncode}"
        return f"on the normal build the input {verdict} (see {saved})"
    return output[start:].strip()


def deadline_of(until: str) -> float:
    """The epoch seconds of the next ``HH:MM`` UTC."""
    hours, minutes = (int(part) for part in until.split(":"))
    now = time.time()
    today = now - now % 86400 + hours * 3600 + minutes * 60
    return today if today > now else today + 86400


def _executions(entries: dict[str, dict[str, object]], target: str) -> int:
    """The committed executions of ``target``'s current sources."""
    entry = entries.get(target) or {}
    if entry.get("sources") != sources_hash(target):
        return 0
    return int(entry.get("executions", 0))  # type: ignore[call-overload]


def run_until(
    targets: list[str], args: argparse.Namespace, ledger: Ledger, repo: RepoLedger
) -> list[Result]:
    """Slices of ``--slice`` seconds, the target furthest from the goal first, until ``--until``."""
    deadline = deadline_of(args.until)
    busy: set[str] = set()
    choose = threading.Lock()
    results: list[Result] = []

    def worker() -> None:
        while True:
            left = int(deadline - time.time())
            if left < 60:
                return
            with choose:
                idle = [t for t in targets if t not in busy]
                if not idle:
                    return
                totals = repo.entries()
                target = min(idle, key=lambda t: _executions(totals, t))
                busy.add(target)
            try:
                result = run_target(target, args, seconds=min(args.slice, left))
                ledger.add(result, args.profile)
                repo.fold(ledger.path)
                results.append(result)
                report([result], sys.stderr)
            except Exception as exc:  # noqa: BLE001 - one bad slice must not end the campaign
                print(f"{target}: the campaign failed: {exc!r}", file=sys.stderr)
                time.sleep(5)
            finally:
                with choose:
                    busy.discard(target)

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results: list[Result], stream: TextIO) -> None:
    print(f"{'target':<18} {'executions':>11} {'seconds':>8} {'exec/s':>7} {'/CPU-s':>7} "
          f"{'cov':>6} {'ft':>7} {'corpus':>6}  result", file=stream)  # fmt: skip
    for r in results:
        rate = int(r.executions / r.seconds) if r.seconds else 0
        cpu_rate = int(r.executions / r.cpu_seconds) if r.cpu_seconds else 0
        if r.crash:
            outcome = f"CRASH{' (sanitizer)' if r.sanitizer_report else ''}: {r.minimized}"
        elif r.exit_code != 0 or r.sanitizer_report:
            outcome = f"FAILED (exit {r.exit_code}), see {r.log}"
        else:
            outcome = "ok"
        print(f"{r.target:<18} {r.executions:>11} {r.seconds:>8} {rate:>7} {cpu_rate:>7} "
              f"{r.cov:>6} {r.ft:>7} {r.corpus:>6}  {outcome}", file=stream)  # fmt: skip
        if r.replay:
            print("  replayed on the normal build:\n    " + r.replay.replace("\n", "\n    "),
                  file=stream)  # fmt: skip
    stream.flush()


def report_totals(targets: list[str], repo: RepoLedger) -> None:
    """The committed ledger's totals against the goal, current sources only."""
    entries = repo.entries()
    print(f"\ncumulative under ASan ({', '.join(COUNTED)} profiles), ledger {repo.path}:")
    print(f"{'target':<18} {'sources':>12} {'executions':>11} {'of goal':>8} {'CPU-h':>6} "
          f"{'exec/CPU-s':>10} {'last':>10}  crashes")  # fmt: skip
    for target in targets:
        entry = entries.get(target) or {}
        current = sources_hash(target)
        if entry.get("sources") != current:
            entry = {"executions": 0, "cpu_seconds": 0.0, "crashes": []}
        executions = int(entry.get("executions", 0))  # type: ignore[call-overload]
        cpu = float(entry.get("cpu_seconds", 0.0))  # type: ignore[arg-type]
        rate = f"{executions / cpu:.0f}" if cpu else "-"
        crashes = entry.get("crashes") or []
        assert isinstance(crashes, list)
        print(f"{target:<18} {current:>12} {executions:>11} {100 * executions / GOAL:>7.1f}% "
              f"{cpu / 3600:>6.2f} {rate:>10} {entry.get('last', '-')!s:>10}  "
              f"{len(crashes) or 'none'}")  # fmt: skip
    coverage = repo.line_coverage()
    kernels = coverage.get("kernels") or {}
    assert isinstance(kernels, dict)
    if kernels:
        print(f"\n.pyx line coverage of the {coverage.get('corpora')}, {coverage.get('date')} "
              "(bench/fuzz_coverage.py --record):")  # fmt: skip
        for kernel, figures in sorted(kernels.items()):
            lines, covered = int(figures["lines"]), int(figures["covered"])
            current = _hash_files([f"ext/fastcore/_speedups/{kernel}.pyx"])
            stale = "" if figures.get("sources") == current else "  (the kernel changed since)"
            share = 100 * covered / lines if lines else 0.0
            print(f"{kernel + '.pyx':<22} {covered:>5}/{lines:<5} {share:>5.1f}%{stale}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target")
    parser.add_argument("--max-time", type=int, default=0, help="seconds per target (0: none)")
    parser.add_argument("--until", help="HH:MM UTC: fuzz in slices until then, neediest first")
    parser.add_argument("--slice", type=int, default=1200, help="seconds per slice with --until")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--jobs", type=int, default=1, help="targets run side by side")
    parser.add_argument("--profile", default="fast", choices=sorted(PROFILES),
                        help="sanitizer settings (fast: ASan, see PROFILES)")  # fmt: skip
    parser.add_argument("--no-asan", action="store_const", const="normal", dest="profile",
                        help="the normal in-place build (--profile normal)")  # fmt: skip
    parser.add_argument("--home", default=os.environ.get("FASTCORE_FUZZ_HOME", str(DEFAULT_HOME)),
                        help="corpora, artifacts, logs and the ledger; outside the checkout so "
                        "they survive it (env FASTCORE_FUZZ_HOME)")  # fmt: skip
    parser.add_argument("--totals", action="store_true", help="print the ledger and exit")
    parser.add_argument("--ledger", default=str(REPO_LEDGER),
                        help="the committed cumulative ledger the campaign adds to")  # fmt: skip
    parser.add_argument("--fold", metavar="HOME", action="append", default=[],
                        help="add another home's ledger (its ledger.json or the home) to "
                        "--ledger, entries of the current sources only, and exit")  # fmt: skip
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
    home = Path(args.home).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    args.home = str(home)
    ledger = Ledger(home)
    repo = RepoLedger(Path(args.ledger))
    if args.fold:
        for other in args.fold:
            path = Path(other).expanduser()
            path = path / "ledger.json" if path.is_dir() else path
            for note in repo.fold(path):
                print(f"{path}: {note}")
        report_totals(targets, repo)
        return 0
    if args.totals:
        report_totals(targets, repo)
        return 0
    if PROFILES[args.profile]["asan"]:
        stale = stale_build(targets)
        if stale:
            sys.exit(f"the ASan build is older than {', '.join(stale)}: run `make asan` again")
    if args.until:
        results = run_until(targets, args, ledger, repo)
    else:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda target: run_target(target, args), targets))
        for result in results:
            ledger.add(result, args.profile)
    report(results, sys.stdout)
    summary = home / "summary.json"
    summary.write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(f"summary: {summary}")
    repo.fold(ledger.path)
    report_totals(targets, repo)
    failed = any(r.crash or r.exit_code != 0 or r.sanitizer_report for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
