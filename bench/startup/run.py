"""Start-up cost of fastcore next to Flask and FastAPI, one fresh process per run.

Usage::

    python bench/startup/run.py                   # 15 rounds, every framework
    python bench/startup/run.py --repeat 31 --frameworks fastcore,flask
    python bench/startup/run.py --importtime      # and fastcore's -X importtime top 15

Each variant is a small script of this folder run as its own process:
``baseline.py`` (the interpreter alone), ``import_only.py X`` (``import X``)
and ``X_app.py`` (a one-route hello-world app made ready and asked once).
Rounds interleave the variants (the order rotates every round) after an
unmeasured warm-up round that writes the bytecode caches. Per run it records
the wall time of the whole process, seen from here; its user + system CPU time
(from ``os.wait4``); its peak RSS (its own ``VmHWM``, see :func:`run_once`)
and its ``len(sys.modules)`` at exit, both written by the child to the file
named in ``STARTUP_BENCH_REPORT``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
FRAMEWORKS = ("fastcore", "flask", "fastapi", "starlette")
#: The distribution behind each import name, for the versions in the header.
DISTRIBUTIONS = {"fastcore": "fastcore-web", "flask": "flask", "fastapi": "fastapi"}
#: What the ``import`` variant imports, where the package's ``__init__`` is not
#: the framework (``import starlette`` loads nothing but a version string).
IMPORTS = {"starlette": "starlette.applications"}
REFERENCE = "flask"
#: Environment variables a child does not inherit: interpreter switches
#: (PYTHONDONTWRITEBYTECODE, PYTHONPROFILEIMPORTTIME...) and framework settings,
#: so every framework starts on its defaults.
STRIPPED_PREFIXES = ("PYTHON", "FASTCORE_", "FLASK_")
MIB = 1024.0


@dataclass(frozen=True)
class Variant:
    """One program to time: a script of this folder and its arguments."""

    name: str
    framework: str | None
    kind: str  # "baseline", "import" or "app"
    argv: tuple[str, ...]


@dataclass
class Sample:
    """One run of a variant."""

    wall_s: float
    cpu_s: float  # user + system, from os.wait4
    peak_kib: int  # the child's VmHWM
    wait4_maxrss_kib: int  # never below this runner's own peak, see run_once
    modules: int


@dataclass
class Summary:
    """Medians of one variant's samples, and their ratios to the reference."""

    name: str
    kind: str
    wall_ms: float
    wall_q1_ms: float
    wall_q3_ms: float
    net_ms: float | None  # wall_ms minus the baseline's
    cpu_ms: float
    peak_mib: float
    modules: float
    wall_ratio: float | None = None
    cpu_ratio: float | None = None
    peak_ratio: float | None = None
    modules_ratio: float | None = None


@dataclass
class Run:
    """Everything one invocation measured, as written to the JSON file."""

    started: str
    command: list[str]
    python: str
    platform: str
    fastcore_path: str
    versions: dict[str, str]
    repeat: int
    warmup: int
    loadavg_before: list[float]
    loadavg_after: list[float] = field(default_factory=list)
    runner_maxrss_kib: int = 0
    samples: dict[str, list[Sample]] = field(default_factory=dict)


class ChildFailed(RuntimeError):
    """A variant exited with an error or did not write its report."""


def variants(frameworks: list[str]) -> list[Variant]:
    """The baseline, then ``import X`` and the hello-world app of each framework."""
    found = [Variant("python", None, "baseline", ("baseline.py",))]
    for name in frameworks:
        module = IMPORTS.get(name, name)
        found.append(Variant(f"{name} import", name, "import", ("import_only.py", module)))
        found.append(Variant(f"{name} app", name, "app", (f"{name}_app.py",)))
    return found


def child_env() -> dict[str, str]:
    """The environment of every child: ours without the stripped variables.

    ``PYTHONPATH`` is the repository root, so the fastcore measured is the one
    of this checkout, whatever else is installed.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_PREFIXES)}
    env["PYTHONPATH"] = str(ROOT)
    return env


def parse_report(text: str) -> tuple[int, int]:
    """Read a child's report, ``"<modules> <VmHWM in KiB>"``."""
    modules, peak_kib = text.split()
    return int(modules), int(peak_kib)


