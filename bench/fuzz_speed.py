"""CPU cost of one fuzz execution under each sanitizer setting of bench/fuzz_campaign.py.

Not run by CI. Wall-clock executions per second mean little on a shared
machine, so this measures CPU seconds: each target runs twice per setting
from a fresh copy of its seed corpus with a fixed ``-seed`` (the same
mutations whatever the setting, since none of them changes coverage), once
for just the seeds and once for ``--runs`` executions, and the difference of
the two runs' CPU time (user + system, from ``wait4``) over the difference of
their executions is the marginal CPU cost of an execution, start-up excluded.
Settings are interleaved and repeated; the medians are printed with the ratio
to the first setting. From the repository root, after ``make asan``::

    python bench/fuzz_speed.py --targets http_parser,router --runs 3000
    python bench/fuzz_speed.py --profiles thorough,fast,pymalloc --repeat 3
    python bench/fuzz_speed.py --targets templates --profiles fast,normal --baseline main
    python bench/fuzz_speed.py --targets http_parser --profiles fast+targetcov,fast

A profile name with ``+targetcov`` also instruments the target's own
functions under ASan (``FASTCORE_FUZZ_INSTRUMENT_TARGET=1``, what the first
campaigns did).

With ``--baseline REF`` each target's module as it is at git ``REF`` runs
too, from the same seeds with the same dictionary, beside the current one
(a temporary copy, ``tests/fuzz/_baseline_<target>.py``, removed after), so
a change to a target is measured against what it replaces in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz_campaign import (  # noqa: E402
    PROFILES,
    ROOT,
    SEEDS,
    TARGETS,
    environment,
    executed_units,
)

FUZZ = ROOT / "tests" / "fuzz"
sys.path.insert(0, str(ROOT))
from tests.fuzz._support import DICTIONARIES  # noqa: E402


def cpu_run(
    target: str, runs: int, env: dict[str, str], cwd: Path, seed: int, module: str = ""
) -> tuple[float, int]:
    """CPU seconds and executions of one run from a fresh copy of the seeds."""
    with tempfile.TemporaryDirectory(prefix=f"fuzz-speed-{target}-") as scratch:
        corpus = Path(scratch) / "corpus"
        shutil.copytree(SEEDS / target, corpus)
        command = [
            sys.executable, "-m", f"tests.fuzz.{module or target}", f"-runs={runs}",
            f"-seed={seed}", "-max_len=4096", "-print_final_stats=1",
            f"-artifact_prefix={scratch}/", str(corpus),
        ]  # fmt: skip
        if target in DICTIONARIES:
            # Named by the module's file otherwise: a baseline copy needs it said.
            command.insert(3, f"-dict={DICTIONARIES[target]}")
        log = Path(scratch) / "log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
            _, status, usage = os.wait4(process.pid, 0)
        text = log.read_text(errors="replace")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{target} failed:\n{text[-3000:]}")
        return usage.ru_utime + usage.ru_stime, executed_units(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--profiles", default="thorough,fast", help="comma-separated, see PROFILES")
    parser.add_argument("--runs", type=int, default=3000, help="executions of the long run")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (medians)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", default="", help="git ref: its target modules run too")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    for name in profiles:
        if name.partition("+")[0] not in PROFILES or name.partition("+")[2] not in (
            "",
            "targetcov",
        ):
            parser.error(f"unknown profile {name} (known: {', '.join(PROFILES)})")
    targets = args.targets.split(",")
    costs: dict[tuple[str, str], list[float]] = {}
    # (column name, profile, module suffix): the baseline's columns first.
    settings = [(f"{name}@{args.baseline}", name, "baseline") for name in profiles]
    settings = (settings if args.baseline else []) + [(name, name, "") for name in profiles]
    copies = []
    try:
        if args.baseline:
            for target in targets:
                copy = FUZZ / f"_baseline_{target}.py"
                copy.write_bytes(
                    subprocess.run(
                        ["git", "show", f"{args.baseline}:tests/fuzz/{target}.py"],
                        cwd=ROOT, capture_output=True, check=True,
                    ).stdout
                )  # fmt: skip
                copies.append(copy)
        for _ in range(args.repeat):
            for target in targets:
                for column, name, baseline in settings:
                    module = f"_baseline_{target}" if baseline else target
                    profile, _, extra = name.partition("+")
                    env, cwd = environment(profile)
                    if extra == "targetcov":
                        # The target's own functions instrumented whatever the build.
                        env = {**env, "FASTCORE_FUZZ_INSTRUMENT_TARGET": "1"}
                    short_cpu, short_runs = cpu_run(target, 1, env, cwd, args.seed, module)
                    long_cpu, long_runs = cpu_run(target, args.runs, env, cwd, args.seed, module)
                    micros = 1e6 * (long_cpu - short_cpu) / max(1, long_runs - short_runs)
                    costs.setdefault((target, column), []).append(micros)
                    print(f"  {target} {column}: {micros:.0f} CPU-us/exec "
                          f"({long_runs - short_runs} execs)", file=sys.stderr)  # fmt: skip
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)
    columns = [column for column, _, _ in settings]
    print(f"{'target':<18}" + "".join(f" {column + ' us/exec':>24}" for column in columns))
    for target in targets:
        medians = [statistics.median(costs[target, column]) for column in columns]
        cells = [f"{m:>9.0f} (x{medians[0] / m:4.2f} )" for m in medians]
        print(f"{target:<18}" + "".join(f" {cell:>24}" for cell in cells))
    print("(x: how many executions of this setting fit in the CPU time of one of the first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
