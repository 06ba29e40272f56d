"""Part 3: how long the book takes to build, clean and cached, and each notebook's run time.

The repository is copied to a temporary directory (the files git knows about,
tracked or new but not ignored; so no ``.venv``, ``_build`` or ``.git``) and
built there, exactly as ``make book`` would but into a fresh output directory,
so the real ``_build`` is never touched:

1. a clean build, ``jupyter-book build . -n -W --keep-going --all --path-output OUT``
   (``make book-clean``): every notebook executed afresh;
2. the Simplified Chinese edition (``book/_ext/zh_edition.py build``, the second half of
   ``make book``), clean, from the execution cache the English build filled: its time against
   the English build's, measured in the same run (target: both editions within 1.5x the English
   build alone);
3. ``make book``'s incremental build (the same without ``--all``) with nothing changed:
   Sphinx re-reads no page and notebooks come from the jupyter-cache in
   ``OUT/_build/.jupyter_cache``.

Each notebook's execution time is read from that cache (myst-nb stores it with
every executed notebook). The memory of the build (jupyter-book and its
kernels) is sampled while it runs; the memory part reports it. The build runs
with one BLAS thread per process, as ``make book`` sets it.

Targets on this 2-core machine: clean build <= 120 s, each notebook <= 20 s,
cached rebuild <= 10 s.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import THREAD_VARS, Section, Table, mib, run_measured, sec

ROOT = Path(__file__).resolve().parent.parent
JB_ARGS = ["-n", "-W", "--keep-going"]  # as in the Makefile
IGNORED = (".venv", "_build", ".git", ".jupyter_cache", ".pytest_cache", ".hypothesis",
           ".ipynb_checkpoints", "__pycache__", "results")
CLEAN_BUDGET, NOTEBOOK_BUDGET, CACHED_BUDGET = 120.0, 20.0, 10.0
BOTH_EDITIONS_RATIO = 1.5  # clean build of English + Chinese, over the English build alone


def copy_repo(dest: Path) -> int:
    """Copy the repository's own files to ``dest``; return how many were copied."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout
        files = [f for f in listing.split("\0") if f and (ROOT / f).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy the tree
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)
        return sum(1 for p in dest.rglob("*") if p.is_file())
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, target)
    return len(files)


def build_env(src: Path) -> dict:
    """The environment of ``make book``, importing ``nnmath`` from the copy."""
    # make book runs every kernel with one BLAS thread (see the Makefile): do the same
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update({k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    env.update(PYDEVD_DISABLE_FILE_VALIDATION="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(src / "lib"),
                                                        env.get("PYTHONPATH")])))
    return env


def jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    return str(exe) if exe.exists() else "jupyter-book"


def notebook_times(out: Path, src: Path) -> dict[str, float]:
    """Seconds each notebook took to execute, from the build's jupyter-cache."""
    from jupyter_cache import get_cache

    cache_dir = out / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        return {}
    cache = get_cache(str(cache_dir))
    times = {}
    for record in cache.list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is not None:
            uri = Path(record.uri)
            name = str(uri.relative_to(src)) if uri.is_relative_to(src) else str(uri)
            times[name] = float(seconds)
    return times


ANSI = re.compile(r"\x1b\[[0-9;]*m")
SPHINX_WARNING = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL):")


def warnings_in(log: Path) -> list[str]:
    """Sphinx's warning and error lines in a build log (a kernel's own log lines are not)."""
    text = ANSI.sub("", log.read_text(errors="replace")) if log.exists() else ""
    return [line for line in text.splitlines() if SPHINX_WARNING.search(line)]