def run_once(
    variant: Variant, env: dict[str, str], scratch: Path, extra: tuple[str, ...] = ()
) -> tuple[Sample, str]:
    """Run ``variant`` once in a fresh process; return its sample and its stderr.

    NOTE: ``ru_maxrss`` from ``os.wait4`` is the child's peak *or this
    runner's*, whichever is higher: subprocess starts the child with vfork,
    and at exec Linux folds the high-water mark of the memory it leaves (ours)
    into the child's. This runner is bigger than a bare interpreter, so the
    child's own ``VmHWM`` (read from /proc at its exit) is the figure used;
    the wait4 one is kept next to it as a check.
    """
    report = scratch / "report.txt"
    report.unlink(missing_ok=True)
    errors = scratch / "stderr.txt"
    argv = [sys.executable, *extra, str(HERE / variant.argv[0]), *variant.argv[1:]]
    with errors.open("wb") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv,
            env={**env, "STARTUP_BENCH_REPORT": str(report)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=scratch,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen quiet
    err = errors.read_text(errors="replace")
    if child.returncode != 0 or not report.exists():
        tail = "\n".join(err.splitlines()[-15:])
        raise ChildFailed(f"{variant.name}: exit status {child.returncode}\n{tail}")
    modules, peak_kib = parse_report(report.read_text())
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, peak_kib, usage.ru_maxrss, modules), err


def measure(run: Run, chosen: list[Variant], scratch: Path) -> None:
    """Run every variant ``warmup + repeat`` times, interleaved, into ``run.samples``."""
    env = child_env()
    run.samples = {v.name: [] for v in chosen}
    for round_no in range(run.warmup + run.repeat):
        shift = round_no % len(chosen)
        for variant in chosen[shift:] + chosen[:shift]:
            sample, _ = run_once(variant, env, scratch)
            if round_no >= run.warmup:
                run.samples[variant.name].append(sample)
        done = round_no + 1 - run.warmup
        label = f"round {done}/{run.repeat}" if done > 0 else "warm-up"
        print(f"  {label} done", file=sys.stderr, flush=True)


def summarize(samples: dict[str, list[Sample]], kinds: dict[str, str]) -> list[Summary]:
    """Medians per variant, with ratios to the reference framework's same kind."""
    rows: list[Summary] = []
    for name, runs in samples.items():
        walls = [s.wall_s * 1000 for s in runs]
        q1, _, q3 = statistics.quantiles(walls, n=4) if len(walls) > 1 else (walls * 3)
        rows.append(
            Summary(
                name=name,
                kind=kinds[name],
                wall_ms=statistics.median(walls),
                wall_q1_ms=q1,
                wall_q3_ms=q3,
                net_ms=None,
                cpu_ms=statistics.median(s.cpu_s for s in runs) * 1000,
                peak_mib=statistics.median(s.peak_kib for s in runs) / MIB,
                modules=statistics.median(s.modules for s in runs),
            )
        )
    base = next((r for r in rows if r.kind == "baseline"), None)
    refs = {r.kind: r for r in rows if r.name.startswith(f"{REFERENCE} ")}
    for row in rows:
        if base is not None and row is not base:
            row.net_ms = row.wall_ms - base.wall_ms
        ref = refs.get(row.kind)
        if ref is not None:
            row.wall_ratio = row.wall_ms / ref.wall_ms
            row.cpu_ratio = row.cpu_ms / ref.cpu_ms
            row.peak_ratio = row.peak_mib / ref.peak_mib
            row.modules_ratio = row.modules / ref.modules
    return rows


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


