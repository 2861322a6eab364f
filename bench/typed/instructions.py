"""Instructions per request of the typed workload, counted by valgrind's callgrind.

Wall-clock figures on a shared 2-core machine drift by tens of percent; an
instruction count does not. Each subject runs the request of
:mod:`bench.typed.runners` under callgrind twice, with two request counts
after the same warm-up; the difference divided by the extra requests is the
cost of one request (start-up and warm-up cancel out).

Run (one to two minutes)::

    python bench/typed/instructions.py
    python bench/typed/instructions.py --subject fastcore-typed --subject fastcore-raw

``--inner`` runs the driver itself (that is what valgrind is given).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WARM_UP = 200


def inner(subject: str, count: int) -> None:
    """Warm up, then send ``count`` requests (run under valgrind)."""
    sys.path.insert(0, str(ROOT))
    from bench.typed.runners import EXPECTED, build

    loop = asyncio.new_event_loop()
    run, body_of = build(subject, loop)
    if body_of(run()) != EXPECTED:
        raise SystemExit(f"{subject} answered something else")
    for _ in range(WARM_UP + count):
        run()


def _instructions(subject: str, count: int) -> int:
    sys.path.insert(0, str(ROOT / "bench" / "load"))
    from callgrind_request import callgrind_instructions

    script = str(Path(__file__).resolve())
    return callgrind_instructions([script, "--inner", "--subject", subject, "--count", str(count)])


def main() -> None:
    """Print instructions per request for each subject, and the ratios."""
    sys.path.insert(0, str(ROOT))
    from bench.typed.runners import FRAMEWORKS

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subject", choices=list(FRAMEWORKS), action="append")
    parser.add_argument("--count", type=int, default=1200, help="requests of the long run")
    parser.add_argument("--base", type=int, default=200, help="requests of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.subject[0], args.count)
        return
    subjects = args.subject or list(FRAMEWORKS)
    extra = args.count - args.base
    print(f"instructions per request (callgrind, {args.count} - {args.base} requests)")
    per_request = {}
    for subject in subjects:
        cost = (_instructions(subject, args.count) - _instructions(subject, args.base)) / extra
        per_request[subject] = cost
        print(f"  {subject:16} {cost:12,.0f}", flush=True)
    if "fastcore-typed" in per_request:
        typed = per_request["fastcore-typed"]
        for subject, cost in per_request.items():
            if subject != "fastcore-typed":
                print(
                    f"  fastcore-typed vs {subject}: {cost / typed:.2f}x ({typed / cost - 1:+.1%})"
                )


if __name__ == "__main__":
    main()
