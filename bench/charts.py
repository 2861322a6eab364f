"""Draw the docs site's benchmark charts (PNG) from the result files the benchmarks write.

::

    python bench/charts.py                      # newest results of each kind
    python bench/charts.py --db bench/db/results/db-20261202T010540Z.md \\
        --startup docs/benchmarks/data/startup-20261207T181500Z.json

Inputs, each optional (a chart whose input is missing is skipped, and said so):

- ``--db``: reports of ``bench/db/run.py`` (``bench/db/results/db-*.md``): the
  first table, median requests per second per server and test;
- ``--startup``: the ``.json`` of ``bench/startup/run.py``
  (``bench/startup/results/startup-*.json``): medians of CPU time and peak RSS;
- ``--micro``: a pytest-benchmark ``--benchmark-json`` file of ``bench/micro``:
  median time per benchmark, grouped as pytest-benchmark groups them.

Each chart is written to ``--out`` (``docs/benchmarks/``) under a name
derived from its input, and carries the input's file name, so a chart can
always be traced to the run that produced it. Nothing is measured here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks"

#: Colours: fastcore first and always the same, peers after it.
FASTCORE = "#1f6feb"
PEERS = ["#8c959f", "#bf8700", "#8250df", "#cf222e", "#1a7f37", "#57606a"]


@dataclass
class Table:
    """A Markdown table: its header and rows of cells, as text."""

    header: list[str]
    rows: list[list[str]]


def first_table(text: str) -> Table:
    """The first Markdown table of ``text``.

    Raises:
        ValueError: the text has no table.
    """
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("|") and index + 1 < len(lines) and set(lines[index + 1]) <= set("|-: "):
            header = _cells(line)
            rows = []
            for row in lines[index + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            return Table(header, rows)
    raise ValueError("no Markdown table")


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("*").strip() for cell in line.strip("|").split("|")]


def number(cell: str) -> float | None:
    """A table cell as a number (``5,553`` -> 5553.0); None for text such as ratios."""
    cleaned = cell.replace(",", "")
    return float(cleaned) if re.fullmatch(r"\d+(\.\d+)?", cleaned) else None


def command_of(text: str) -> str:
    """The command a report was made by: its first line in backquotes."""
    found = re.search(r"^`(python [^`]+)`$", text, re.MULTILINE)
    return found.group(1) if found else ""


def colours(keys: Sequence[str]) -> list[str]:
    """One colour per key: fastcore's always, each peer its own (the same in every bar)."""
    peers = sorted({key for key in keys if not key.startswith("fastcore")})
    return [
        FASTCORE if key.startswith("fastcore") else PEERS[peers.index(key) % len(PEERS)]
        for key in keys
    ]


