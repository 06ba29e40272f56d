"""Part 4: peak memory of the clean book build and of the MLP benchmark.

- Book: the clean build's process tree (jupyter-book and the kernels it
  starts), sampled every 0.1 s while it runs: the largest sum of resident
  memory (RSS) and the largest single process. Taken from the book part when it
  ran in the same call; otherwise a clean build is made here.
- MLP: a child process (``python bench/memory.py --mlp-child``) loads the data
  and trains each implementation once. It reports its own peak RSS after
  the imports and after each fit (the high-water mark only grows, so each step shows
  what that fit added), and the peak of memory allocated by Python and NumPy
  during each fit (``tracemalloc``), which is the working set of the training
  loop itself.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

if __name__ == "__main__":
    from common import pin_one_thread
    pin_one_thread()

from common import Section, Table, mib, run_measured  # noqa: E402

HERE = Path(__file__).resolve().parent


def _max_rss() -> int:
    """This process's peak RSS in bytes.

    On Linux this is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` would also
    count the parent's memory at the time it forked this process.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def mlp_child() -> dict:
    """Run in the child: peak RSS and tracemalloc peak of one fit of each implementation."""
    import tracemalloc

    import numpy as np  # noqa: F401
    from mlp_throughput import Config, implementations, load_digits

    data = load_digits()
    impls = implementations()
    cfg = Config()
    report = {"epochs": cfg.epochs,
              "after imports and data": {"max_rss": _max_rss(), "traced_peak": None}}
    for name, run in impls.items():
        tracemalloc.start()
        run(data, cfg, 0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report[name] = {"max_rss": _max_rss(), "traced_peak": peak}
    return report


def run(quick: bool = False, shared: dict | None = None) -> Section:
    section = Section("Memory")
    shared = shared if shared is not None else {}

    book = shared.get("book_clean")
    if book is None:
        import book_build
        book_build.run(quick, shared)
        book = shared["book_clean"]
    table = Table(["process", "peak RSS (sum over tree)", "largest single process",
                   "processes at once"],
                  caption="sampled every 0.1 s; shared libraries count once per process")
    table.add("clean book build (jupyter-book + kernels)", mib(book.peak_tree_rss),
              mib(book.peak_single_rss), book.n_processes)
    cached = shared.get("book_cached")
    if cached is not None:
        table.add("cached rebuild", mib(cached.peak_tree_rss), mib(cached.peak_single_rss),
                  cached.n_processes)

    result_file = HERE / "results" / "mlp_memory.json"
    result_file.parent.mkdir(exist_ok=True)
    proc = run_measured([sys.executable, str(HERE / "memory.py"), "--mlp-child",
                         str(result_file)], cwd=HERE)
    table.add("MLP benchmark (one process, all implementations)", mib(proc.peak_tree_rss),
              mib(proc.peak_single_rss), proc.n_processes)
    section.tables.append(table)

    if proc.returncode == 0 and result_file.exists():
        report = json.loads(result_file.read_text())
        mlp = Table(["step in the MLP child", "peak RSS so far", "NumPy/Python peak during fit"],
                    caption=f"one fit each, {report.pop('epochs')} epochs; tracemalloc counts "
                            "NumPy's array buffers")
        for step, r in report.items():
            mlp.add(step, mib(r["max_rss"]),
                    "-" if r["traced_peak"] is None else f"{r['traced_peak'] / 2**10:.0f} KiB")
        section.tables.append(mlp)
    else:
        section.notes.append(f"The MLP memory child failed (exit {proc.returncode}).")
    return section


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--mlp-child":
        Path(sys.argv[2]).write_text(json.dumps(mlp_child(), indent=1))
    else:
        section = run()
        from common import render
        print(render([section], [], markdown=False))
