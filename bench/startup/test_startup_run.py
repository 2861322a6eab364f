"""Self-tests of the start-up runner: report parsing, importtime, statistics.

Run with ``python -m pytest bench/startup/test_startup_run.py -q`` (about a
second; it starts the bare interpreter a few times and no framework). They
guard the runner, never a framework's speed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load_runner() -> ModuleType:
    # Loaded under its own name: bench/load/run.py is also a module "run".
    spec = importlib.util.spec_from_file_location("startup_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run = _load_runner()

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:        40 |        300 |     encodings.aliases
import time:       900 |       5000 | fastcore
import time:      1500 |       4100 |   fastcore.app
import time:      2600 |       2600 |     pydantic
some other stderr line
"""


def test_parse_report() -> None:
    assert run.parse_report("361 40304\n") == (361, 40304)
    with pytest.raises(ValueError):
        run.parse_report("361\n")


def test_parse_importtime_reads_depth_and_skips_the_rest() -> None:
    lines = run.parse_importtime(IMPORTTIME)
    assert [(x.module, x.depth) for x in lines] == [
        ("_io", 1),
        ("encodings.aliases", 2),
        ("fastcore", 0),
        ("fastcore.app", 1),
        ("pydantic", 2),
    ]
    assert (lines[3].self_us, lines[3].cumulative_us) == (1500, 4100)


def test_importtime_summary_ranks_by_cumulative_and_groups_self_time() -> None:
    text = run.importtime_summary([run.parse_importtime(IMPORTTIME)] * 3, top=2)
    table = text.split("\n\n")[1].splitlines()
    assert table[2:] == ["| fastcore | 0 | 5.0 | 0.9 |", "| fastcore.app | 1 | 4.1 | 1.5 |"]
    assert "| fastcore | 2.4 |" in text  # 0.9 + 1.5 ms of fastcore's own modules
    assert "all: 5.2 ms" in text


def _samples(wall_ms: float, peak_kib: int, modules: int) -> list[object]:
    return [run.Sample(wall_ms / 1000, wall_ms / 2000, peak_kib, 0, modules) for _ in range(3)]


def test_summarize_subtracts_the_baseline_and_divides_by_the_reference() -> None:
    samples = {
        "python": _samples(20, 10 * 1024, 68),
        "flask app": _samples(140, 30 * 1024, 300),
        "fastcore app": _samples(200, 36 * 1024, 360),
    }
    kinds = {"python": "baseline", "flask app": "app", "fastcore app": "app"}
    rows = {r.name: r for r in run.summarize(samples, kinds)}
    fastcore = rows["fastcore app"]
    assert fastcore.net_ms == pytest.approx(180)
    assert fastcore.wall_ratio == pytest.approx(200 / 140)
    assert fastcore.cpu_ms == pytest.approx(100)
    assert fastcore.cpu_ratio == pytest.approx(200 / 140)
    assert fastcore.peak_ratio == pytest.approx(1.2)
    assert fastcore.modules_ratio == pytest.approx(1.2)
    assert rows["python"].net_ms is None and rows["python"].wall_ratio is None
    row = "| fastcore app | 200.0 | 200.0–200.0 | 180.0 | 1.43× | 100.0 | 1.43× | 36.0 | 1.20× |"
    assert row in run.render_table(list(rows.values()))


def test_every_variant_has_its_script() -> None:
    for variant in run.variants(list(run.FRAMEWORKS)):
        assert (HERE / variant.argv[0]).is_file(), variant


def test_child_env_measures_this_checkout_on_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("FASTCORE_DEBUG", "1")
    env = run.child_env()
    assert "PYTHONDONTWRITEBYTECODE" not in env and "FASTCORE_DEBUG" not in env
    assert env["PYTHONPATH"] == str(run.ROOT)


def test_run_once_reads_the_child_report(tmp_path: Path) -> None:
    baseline = run.variants([])[0]
    sample, _ = run.run_once(baseline, run.child_env(), tmp_path)
    assert sample.modules > 10 and sample.peak_kib > 1024
    assert sample.wall_s > 0 and sample.cpu_s > 0


def test_run_once_reports_a_failing_child(tmp_path: Path) -> None:
    missing = run.Variant("broken", None, "import", ("import_only.py", "no_such_module_x"))
    with pytest.raises(run.ChildFailed, match="ModuleNotFoundError"):
        run.run_once(missing, run.child_env(), tmp_path)