def db_chart(report: Path, out: Path) -> Path:
    """Grouped bars of a database report: req/s per test (x), one bar per server."""
    import matplotlib.pyplot as plt

    text = report.read_text()
    table = first_table(text)
    tests = table.header[1:]
    servers = [
        (row[0], [number(cell) or 0.0 for cell in row[1:]])
        for row in table.rows
        if all(number(cell) is not None for cell in row[1:])
    ]
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    width = 0.8 / max(len(servers), 1)
    palette = colours([server for server, _ in servers])
    for position, ((server, values), colour) in enumerate(zip(servers, palette, strict=True)):
        offsets = [test + (position - (len(servers) - 1) / 2) * width for test in range(len(tests))]
        bars = axes.bar(offsets, values, width, label=server, color=colour)
        axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=7, padding=2)
    axes.set_xticks(range(len(tests)), tests)
    axes.set_ylabel("requests per second (median)")
    axes.set_title(f"TechEmpower database tests: {report.name}", fontsize=10)
    axes.legend(fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _save(figure, out / f"{report.stem}.png", command_of(text))


def startup_chart(result: Path, out: Path) -> Path:
    """Horizontal bars of a start-up run: CPU time and peak RSS per variant (medians)."""
    import matplotlib.pyplot as plt

    data = json.loads(result.read_text())
    rows = [row for row in data["summary"] if row["kind"] != "baseline"] or data["summary"]
    rows.sort(key=lambda row: (row["kind"], row["name"]))
    names = [row["name"] for row in rows]
    palette = colours([name.split()[0] for name in names])  # "flask app" -> flask
    figure, (cpu, rss) = plt.subplots(1, 2, figsize=(9, 0.45 * len(rows) + 1.6), dpi=100)
    for axes, key, label, fmt in (
        (cpu, "cpu_ms", "CPU time, ms (median)", "{:.0f}"),
        (rss, "peak_mib", "peak RSS, MiB (median)", "{:.1f}"),
    ):
        _bars(axes, names, [row[key] for row in rows], palette, fmt, label)
    rss.set_yticks([])
    figure.suptitle(f"Cold start of a fresh process: {result.name}", fontsize=10)
    command = " ".join(["python", *data.get("command", [])[1:]]) if data.get("command") else ""
    return _save(figure, out / f"{result.stem}.png", command)


def micro_chart(result: Path, out: Path) -> Path:
    """Horizontal bars of a pytest-benchmark JSON: median time per benchmark, by group."""
    import matplotlib.pyplot as plt

    data = json.loads(result.read_text())
    benchmarks = sorted(
        data["benchmarks"], key=lambda b: (str(b.get("group") or ""), b["stats"]["median"])
    )
    implementations = [implementation(b["name"]) for b in benchmarks]
    names = [
        f"{b['group']}: {impl}" if b.get("group") else b["name"].removeprefix("test_")
        for b, impl in zip(benchmarks, implementations, strict=True)
    ]
    values = [b["stats"]["median"] * 1e6 for b in benchmarks]
    figure, axes = plt.subplots(figsize=(9, 0.32 * len(names) + 1.4), dpi=100)
    label = "µs per call (median; shorter is faster)"
    _bars(axes, names, values, colours(implementations), "{:.2f}", label)
    axes.tick_params(axis="y", labelsize=7)
    if values and min(values) > 0 and max(values) / min(values) > 100:
        axes.set_xscale("log")  # sizes from a tiny template to a 1,000-row table
    axes.set_title(f"Micro benchmarks: {result.name}", fontsize=10)
    return _save(figure, out / f"{result.stem}.png")


def _bars(
    axes: Any, names: list[str], values: list[float], palette: list[str], fmt: str, label: str
) -> None:
    """Horizontal bars, top to bottom in the order given, each labelled with its value."""
    bars = axes.barh(names, values, color=palette)
    axes.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=7, padding=2)
    axes.invert_yaxis()
    axes.set_xlabel(label)
    axes.spines[["top", "right"]].set_visible(False)


def _save(figure: Any, target: Path, command: str = "") -> Path:
    """Write the figure (with the command that made its input, small, at the bottom)."""
    import matplotlib.pyplot as plt

    if command:
        figure.text(0.01, 0.01, command, fontsize=6, color="#57606a")
        figure.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        figure.tight_layout()
    # No matplotlib version in the file: the same input draws the same bytes.
    figure.savefig(target, metadata={"Software": None})
    plt.close(figure)
    return target


def implementation(name: str) -> str:
    """Who is measured: ``render[tiny-jinja2]``: jinja2, ``test_httptools_x``: httptools."""
    if "[" in name:
        return name.split("[", 1)[1].rstrip("]").split("-")[-1]
    return name.removeprefix("test_").split("_")[0]


def newest(pattern: str) -> list[Path]:
    """The newest file matching ``pattern`` under the repository, as a list (empty if none)."""
    found = sorted(ROOT.glob(pattern))
    return found[-1:]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", nargs="*", type=Path, help="bench/db/run.py reports (.md)")
    parser.add_argument("--startup", nargs="*", type=Path, help="bench/startup/run.py .json")
    parser.add_argument("--micro", nargs="*", type=Path, help="pytest-benchmark .json files")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Draw every chart whose input exists; return 1 if none could be drawn."""
    args = parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    inputs = [
        (db_chart, args.db if args.db is not None else newest("bench/db/results/db-*.md")),
        (
            startup_chart,
            args.startup
            if args.startup is not None
            else newest("bench/startup/results/startup-*.json"),
        ),
        (micro_chart, args.micro or []),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    for draw, paths in inputs:
        if not paths:
            print(f"{draw.__name__}: no input, skipped", file=sys.stderr)
        for path in paths:
            target = draw(path, args.out)
            written += 1
            print(
                f"{path} -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
            )
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
