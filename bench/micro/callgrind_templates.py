"""Instructions per render, counted by valgrind's callgrind: fastcore vs Jinja2.

The noise-free companion of ``test_bench_templates.py``: the same scenarios,
templates and data, each rendered ``--count`` and ``--base`` times under
callgrind; the difference divided by the extra renders is the cost of one
render (compiling, imports and start-up cancel out).

Run (a few minutes; needs valgrind and the bench extra)::

    python bench/micro/callgrind_templates.py
    python bench/micro/callgrind_templates.py --scenario blog_index_filters

``--inner`` runs the renders themselves (that is what valgrind is given).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "load"))

from callgrind_request import callgrind_instructions  # noqa: E402
from test_bench_templates import SCENARIOS, _template  # noqa: E402

ENGINES = ("fastcore", "jinja2")


def inner(engine: str, scenario: str, count: int) -> None:
    """Render the scenario ``count`` times."""
    name, context = SCENARIOS[scenario]
    render = _template(engine, name).render
    for _ in range(count):
        render(context)


def _instructions(engine: str, scenario: str, count: int) -> int:
    script = str(Path(__file__).resolve())
    return callgrind_instructions(
        [script, "--inner", "--engine", engine, "--scenario", scenario, "--count", str(count)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, action="append")
    parser.add_argument("--scenario", choices=list(SCENARIOS), action="append")
    parser.add_argument("--count", type=int, default=60, help="renders of the long run")
    parser.add_argument("--base", type=int, default=20, help="renders of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    engines = args.engine or list(ENGINES)
    scenarios = args.scenario or list(SCENARIOS)
    if args.inner:
        inner(engines[0], scenarios[0], args.count)
        return
    print(f"instructions per render (callgrind, {args.count} - {args.base} renders)")
    for scenario in scenarios:
        row = {}
        for engine in engines:
            long_run = _instructions(engine, scenario, args.count)
            short_run = _instructions(engine, scenario, args.base)
            row[engine] = (long_run - short_run) / (args.count - args.base)
            print(f"  {scenario:20} {engine:9} {row[engine]:13,.0f}", flush=True)
        if len(row) == 2:
            print(f"  {scenario:20} jinja2/fastcore = {row['jinja2'] / row['fastcore']:.2f}x")


if __name__ == "__main__":
    main()
