"""Typed binding per request, in-process: fastcore (typed and raw) vs FastAPI and Litestar.

How each framework is driven: :mod:`bench.typed.runners`. Wall-clock figures
on the shared machine drift; ``bench/typed/instructions.py`` counts
instructions per request with callgrind instead.

Run: ``taskset -c 1 python -m pytest bench/typed --benchmark-only --benchmark-group-by=group``
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bench.typed.runners import EXPECTED, FRAMEWORKS, build


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_typed_endpoint(benchmark: Any, loop: asyncio.AbstractEventLoop, framework: str) -> None:
    run, body_of = build(framework, loop)
    assert body_of(run()) == EXPECTED
    benchmark.group = "typed endpoint: path + 2 query + 10-field body"
    benchmark(run)
