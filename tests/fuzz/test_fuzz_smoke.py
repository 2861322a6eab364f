"""CI smoke of the fuzz targets: replay every seed corpus, then fuzz each target briefly.

The campaign (bench/fuzz_campaign.py, docs/fuzzing.md) runs the same targets
for millions of executions under AddressSanitizer; here each one runs for a
few seconds, without sanitizers, so that a broken target or a shallow crash
fails CI.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz._support import CORPUS

ROOT = Path(__file__).resolve().parents[2]
TARGETS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
# Executions per target, from a fixed seed, so a CI run replays the same
# inputs every time (a new finding belongs to the campaign, not to a flaky
# CI); the seconds cap them on a slow machine. The targets run side by side.
SMOKE_RUNS = int(os.environ.get("FASTCORE_FUZZ_SMOKE_RUNS", "10000"))
SMOKE_SECONDS = int(os.environ.get("FASTCORE_FUZZ_SMOKE_SECONDS", "8"))

try:
    import atheris  # noqa: F401
except ImportError:  # pragma: no cover - atheris has no wheel for this platform
    HAVE_ATHERIS = False
else:
    HAVE_ATHERIS = True
needs_atheris = pytest.mark.skipif(
    not HAVE_ATHERIS, reason="atheris is not installed (pip install atheris; CPython on Linux)"
)


def test_every_target_has_a_module_and_seeds() -> None:
    assert TARGETS == [
        "form_parsers",
        "http_differential",
        "http_parser",
        "http_protocol",
        "response_writer",
        "router",
        "templates",
        "websocket_frames",
        "websocket_protocol",
    ]
    for target in TARGETS:
        assert (Path(__file__).parent / f"{target}.py").is_file()
        seeds = list((CORPUS / target).iterdir())
        assert seeds and all(seed.stat().st_size <= 16_384 for seed in seeds), target


@needs_atheris
@pytest.mark.parametrize("target", TARGETS)
def test_seed_corpus_replays(target: str) -> None:
    # Every crash found so far is in the corpus: this is their regression test.
    one_input = importlib.import_module(f"tests.fuzz.{target}").one_input
    for seed in sorted((CORPUS / target).iterdir()):
        try:
            one_input(seed.read_bytes())
        except Exception as exc:
            raise AssertionError(f"{target}: {seed.name} fails") from exc


@needs_atheris
@pytest.mark.slow
def test_fuzz_each_target_briefly(tmp_path: Path) -> None:
    # Without instrumenting fastcore itself the targets start in a second, not five.
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "FASTCORE_FUZZ_INSTRUMENT": "0"}
    pending = list(TARGETS)
    failures = []
    while pending:
        batch, pending = pending, []
        running = []
        for target in batch:
            corpus = tmp_path / target
            corpus.mkdir()
            log = (tmp_path / f"{target}.log").open("wb")
            command = [
                sys.executable,
                "-m",
                f"tests.fuzz.{target}",
                "-seed=1",
                f"-runs={SMOKE_RUNS}",
                f"-max_total_time={SMOKE_SECONDS}",
                "-timeout=20",
                "-rss_limit_mb=1024",
                f"-artifact_prefix={tmp_path}/{target}-",
                str(corpus),
                str(CORPUS / target),
            ]
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
            running.append((target, process, log))
        for target, process, log in running:
            try:
                code = process.wait(timeout=SMOKE_SECONDS + 60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            log.close()
            if code != 0:
                output = (tmp_path / f"{target}.log").read_text(errors="replace")
                failures.append(f"{target} exited with {code}:\n{output[-4000:]}")
    assert not failures, "\n\n".join(failures)
