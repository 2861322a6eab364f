"""Turn load-harness runs into medians, a Markdown report and a bar chart."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol


class Run(Protocol):
    """The fields of one wrk run the report reads (run.RunResult)."""

    server: str
    workload: str
    round: int
    requests: int
    seconds: float
    requests_per_second: float
    server_cpu_seconds: float
    server_system_seconds: float
    wrk_cpu_seconds: float
    other_load_on_server_core: float
    server_core_idle: float
    top_others: list[str]
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    non_2xx: int
    socket_errors: dict[str, int]
    error: str | None

    @property
    def requests_per_cpu_second(self) -> float: ...


Metric = Callable[[Run], float]

METRICS: dict[str, tuple[str, Metric]] = {
    "rps": ("Requests per second", lambda run: run.requests_per_second),
    "rps_cpu": (
        "Requests per second of server CPU time",
        lambda run: run.requests_per_cpu_second,
    ),
}


def good_runs(results: Iterable[Run], server: str, workload: str) -> list[Run]:
    """Return the runs of ``server`` on ``workload`` that completed."""
    return [
        run
        for run in results
        if run.server == server and run.workload == workload and not run.error and run.requests
    ]


def median_of(results: Sequence[Run], server: str, workload: str, metric: Metric) -> float | None:
    """Return the median of ``metric`` over the completed runs, or None."""
    runs = good_runs(results, server, workload)
    return statistics.median(metric(run) for run in runs) if runs else None


def best_peer(
    results: Sequence[Run], kinds: Mapping[str, str], workload: str, metric: Metric
) -> tuple[str, float] | None:
    """Return the peer (kind "peer") with the highest median, and that median."""
    best: tuple[str, float] | None = None
    for server, kind in kinds.items():
        if kind != "peer":
            continue
        value = median_of(results, server, workload, metric)
        if value is not None and (best is None or value > best[1]):
            best = (server, value)
    return best


def _metric_table(
    results: Sequence[Run],
    kinds: Mapping[str, str],
    workloads: Sequence[str],
    metric: Metric,
) -> list[str]:
    lines = [
        "| server | kind | " + " | ".join(workloads) + " |",
        "|---|---|" + "---:|" * len(workloads),
    ]
    bests = {workload: best_peer(results, kinds, workload, metric) for workload in workloads}
    for server, kind in kinds.items():
        cells = []
        for workload in workloads:
            value = median_of(results, server, workload, metric)
            best = bests[workload]
            if value is None:
                cells.append("—")
            elif best is None or best[1] <= 0:
                cells.append(f"{value:,.0f}")
            else:
                cell = f"{value:,.0f} ({value / best[1]:.2f}×)"
                cells.append(f"**{cell}**" if server == best[0] else cell)
        lines.append(f"| {server} | {kind} | " + " | ".join(cells) + " |")
    return lines


def _targets(
    results: Sequence[Run], kinds: Mapping[str, str], workloads: Sequence[str]
) -> list[str]:
    """The fastcore rows of the issue's targets, when fastcore ran."""
    if "fastcore" not in kinds:
        return []
    baselines = [server for server, kind in kinds.items() if kind == "baseline"]
    lines = [
        "## fastcore against the targets",
        "",
        "| metric | workload | fastcore | best peer | × best peer | target | "
        + " | ".join(f"× {name}" for name in baselines)
        + " |",
        "|---|---|---:|---|---:|---:|" + "---:|" * len(baselines),
    ]
    for label, metric in METRICS.values():
        for workload in workloads:
            ours = median_of(results, "fastcore", workload, metric)
            best = best_peer(results, kinds, workload, metric)
            if ours is None or best is None:
                continue
            target = "≥ 3×" if workload.startswith("pipelined") else "≥ 2×"
            against_baselines = []
            for name in baselines:
                base = median_of(results, name, workload, metric)
                against_baselines.append(f"{ours / base:.2f}×" if base else "—")
            lines.append(
                f"| {label} | {workload} | {ours:,.0f} | {best[0]} {best[1]:,.0f} | "
                f"{ours / best[1]:.2f}× | {target} | " + " | ".join(against_baselines) + " |"
            )
    lines += [
        "",
        "Targets (issue #2): ≥ 2× the fastest peer on plaintext and json, ≥ 3× on "
        "pipelined plaintext, and faster than the fixed-bytes protocol (× > 1.00).",
        "",
    ]
    return lines


