"""Shared helpers of the benchmarks: timing, tables, targets and the report.

Each part (``mlp_throughput``, ``widget_latency``, ``book_build``, ``memory``)
returns one :class:`Section`: a title, some tables, notes and a list of
:class:`Target` checks. :func:`render` turns sections into plain text for the
terminal and into Markdown for ``bench/results/latest.md``.

Benchmarks never fail: a target that is missed is printed as ``NO``, and a part
that cannot run says why.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from typing import NamedTuple

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_one_thread() -> None:
    """Ask every BLAS/OpenMP runtime for one thread (call before importing numpy)."""
    for name in THREAD_VARS:
        os.environ[name] = "1"


def median(values) -> float:
    return float(statistics.median(values))


class Times(NamedTuple):
    """Seconds by the wall clock and CPU seconds of this process (``time.process_time``).

    On a loaded machine the wall time grows with the load; the CPU time much less.
    """

    wall: float
    cpu: float


def timed(fn, *args, **kwargs):
    """``(Times, result)`` of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return Times(time.perf_counter() - start, time.process_time() - cpu), result


def ms(seconds) -> str:
    """Seconds shown as milliseconds, or '-' for None."""
    return "-" if seconds is None else f"{1000 * seconds:.1f} ms"


def sec(seconds) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def mib(n_bytes) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 2**20:.0f} MiB"


@dataclass
class ProcessRun:
    """What :func:`run_measured` saw: wall time, exit code and peak memory."""

    seconds: float
    cpu_seconds: float  # user + system CPU of the process and every descendant it waited for
    returncode: int
    peak_tree_rss: int  # bytes: largest sum of RSS over the process and all its descendants
    peak_single_rss: int  # bytes: largest RSS of any one process in the tree
    n_processes: int  # most processes alive at once in the tree


def run_measured(cmd, cwd=None, env=None, log_path=None, poll=0.1) -> ProcessRun:
    """Run ``cmd``, polling the memory of its process tree every ``poll`` seconds.

    Output goes to ``log_path`` (or is discarded). The tree sum counts shared
    pages (libraries) once per process, so it is an upper bound of what the
    machine really used.
    """
    import resource

    import psutil

    out = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        peak_tree = peak_single = n_max = 0
        while True:
            rss = []
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        rss.append(p.memory_info().rss)
                    except psutil.Error:  # the process ended in between
                        pass
            except psutil.Error:
                pass
            if rss:
                peak_tree, peak_single = max(peak_tree, sum(rss)), max(peak_single, max(rss))
                n_max = max(n_max, len(rss))
            try:
                proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        if log_path:
            out.close()
    return ProcessRun(seconds, cpu, proc.returncode, peak_tree, peak_single, n_max)


@dataclass
class Table:
    """A small table: a header row and rows of already formatted cells."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    caption: str = ""

    def add(self, *cells) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"row {cells!r} has {len(cells)} cells; the table has "
                             f"{len(self.columns)} columns {self.columns!r}.")
        self.rows.append([str(c) for c in cells])

    def text(self) -> str:
        widths = [max(len(r[i]) for r in [self.columns, *self.rows])
                  for i in range(len(self.columns))]
        line = "  ".join("-" * w for w in widths)
        fmt = [self._pad(self.columns, widths), line]
        fmt += [self._pad(r, widths) for r in self.rows]
        return "\n".join(([self.caption] if self.caption else []) + fmt)

    def markdown(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        rule = "|" + "|".join("---" for _ in self.columns) + "|"
        body = ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(([f"*{self.caption}*", ""] if self.caption else [])
                         + [head, rule, *body])

    @staticmethod
    def _pad(cells, widths) -> str:
        # Text left-aligned in the first column, everything else right-aligned.
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


@dataclass
class Target:
    """One goal: what it asks, the measured value, and whether it is met (None: not measured)."""

    goal: str
    measured: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "n/a"}[self.met]


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0  # time the part itself took

    def target(self, goal: str, measured: str, met) -> None:
        self.targets.append(Target(goal, measured, None if met is None else bool(met)))

    def targets_table(self) -> Table:
        table = Table(["target", "measured", "met"])
        for t in self.targets:
            table.add(t.goal, t.measured, t.verdict)
        return table


def machine_summary() -> list[str]:
    """Lines describing where and how the numbers were taken (they depend on it)."""
    import numpy as np

    lines = [f"Python {platform.python_version()}, NumPy {np.__version__}, "
             f"{platform.machine()}, {os.cpu_count()} logical CPUs"]
    try:
        from threadpoolctl import threadpool_info
        pools = ", ".join(f"{p['internal_api']} {p['version']} ({p['num_threads']} thread(s))"
                          for p in threadpool_info())
        lines.append(f"BLAS/OpenMP pools: {pools or 'none loaded'}")
    except ImportError:
        pass
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        lines.append(f"Load average at start (1, 5, 15 min): {load} "
                     "(a load above the CPU count makes every time noisier and larger)")
    return lines


def render(sections, header_lines, markdown: bool) -> str:
    """The whole report, as terminal text or as Markdown."""
    out = []
    if markdown:
        out += ["# Benchmark results", ""] + [f"- {h}" for h in header_lines] + [""]
    else:
        out += header_lines + [""]
    for s in sections:
        if markdown:
            out += [f"## {s.title}", ""]
        else:
            out += ["=" * 78, f"{s.title}  ({s.seconds:.0f} s)", "=" * 78]
        for t in s.tables:
            out += [t.markdown() if markdown else t.text(), ""]
        if s.targets:
            out += ([s.targets_table().markdown()] if markdown
                    else ["Targets:", s.targets_table().text()]) + [""]
        for n in s.notes:
            out.append(f"- {n}" if markdown else f"note: {n}")
        if s.notes:
            out.append("")
    return "\n".join(out)


def summary_table(sections) -> Table:
    """Every target of every part in one table (printed last)."""
    table = Table(["part", "target", "measured", "met"])
    for s in sections:
        for t in s.targets:
            table.add(s.title.split(":")[0], t.goal, t.measured, t.verdict)
    return table
