"""Self-tests of bench/charts.py: reading the result files, and drawing from them.

Run with ``python -m pytest bench/test_charts.py -q`` (a few seconds; the
drawing tests need matplotlib, from the docs or bench extra).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_charts", HERE / "charts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


charts = _load()

REPORT = """# TechEmpower database tests (PostgreSQL)

`python bench/db/run.py --rounds 1`

| server | db | fortunes |
| --- | ---: | ---: |
| fastcore-fast | 5,553 | 3,224 |
| **starlette** | 2,519 | 1,320 |
| **fastcore-fast / best raw peer** | **2.20x** | **2.44x** |

| another | table |
| --- | --- |
"""


def test_the_first_table_and_its_numbers() -> None:
    table = charts.first_table(REPORT)
    assert table.header == ["server", "db", "fortunes"]
    assert [row[0] for row in table.rows] == [
        "fastcore-fast",
        "starlette",
        "fastcore-fast / best raw peer",
    ]
    assert charts.number("5,553") == 5553.0
    assert charts.number("2.20x") is None  # ratio rows are not bars
    assert charts.command_of(REPORT) == "python bench/db/run.py --rounds 1"
    with pytest.raises(ValueError):
        charts.first_table("no table here")


def test_who_a_micro_benchmark_measures() -> None:
    assert charts.implementation("test_render[tiny-jinja2]") == "jinja2"
    assert charts.implementation("test_fastcore_pipeline") == "fastcore"
    assert charts.colours(["starlette", "fastcore-orm", "flask"]) == [
        charts.PEERS[1],
        charts.FASTCORE,
        charts.PEERS[0],
    ]


def test_every_kind_of_result_is_drawn(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report = tmp_path / "db-1.md"
    report.write_text(REPORT)
    startup = tmp_path / "startup-1.json"
    row = {"kind": "app", "cpu_ms": 184.0, "peak_mib": 26.9}
    startup.write_text(
        json.dumps(
            {
                "command": ["bench/startup/run.py"],
                "summary": [
                    {**row, "name": "fastcore app"},
                    {**row, "name": "flask app", "cpu_ms": 252.0},
                    {**row, "name": "python", "kind": "baseline"},
                ],
            }
        )
    )
    micro = tmp_path / "micro-1.json"
    stats = {"median": 1e-6}
    micro.write_text(
        json.dumps(
            {
                "benchmarks": [
                    {"name": "test_fastcore_x", "group": "x", "stats": stats},
                    {"name": "test_httptools_x", "group": "x", "stats": {"median": 6e-6}},
                ]
            }
        )
    )
    out = tmp_path / "out"
    argv = ["--db", str(report), "--startup", str(startup), "--micro", str(micro)]
    assert charts.main([*argv, "--out", str(out)]) == 0
    drawn = sorted(path.name for path in out.iterdir())
    assert drawn == ["db-1.png", "micro-1.png", "startup-1.png"]
    for name in drawn:
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n")
    first = (out / "db-1.png").read_bytes()
    charts.main(["--db", str(report), "--startup", "--out", str(out)])
    assert (out / "db-1.png").read_bytes() == first  # the same input draws the same bytes


def test_nothing_to_draw_is_an_error(tmp_path: Path) -> None:
    assert charts.main(["--db", "--startup", "--out", str(tmp_path)]) == 1