def build_twice(work: Path) -> dict:
    """Copy the repo into ``work``, build it clean, then again cached; return the measurements."""
    # built inside the copy, as `make book` builds: the Chinese build reads src/_build's cache
    src = out = work / "src"
    n_files = copy_repo(src)
    cmd = [jupyter_book(), "build", ".", *JB_ARGS]
    env = build_env(src)
    clean = run_measured(cmd + ["--all"], cwd=src, env=env, log_path=work / "clean.log")
    times = notebook_times(out, src)
    html_pages = len(list((out / "_build" / "html").rglob("*.html")))
    zh = run_measured([sys.executable, "book/_ext/zh_edition.py", "build", *JB_ARGS, "--all"],
                      cwd=src, env=env, log_path=work / "zh.log")
    cached = run_measured(cmd, cwd=src, env=env, log_path=work / "cached.log")
    return {"files": n_files, "clean": clean, "cached": cached, "notebooks": times, "zh": zh,
            "zh_warnings": warnings_in(work / "zh.log"),
            "clean_warnings": warnings_in(work / "clean.log"),
            "cached_warnings": warnings_in(work / "cached.log"),
            "html_pages": html_pages}


def run(quick: bool = False, shared: dict | None = None, keep: bool = False) -> Section:
    section = Section("Book build")
    work = Path(tempfile.mkdtemp(prefix="nnmath-bench-book-"))
    try:
        r = build_twice(work)
    finally:
        if keep:
            section.notes.append(f"Build kept in {work}.")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if shared is not None:
        shared["book_clean"] = r["clean"]
        shared["book_cached"] = r["cached"]

    clean, cached = r["clean"], r["cached"]
    table = Table(["build", "wall time", "CPU time (all processes)", "exit code",
                   "warnings/errors", "peak RSS (tree)", "processes"],
                  caption=f"jupyter-book build . {' '.join(JB_ARGS)} (clean: --all) on a copy of "
                          f"{r['files']} files; {r['html_pages']} HTML pages")
    for name, run_, warns in (("clean", clean, r["clean_warnings"]),
                              ("中文 edition, clean, from the cache", r["zh"], r["zh_warnings"]),
                              ("cached, nothing changed", cached, r["cached_warnings"])):
        table.add(name, sec(run_.seconds), sec(run_.cpu_seconds), run_.returncode, len(warns),
                  mib(run_.peak_tree_rss), run_.n_processes)
    section.tables.append(table)

    nb = Table(["notebook", "execution time", "<= 20 s"],
               caption="from the clean build's jupyter-cache (kernel start included)")
    for name, seconds in sorted(r["notebooks"].items(), key=lambda kv: -kv[1]):
        nb.add(name, f"{seconds:.1f} s", "yes" if seconds <= NOTEBOOK_BUDGET else "NO")
    if r["notebooks"]:
        nb.add("total", f"{sum(r['notebooks'].values()):.1f} s", "")
    section.tables.append(nb)

    ok = clean.returncode == 0
    section.target(f"clean build <= {CLEAN_BUDGET:.0f} s", sec(clean.seconds),
                   clean.seconds <= CLEAN_BUDGET)
    section.target("clean build succeeds with no warning", f"exit {clean.returncode}, "
                   f"{len(r['clean_warnings'])} warning/error lines", ok)
    slowest = max(r["notebooks"].values(), default=None)
    section.target(f"each notebook <= {NOTEBOOK_BUDGET:.0f} s",
                   f"slowest {sec(slowest)} of {len(r['notebooks'])}",
                   None if slowest is None else slowest <= NOTEBOOK_BUDGET)
    both = (clean.seconds + r["zh"].seconds) / clean.seconds
    section.target(f"both editions <= {BOTH_EDITIONS_RATIO}x the English build",
                   f"{both:.2f}x ({sec(clean.seconds)} + {sec(r['zh'].seconds)})",
                   both <= BOTH_EDITIONS_RATIO and r["zh"].returncode == 0)
    section.target(f"cached rebuild <= {CACHED_BUDGET:.0f} s", sec(cached.seconds),
                   cached.seconds <= CACHED_BUDGET)
    for line in (r["clean_warnings"] + r["zh_warnings"] + r["cached_warnings"])[:10]:
        section.notes.append(f"build log: {line.strip()[:200]}")
    if not ok:
        section.notes.append("The clean build failed (see the warnings above); its time still "
                             "counts every notebook that ran.")
    return section
