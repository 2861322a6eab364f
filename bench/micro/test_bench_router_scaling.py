"""Router scaling: lookup time of the last-registered route vs the route count.

Routes are generated in a few shapes that share prefixes (so nodes get wide:
10,000 routes put thousands of static siblings under one node), and the path
of the last one registered is looked up. The target is that 10,000 routes
cost no more than 1.3x the time at 10.

Run::

    taskset -c 1 python -m pytest bench/micro/test_bench_router_scaling.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=median,rounds
"""

from __future__ import annotations

from typing import Any

import pytest

from fastcore.routing import Router

SIZES = (10, 100, 1_000, 10_000)
LOOKUPS_PER_ROUND = 100


def pattern(index: int) -> str:
    # Four shapes, all under /api, so every size exercises the same depth.
    shape = index % 4
    if shape == 0:
        return f"/api/res{index}/{{item_id:int}}/parts/{{name}}"
    if shape == 1:
        return f"/api/res{index}/{{key:uuid}}"
    if shape == 2:
        return f"/api/res{index}/static/leaf"
    return f"/api/res{index}/{{item_id:int}}/parts/{{name}}/{{rest:path}}"


def concrete(index: int) -> str:
    shape = index % 4
    if shape == 0:
        return f"/api/res{index}/1347/parts/wheel"
    if shape == 1:
        return f"/api/res{index}/12345678-9abc-def0-1234-56789abcdef0"
    if shape == 2:
        return f"/api/res{index}/static/leaf"
    return f"/api/res{index}/1347/parts/wheel/a/b/c"


@pytest.mark.parametrize("size", SIZES)
def test_router_scaling(benchmark: Any, size: int) -> None:
    router = Router()
    for index in range(size):
        router.add(pattern(index), index)
    router.freeze()
    # The same shape at every size (shape 0: int + str parameters) so only
    # the route count changes; `last` is the last-registered route of it.
    last = max(i for i in range(size) if i % 4 == 0)
    path = concrete(last)
    match = router.match
    assert match("GET", path).endpoint == last
    benchmark.group = f"router scaling ({LOOKUPS_PER_ROUND} lookups/round)"
    benchmark.extra_info["lookups"] = LOOKUPS_PER_ROUND

    def run() -> None:
        for _ in range(LOOKUPS_PER_ROUND):
            match("GET", path)

    benchmark(run)
