"""Run the benchmarks and print the results (``make bench``).

Usage::

    python bench/run.py                      # everything (a few minutes)
    python bench/run.py --quick              # fewer repeats
    python bench/run.py --only mlp,widgets   # parts: mlp widgets play playground book memory

The parts live in one module each (see bench/README.md). Every time is measured
in this run, next to its reference, so the ratios mean something on any
machine. The report is printed and copied as Markdown to
``bench/results/latest.md``. Benchmarks never fail: a missed target is shown
as ``NO`` and the exit code is 0 (2 only for a bad command line).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from common import pin_one_thread

pin_one_thread()  # before numpy is imported anywhere: one BLAS/OpenMP thread

from common import Section, machine_summary, render, summary_table  # noqa: E402

PARTS = ("mlp", "widgets", "play", "playground", "book", "memory")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


def run_part(name: str, quick: bool, shared: dict, keep: bool) -> Section:
    if name == "mlp":
        import mlp_throughput
        return mlp_throughput.run(quick)
    if name == "widgets":
        import widget_latency
        return widget_latency.run(quick)
    if name == "play":
        import play_fps
        return play_fps.run(quick)
    if name == "playground":
        import playground_frames
        return playground_frames.run(quick)
    if name == "book":
        import book_build
        return book_build.run(quick, shared, keep=keep)
    import memory
    return memory.run(quick, shared)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmarks of nnmath, its demos and the book.")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and slider values (for checking the benchmarks)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run, from {', '.join(PARTS)}")
    parser.add_argument("--keep-build", action="store_true",
                        help="keep the temporary copy and book build (path is printed)")
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown or not args.parts:
        parser.error(f"--only got {unknown or 'nothing'}; choose from {', '.join(PARTS)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    header = machine_summary()
    header.append(f"Parts: {', '.join(args.parts)}{' (quick)' if args.quick else ''}; "
                  f"started {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print("\n".join(header), flush=True)
    shared, sections = {}, []
    for name in PARTS:  # in this order: memory reuses the book part's measurements
        if name not in args.parts:
            continue
        print(f"\nrunning {name} ...", flush=True)
        start = time.perf_counter()
        try:
            section = run_part(name, args.quick, shared, args.keep_build)
        except Exception:  # a broken part is reported and the others still run
            section = Section(f"{name}: could not run")
            section.notes.append(traceback.format_exc().strip().replace("\n", " | "))
        section.seconds = time.perf_counter() - start
        sections.append(section)
        print(render([section], [], markdown=False), flush=True)

    summary = summary_table(sections)
    print("\nSummary of targets\n" + summary.text())
    RESULTS.parent.mkdir(exist_ok=True)
    total = sum(s.seconds for s in sections)
    md = render(sections, header + [f"Total time {total:.0f} s"], markdown=True)
    RESULTS.write_text(md + "\n## Summary of targets\n\n" + summary.markdown() + "\n")
    print(f"\nTotal {total:.0f} s. Markdown copy: {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