def render_table(rows: list[Summary]) -> str:
    """The medians as a Markdown table."""
    lines = [
        f"| variant | wall ms | q1–q3 ms | − python ms | ×{REFERENCE} | CPU ms | ×{REFERENCE} "
        f"| peak RSS MiB | ×{REFERENCE} | modules | ×{REFERENCE} |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        net = "" if r.net_ms is None else f"{r.net_ms:.1f}"
        lines.append(
            f"| {r.name} | {r.wall_ms:.1f} | {r.wall_q1_ms:.1f}–{r.wall_q3_ms:.1f} | {net} "
            f"| {_ratio(r.wall_ratio)} | {r.cpu_ms:.1f} | {_ratio(r.cpu_ratio)} "
            f"| {r.peak_mib:.1f} | {_ratio(r.peak_ratio)} "
            f"| {r.modules:g} | {_ratio(r.modules_ratio)} |"
        )
    return "\n".join(lines)


@dataclass
class ImportLine:
    """One line of ``-X importtime``: a module's own and cumulative microseconds."""

    module: str
    depth: int
    self_us: int
    cumulative_us: int


def parse_importtime(stderr: str) -> list[ImportLine]:
    """Read the ``import time:`` lines of a child's stderr (header skipped)."""
    found = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        module = name.lstrip()
        depth = (len(name) - len(module) - 1) // 2
        found.append(ImportLine(module, depth, int(fields[0]), int(fields[1])))
    return found


def importtime_summary(runs: list[list[ImportLine]], top: int = 15) -> str:
    """Medians over runs: the top imports by cumulative time, and self time per package."""
    cumulative: dict[str, list[int]] = {}
    own: dict[str, list[int]] = {}
    depth: dict[str, int] = {}
    per_package: dict[str, list[int]] = {}
    for lines in runs:
        totals: dict[str, int] = {}
        for item in lines:
            cumulative.setdefault(item.module, []).append(item.cumulative_us)
            own.setdefault(item.module, []).append(item.self_us)
            depth.setdefault(item.module, item.depth)
            package = item.module.split(".")[0]
            totals[package] = totals.get(package, 0) + item.self_us
        for package, total in totals.items():
            per_package.setdefault(package, []).append(total)
    median_cum = {m: statistics.median(v) for m, v in cumulative.items()}
    median_own = {m: statistics.median(v) for m, v in own.items()}
    median_pkg = {p: statistics.median(v) for p, v in per_package.items()}
    out = [
        f"Top {top} imports by cumulative time (median of {len(runs)} runs; "
        "depth 0 = imported by the script):",
        "",
        "| module | depth | cumulative ms | self ms |",
        "|---|--:|--:|--:|",
    ]
    for module in sorted(median_cum, key=median_cum.__getitem__, reverse=True)[:top]:
        out.append(
            f"| {module} | {depth[module]} | {median_cum[module] / 1000:.1f} "
            f"| {median_own[module] / 1000:.1f} |"
        )
    out += [
        "",
        f"Self time by top-level package (top 10 of {len(median_pkg)}; "
        f"all: {sum(median_pkg.values()) / 1000:.1f} ms):",
        "",
        "| package | self ms |",
        "|---|--:|",
    ]
    for package in sorted(median_pkg, key=median_pkg.__getitem__, reverse=True)[:10]:
        out.append(f"| {package} | {median_pkg[package] / 1000:.1f} |")
    return "\n".join(out)


def profile_imports(framework: str, repeat: int, scratch: Path) -> str:
    """Run ``framework``'s app under ``-X importtime`` and summarize it."""
    variant = Variant(f"{framework} app", framework, "app", (f"{framework}_app.py",))
    env = child_env()
    runs = []
    for _ in range(repeat):
        _, err = run_once(variant, env, scratch, extra=("-X", "importtime"))
        runs.append(parse_importtime(err))
    return f"### `-X importtime`: {variant.name}\n\n" + importtime_summary(runs)


def describe(frameworks: list[str], repeat: int, warmup: int) -> Run:
    """Start a Run record: interpreter, versions and the fastcore being measured."""
    probe = subprocess.run(
        [sys.executable, "-c", "import fastcore; print(fastcore.__file__)"],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise SystemExit(
            "fastcore does not import from this checkout; build its kernels first "
            f"(python setup.py build_ext --inplace):\n{probe.stderr[-2000:]}"
        )
    versions = {}
    for name in frameworks:
        try:
            versions[name] = metadata.version(DISTRIBUTIONS.get(name, name))
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return Run(
        started=datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        command=[Path(sys.executable).name, *sys.argv],
        python=sys.version.split()[0],
        platform=platform.platform(),
        fastcore_path=str(Path(probe.stdout.strip()).parent),
        versions=versions,
        repeat=repeat,
        warmup=warmup,
        loadavg_before=list(os.getloadavg()),
    )


def render_report(run: Run, rows: list[Summary], importtime: str | None) -> str:
    """The whole Markdown report: header, table, notes, optional importtime."""
    versions = ", ".join(f"{k} {v}" for k, v in run.versions.items())
    load = "/".join(f"{x:.2f}" for x in run.loadavg_before)
    load_after = "/".join(f"{x:.2f}" for x in run.loadavg_after)
    parts = [
        f"## Start-up, {run.started}",
        "",
        f"`{' '.join(run.command)}`: Python {run.python} on {run.platform}; {versions}; "
        f"fastcore from `{run.fastcore_path}`. {run.repeat} measured rounds after "
        f"{run.warmup} warm-up, variants interleaved; load average {load} before, "
        f"{load_after} after.",
        "",
        render_table(rows),
        "",
        "Medians over rounds. *wall*: the whole process, from spawn to exit, seen by the "
        "runner; *− python*: minus the bare interpreter's median; *CPU*: the child's user + "
        "system time (what contention from other processes moves least); *peak RSS*: the child's "
        f"own VmHWM; *modules*: `len(sys.modules)` at exit. Ratios are to {REFERENCE}'s "
        "row of the same kind.",
    ]
    cores = os.cpu_count() or 1
    busiest = max(run.loadavg_before[0], run.loadavg_after[0])
    if busiest > cores:
        parts += [
            "",
            f"**Busy machine**: 1-minute load average up to {busiest:.2f} on {cores} cores. "
            "Wall times are inflated; compare CPU times and ratios, or run again when quiet.",
        ]
    if importtime:
        parts += ["", importtime]
    return "\n".join(parts) + "\n"


def save(run: Run, rows: list[Summary], report: str) -> Path:
    """Write the report (.md) and every sample (.json) under results/."""
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"startup-{run.started}"
    stem.with_suffix(".md").write_text(report)
    payload = {**asdict(run), "summary": [asdict(r) for r in rows]}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
    return stem.with_suffix(".md")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=15, help="measured rounds (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds (default 1)")
    parser.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help=f"comma-separated, from {', '.join(FRAMEWORKS)} (default all)",
    )
    parser.add_argument(
        "--importtime",
        nargs="?",
        const="fastcore",
        metavar="FRAMEWORK",
        help="also summarize -X importtime of an app (default fastcore)",
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write no results")
    args = parser.parse_args(argv)
    args.frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = set(args.frameworks) - set(FRAMEWORKS)
    if args.importtime is not None and args.importtime not in FRAMEWORKS:
        unknown.add(args.importtime)
    if unknown:
        parser.error(f"unknown frameworks: {', '.join(sorted(unknown))}")
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1 and --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, save the results."""
    args = parse_args(argv)
    run = describe(args.frameworks, args.repeat, args.warmup)
    chosen = variants(args.frameworks)
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        try:
            measure(run, chosen, Path(tmp))
            importtime = (
                profile_imports(args.importtime, min(args.repeat, 5), Path(tmp))
                if args.importtime
                else None
            )
        except ChildFailed as exc:
            print(f"failed: {exc}", file=sys.stderr)
            return 1
    run.loadavg_after = list(os.getloadavg())
    run.runner_maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = summarize(run.samples, {v.name: v.kind for v in chosen})
    report = render_report(run, rows, importtime)
    print(report)
    if not args.no_save:
        print(f"written: {save(run, rows, report).relative_to(ROOT)} (and .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
