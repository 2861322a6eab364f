"""Instructions per router lookup, counted by callgrind: fastcore and its compiled peers.

Wall-clock medians on the shared 2-core machine move by tens of percent; an
instruction count does not. This script runs the lookup loops of
``test_bench_router_peers.py`` (same routers, same request sets, same calls)
under valgrind's callgrind twice with different repeat counts and reports the
difference divided by the extra lookups, so building the routers cancels out.
It also counts ``url_for`` and the scaling case of
``test_bench_router_scaling.py`` (the last route of 10 and of 10,000).

Instructions are not nanoseconds (a Rust or C loop and CPython's interpreter
retire different instructions per cycle); quote the pytest-benchmark medians
for time and use these counts to see where a change goes.

Run (a minute or two)::

    python bench/micro/callgrind_router.py
    python bench/micro/callgrind_router.py --case found:fastcore --case url_for

``--inner`` runs one case itself (that is what valgrind is given).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "load"))

from callgrind_request import callgrind_instructions  # noqa: E402

PEERS = ("fastcore", "matchit", "xrtr", "falcon")
CASES = (
    *(f"found:{peer}" for peer in PEERS),
    *(f"404:{peer}" for peer in PEERS),
    "url_for",
    "scaling:10",
    "scaling:10000",
)


def inner(case: str, repeat: int, requests_file: str) -> None:
    """Run one case ``repeat`` times over its request list."""
    kind, _, subject = case.partition(":")
    if kind in ("found", "404"):
        from bench.micro.test_bench_router_peers import BUILDERS, common_routes

        # The request list comes from the outer process: under valgrind only
        # the router measured is built.
        requests = [tuple(request) for request in json.loads(Path(requests_file).read_text())]
        _lookup, run = BUILDERS[subject](common_routes())
        for _ in range(repeat):
            run(requests)
        return
    from fastcore.routing import Router

    if kind == "url_for":
        router = Router()
        router.add("/repos/{owner}/{repo}/issues/{number:int}", None, name="issue")
        router.freeze()
        url_for = router.url_for
        for _ in range(repeat * 100):
            url_for("issue", owner="octo", repo="hello-world", number=1347)
        return
    from bench.micro.test_bench_router_scaling import concrete, pattern

    size = int(subject)
    router = Router()
    for index in range(size):
        router.add(pattern(index), index)
    router.freeze()
    path = concrete(max(i for i in range(size) if i % 4 == 0))
    match = router.match
    for _ in range(repeat * 100):
        match("GET", path)


def requests_of(case: str) -> list[tuple[str, str]]:
    kind = case.partition(":")[0]
    if kind in ("found", "404"):
        from bench.micro.test_bench_router_peers import request_sets

        return request_sets()[kind][1]
    return [("GET", "")] * 100  # url_for and scaling: 100 calls per round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--repeat", type=int, default=30, help="rounds of the long run")
    parser.add_argument("--base", type=int, default=5, help="rounds of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--requests", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = args.case or list(CASES)
    if args.inner:
        inner(cases[0], args.repeat, args.requests)
        return
    script = str(Path(__file__).resolve())
    print(f"instructions per lookup (callgrind, {args.repeat} - {args.base} rounds)")
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            requests = requests_of(case)
            requests_file = Path(tmp) / "requests.json"
            requests_file.write_text(json.dumps(requests))
            counts = [
                callgrind_instructions(
                    [script, "--inner", "--case", case, "--repeat", str(repeat)]
                    + ["--requests", str(requests_file)]
                )
                for repeat in (args.repeat, args.base)
            ]
            extra = (args.repeat - args.base) * len(requests)
            print(f"  {case:16} {(counts[0] - counts[1]) / extra:9,.0f}", flush=True)


if __name__ == "__main__":
    main()