def _details(results: Sequence[Run], servers: Iterable[str], workloads: Sequence[str]) -> list[str]:
    lines = [
        "## Per-run detail (medians over rounds; min–max of req/s)",
        "",
        "| server | workload | runs | req/s median | req/s min–max | server CPU "
        "| server µs/request: user + system | wrk CPU "
        "| server core: others / idle | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def med(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def fmt(value: float | None, spec: str) -> str:
        return "—" if value is None else format(value, spec)

    for server in servers:
        for workload in workloads:
            runs = good_runs(results, server, workload)
            if not runs:
                lines.append(f"| {server} | {workload} | 0 | — | — | — | — | — | — | — | — |")
                continue
            rates = [run.requests_per_second for run in runs]
            server_cpu = med([run.server_cpu_seconds / run.seconds for run in runs])
            wrk_cpu = med([run.wrk_cpu_seconds / run.seconds for run in runs])
            user_us = med(
                [
                    (run.server_cpu_seconds - run.server_system_seconds) / run.requests * 1e6
                    for run in runs
                ]
            )
            system_us = med([run.server_system_seconds / run.requests * 1e6 for run in runs])
            others = med([run.other_load_on_server_core for run in runs])
            idle = med([run.server_core_idle for run in runs])
            p50 = med([run.latency_p50_ms for run in runs if run.latency_p50_ms is not None])
            p99 = med([run.latency_p99_ms for run in runs if run.latency_p99_ms is not None])
            lines.append(
                f"| {server} | {workload} | {len(runs)} | {statistics.median(rates):,.0f} "
                f"| {min(rates):,.0f}–{max(rates):,.0f} | {fmt(server_cpu, '.0%')} "
                f"| {fmt(user_us, '.2f')} + {fmt(system_us, '.2f')} "
                f"| {fmt(wrk_cpu, '.0%')} | {fmt(others, '.0%')} / {fmt(idle, '.0%')} "
                f"| {fmt(p50, '.2f')} "
                f"| {fmt(p99, '.2f')} |"
            )
    lines += [
        "",
        "Server CPU and wrk CPU are CPU seconds per wall second (100% = one core "
        "busy). Server µs per request splits the server's CPU time per answered "
        "request into user space (the server's own code) and system time (the "
        'kernel: sockets, epoll). "Server core: others / idle" splits the rest of the server\'s '
        "core: time used by other processes (kernel network work included) and "
        "time it sat idle. wrk near 100%: the client is the bottleneck. Others "
        "high: someone else's work took the core. Idle high while wrk is not "
        "busy either: neither side was saturated and the machine (wake-up "
        "latency on a shared VM) set the pace. In all three cases raw req/s "
        "understates the server and req/s per CPU-second is the figure to compare.",
        "",
    ]
    return lines


def _saturation_warnings(
    results: Sequence[Run], servers: Iterable[str], workloads: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """Name the runs whose raw req/s says more about the machine than the server."""
    warnings = []
    for server in servers:
        contended: dict[str, float] = {}
        unsaturated: dict[str, float] = {}
        for workload in workloads:
            runs = good_runs(results, server, workload)
            if not runs:
                continue
            others = statistics.median(run.other_load_on_server_core for run in runs)
            idle = statistics.median(run.server_core_idle for run in runs)
            wrk_cpu = statistics.median(run.wrk_cpu_seconds / run.seconds for run in runs)
            if others > 0.1:
                contended[workload] = others
            elif idle > 0.1 and wrk_cpu < 0.8:
                unsaturated[workload] = idle
        found = []
        if contended:
            shares = ", ".join(f"{name} {share:.0%}" for name, share in contended.items())
            culprits = Counter(
                entry.rsplit(" ", 1)[0]
                for workload in contended
                for run in good_runs(results, server, workload)
                for entry in run.top_others
            )
            named = ", ".join(label for label, _ in culprits.most_common(3))
            found.append(
                f"other processes used the server's core ({shares}"
                + (f"; busiest: {named}" if named else "")
                + "); raw req/s understates it, compare req/s per CPU-second"
            )
        if unsaturated:
            shares = ", ".join(f"{name} {share:.0%}" for name, share in unsaturated.items())
            found.append(
                f"neither the server nor wrk saturated its core (server core idle: "
                f"{shares}); raw req/s is limited by the machine, compare req/s per "
                "CPU-second"
            )
        if found:
            warnings.append((server, found))
    return warnings


def render_markdown(
    *,
    results: Sequence[Run],
    problems: Mapping[str, Iterable[str]],
    settings: Mapping[str, Any],
    machine: Mapping[str, str],
    command: str,
    workloads: Sequence[str],
    kinds: Mapping[str, str],
    descriptions: Mapping[str, str],
    chart_name: str | None,
) -> str:
    """Render the whole report as Markdown."""
    lines = [
        "# Load benchmark",
        "",
        f"`{command}`",
        "",
        f"- Machine: {machine['cpu']}; {machine['os']}; Python {machine['python']}; "
        f"{machine['wrk']}",
        f"- Versions: {machine['versions']}",
        f"- Server pinned to core {settings['server_core']} (one process, one worker); "
        f"`wrk -t1 -c{settings['connections']} -d{settings['duration']:g}s` pinned to "
        f"core {settings['wrk_core']}; {settings['rounds']} interleaved round(s), server "
        f"order rotated per round; {settings['warmup']:g} s warm-up per start; medians.",
        "- Ratios in parentheses are against the best peer in the same column (bold); "
        "kind `baseline` (the fixed-bytes protocol) is a reference point, never the best peer.",
        "",
    ]
    for label, metric in METRICS.values():
        lines += [f"## {label} (median)", ""]
        lines += _metric_table(results, kinds, workloads, metric)
        lines.append("")
    if chart_name:
        lines += [f"![bar chart]({chart_name})", ""]
    lines += _targets(results, kinds, workloads)
    lines += _details(results, kinds, workloads)
    lines += ["## Servers", ""]
    lines += [f"- `{name}`: {descriptions[name]}" for name in kinds]
    lines += ["", "## Flags", ""]
    flagged = [(name, sorted(found)) for name, found in problems.items() if found]
    flagged += _saturation_warnings(results, kinds, workloads)
    if flagged:
        for name, found in flagged:
            lines += [f"- **{name}**: {problem}" for problem in found]
    else:
        lines.append(
            "None: every server passed the response check (status, body, one Server, "
            "Date and Content-Type header) and no run had non-2xx responses or "
            "socket errors."
        )
    lines.append("")
    return "\n".join(lines)


def render_chart(
    results: Sequence[Run], workloads: Sequence[str], kinds: Mapping[str, str], path: Path
) -> None:
    """Draw one horizontal bar panel per metric and workload into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    servers = list(kinds)
    metrics = list(METRICS.values())
    figure, axes = plt.subplots(
        len(metrics),
        len(workloads),
        figsize=(4.6 * len(workloads), 0.45 * len(servers) * len(metrics) + 2),
        squeeze=False,
    )
    colors = {"fastcore": "#d62728", "peer": "#1f77b4", "baseline": "#8c8c8c"}
    for row, (label, metric) in enumerate(metrics):
        for column, workload in enumerate(workloads):
            axis = axes[row][column]
            values = [median_of(results, server, workload, metric) or 0.0 for server in servers]
            positions = range(len(servers))
            axis.barh(
                positions,
                values,
                color=[colors[kinds[server]] for server in servers],
            )
            axis.set_yticks(list(positions), servers if column == 0 else [""] * len(servers))
            axis.invert_yaxis()
            axis.set_title(f"{workload}\n{label}", fontsize=9)
            axis.tick_params(axis="x", labelsize=7)
            peak = max(values) if values else 0
            for position, value in zip(positions, values, strict=True):
                if value:
                    axis.text(
                        value + peak * 0.01,
                        position,
                        f"{value / 1000:,.0f}k",
                        va="center",
                        fontsize=7,
                    )
            axis.set_xlim(0, peak * 1.18 or 1)
    figure.suptitle(
        "Median over rounds; server on one core, wrk -t1 on the other "
        "(red: fastcore, blue: peers, grey: fixed-bytes baseline)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
