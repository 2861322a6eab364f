"""Self-tests of bench/fuzz_campaign.py's ledger: what counts, and when it starts again.

Run with ``python -m pytest bench/test_fuzz_campaign.py -q`` (a second; no
ASan build needed).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_campaign", HERE / "fuzz_campaign.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fuzz_campaign", module)
    spec.loader.exec_module(module)
    kernel = tmp_path / "kernel.pyx"
    kernel.write_text("cdef int a = 1\n")
    # An absolute path: ROOT / path is the path itself.
    monkeypatch.setitem(module.KERNEL_SOURCES, "http_parser", [str(kernel)])
    return module


def result(campaign: ModuleType, executions: int, **extra: object) -> object:
    return campaign.Result("http_parser", executions=executions, seconds=10.0, **extra)


def test_asan_executions_add_up_across_ledgers(campaign: ModuleType, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    campaign.Ledger(home).add(result(campaign, 1000), "fast")
    ledger = campaign.Ledger(home)  # a later campaign reads the same file
    ledger.add(result(campaign, 500), "thorough")
    ledger.add(result(campaign, 700), "pymalloc")  # not the checks the goal asks for
    ledger.add(result(campaign, 900), "normal")
    entry = campaign.Ledger(home).entry("http_parser")
    assert entry["executions"] == 1500
    assert entry["seconds"] == 20.0
    assert entry["crashes"] == []


def test_a_changed_kernel_starts_from_zero(campaign: ModuleType, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    campaign.Ledger(home).add(result(campaign, 1000, crash="crash-1", minimized="m"), "fast")
    assert campaign.Ledger(home).entry("http_parser")["crashes"] == ["m"]
    (tmp_path / "kernel.pyx").write_text("cdef int a = 2\n")
    entry = campaign.Ledger(home).entry("http_parser")
    assert entry["executions"] == 0 and entry["crashes"] == []


def test_until_is_the_next_such_time_utc(campaign: ModuleType) -> None:
    now = time.time()
    for until in ("00:00", "12:30", "23:59"):
        deadline = campaign.deadline_of(until)
        assert now < deadline <= now + 86400
        assert time.strftime("%H:%M", time.gmtime(deadline)) == until


def test_campaigns_side_by_side_both_count(campaign: ModuleType, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first, second = campaign.Ledger(home), campaign.Ledger(home)  # both read an empty ledger
    first.add(result(campaign, 1000), "fast")
    second.add(result(campaign, 300), "fast")
    assert campaign.Ledger(home).entry("http_parser")["executions"] == 1300


def test_the_committed_ledger_adds_up_homes_once(campaign: ModuleType, tmp_path: Path) -> None:
    repo = campaign.RepoLedger(tmp_path / "ledger.json")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    campaign.Ledger(first).add(result(campaign, 1000, cpu_seconds=4.0), "fast")
    campaign.Ledger(second).add(result(campaign, 300, cpu_seconds=1.0), "thorough")
    repo.fold(first / "ledger.json")
    repo.fold(first / "ledger.json")  # folding again adds nothing
    repo.fold(second / "ledger.json")
    campaign.Ledger(first).add(result(campaign, 50, cpu_seconds=0.5), "fast")
    repo.fold(first / "ledger.json")  # only what it gained since
    entry = repo.entries()["http_parser"]
    assert entry["executions"] == 1350
    assert entry["cpu_seconds"] == 5.5
    assert entry["profiles"] == {"fast": 1050, "thorough": 300}
    assert entry["sources"] == campaign.sources_hash("http_parser")
    assert entry["crashes"] == [] and entry["last"]


def test_only_the_current_sources_are_folded(campaign: ModuleType, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    campaign.Ledger(home).add(result(campaign, 1000), "fast")
    (tmp_path / "kernel.pyx").write_text("cdef int a = 2\n")  # the kernel changed since
    repo = campaign.RepoLedger(tmp_path / "ledger.json")
    notes = repo.fold(home / "ledger.json")
    assert "http_parser" not in repo.entries()
    assert any("not folded" in note for note in notes)


def test_a_ledger_of_the_first_format_folds_by_its_kernel_hash(
    campaign: ModuleType, tmp_path: Path
) -> None:
    old = {"sources": campaign.kernel_hash("http_parser"), "executions": 700, "seconds": 9.0}
    stale = {"sources": "0123456789ab", "executions": 5, "seconds": 1.0}
    (tmp_path / "ledger.json").write_text(json.dumps({"http_parser": old, "router": stale}))
    repo = campaign.RepoLedger(tmp_path / "committed.json")
    repo.fold(tmp_path / "ledger.json")
    entries = repo.entries()
    assert entries["http_parser"]["executions"] == 700
    assert entries["http_parser"]["profiles"] == {"fast": 700}
    assert "router" not in entries


def test_a_changed_target_module_starts_the_committed_count_again(
    campaign: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    campaign.Ledger(home).add(result(campaign, 1000), "fast")
    repo = campaign.RepoLedger(tmp_path / "ledger.json")
    repo.fold(home / "ledger.json")
    monkeypatch.setattr(campaign, "sources_hash", lambda target: "another-hash")
    assert campaign._executions(repo.entries(), "http_parser") == 0


def test_a_crash_replays_on_the_normal_build_with_its_traceback(
    campaign: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in target in a tree of its own: the real ones do not fail.
    package = tmp_path / "tree" / "tests" / "fuzz"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "standin.py").write_text(
        "import sys\n"
        "def one_input(data):\n"
        "    assert data != b'boom', 'a failed check'\n"
        "if __name__ == '__main__':\n"
        "    one_input(open(sys.argv[1], 'rb').read())\n"
    )
    tree = tmp_path / "tree"
    monkeypatch.setattr(campaign, "environment", lambda profile: ({"PYTHONPATH": str(tree)}, tree))
    args = campaign.argparse.Namespace(minimize_seconds=60)
    crash = tmp_path / "crash-1"
    crash.write_bytes(b"boom")
    replay = campaign.replay_normal("standin", crash, args)
    assert replay.startswith("Traceback (most recent call last)")
    assert "AssertionError: a failed check" in replay
    assert "a failed check" in (tmp_path / "crash-1.replay.txt").read_text()
    clean = tmp_path / "crash-2"
    clean.write_bytes(b"fine")
    assert "passes" in campaign.replay_normal("standin", clean, args)
